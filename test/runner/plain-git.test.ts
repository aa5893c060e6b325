// The workflow against a plain git remote (bare repository) with the Ollama
// double: happy path with the fast-forward of main, failing tests, the work
// branch moving during the run, and a second run on top of the first.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOnce } from '../../src/runner/index.ts';
import { readImprovements, readState } from '../../src/runner/state/index.ts';
import type { WorkflowDeps } from '../../src/runner/workflow/context.ts';
import { runTests } from '../../src/runner/testing/run-tests.ts';
import {
  BREAKING_EDIT,
  DOC_EDIT,
  capturedLogger,
  git,
  planFor,
  runnerCli,
  sandbox,
  targetSpec,
  type Sandbox,
  useOllamaDouble,
} from './support.ts';

const double = useOllamaDouble();
let sb: Sandbox;
afterEach(() => sb?.cleanup());

const run = (over: Record<string, unknown> = {}, extra: Partial<WorkflowDeps> = {}) => {
  const { logger, lines } = capturedLogger();
  const spec = targetSpec(sb.url, { model: { host: double().url }, ...over });
  return {
    lines,
    result: runOnce(
      {
        target: { name: 'demo', spec },
        run: { name: 'demo-1', spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
        workspace: sb.workspace,
        ...(extra as object),
      },
      { logger, ollamaHost: double().url },
    ),
  };
};

describe('plain git forge', () => {
  it('commits, records state, pushes the work branch and fast-forwards main with autoMerge', async () => {
    sb = sandbox();
    const mainBefore = sb.sha('main');
    double().script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { result } = run({ autoMerge: true });
    const { outcome, report } = await result;
    expect(outcome).toMatchObject({
      phase: 'Succeeded',
      branch: 'develop',
      improvement: {
        type: 'documentation',
        priority: 'P3',
        title: 'Document add',
        filesChanged: 1,
      },
      tests: { command: 'node --test', passed: true },
      pullRequest: { merged: true },
    });
    expect(report.diff).toContain('+/** Adds two numbers. */');
    // The work branch: init commit, the change, the state record.
    const subjects = sb.log('develop');
    expect(subjects.slice(0, 3)).toEqual([
      'chore(opencode): record Document add',
      'docs(math): Document add',
      'chore: Initialize OpenCode state tracking',
    ]);
    expect(sb.show('develop', 'src/math.js')).toContain('/** Adds two numbers. */');
    expect(outcome.commit).toBe(sb.sha('develop~1'));
    // Commit author from spec.commitAuthor.
    expect(git(sb.bare, ['log', '-1', '--format=%an <%ae>', 'develop~1'])).toBe(
      'opencode-bot <opencode-bot@users.noreply.opencode.dev>',
    );
    const entries = readImprovements(sb.show('develop', '.opencode/IMPROVEMENTS.md') ?? '');
    expect(entries).toEqual([
      expect.objectContaining({
        title: 'Document add',
        type: 'documentation',
        scope: 'src/math.js',
      }),
    ]);
    expect(outcome.commit?.startsWith(entries[0]?.commit ?? 'x')).toBe(true);
    const state = readState(sb.show('develop', '.opencode/STATE.md') ?? '');
    expect(state.status).toBe('documentation: Document add');
    expect(state.recentChanges[0]).toContain('Document add');
    expect(sb.show('develop', '.opencode/PLAN.md')).toContain('- [x] Document add');
    // main moved only by fast-forward to the work branch.
    expect(sb.sha('main')).toBe(sb.sha('develop'));
    expect(git(sb.bare, ['merge-base', '--is-ancestor', mainBefore!, 'main'])).toBe('');
    // The model was asked with structured output, a fixed seed and num_ctx.
    const planReq = double().requests.at(-2)!;
    expect(planReq.format).toMatchObject({ type: 'object' });
    expect(planReq.options).toMatchObject({ num_ctx: 16384, temperature: 0, seed: 42 });
  });

  it('never pushes to main without autoMerge', async () => {
    sb = sandbox();
    const mainBefore = sb.sha('main');
    double().script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { outcome } = await run({ autoMerge: false }).result;
    expect(outcome.phase).toBe('Succeeded');
    expect(sb.sha('main')).toBe(mainBefore);
    expect(outcome.pullRequest).toBeUndefined();
  });

  it('on failing tests pushes only the state log and leaves the code unchanged', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const before = sb.sha('develop')!;
    const mainBefore = sb.sha('main');
    // A bugfix (the FIXME) whose change and one repair round both break the tests.
    double().script([planFor(/^todo:src\/math\.js/), BREAKING_EDIT, BREAKING_EDIT]);
    const { outcome } = await run({ policy: { rampUp: false } }).result;
    expect(outcome).toMatchObject({ phase: 'Failed', failure: { reason: 'TestsFailed' } });
    expect(outcome.tests?.passed).toBe(false);
    expect(outcome.tests?.outputTail).toMatch(/fail/i);
    // Only state files changed between the old and new tip.
    const changed = git(sb.bare, ['diff', '--name-only', before, 'develop']).split('\n');
    expect(changed.every((f) => f.startsWith('.opencode/'))).toBe(true);
    expect(sb.show('develop', 'src/math.js')).toBe(sb.show(before, 'src/math.js'));
    const state = readState(sb.show('develop', '.opencode/STATE.md') ?? '');
    expect(state.consecutiveFailures).toBe(1);
    expect(sb.show('develop', '.opencode/STATE.md')).toMatch(
      /## Failure Log\n- \d{4}-\d\d-\d\d: demo-1: TestsFailed/,
    );
    expect(sb.sha('main')).toBe(mainBefore);
  });

  it('keeps a commit pushed by someone else while the run was working', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const human = sb.humanClone();
    let pushed = false;
    // Another clone pushes to the work branch while our tests run.
    const racingTests: WorkflowDeps['runTests'] = async (dir, command, opts) => {
      const r = await runTests(dir, command, opts);
      if (!pushed && readFileSync(join(dir, 'src/math.js'), 'utf8').includes('/** Adds')) {
        pushed = true;
        git(human, ['checkout', '--quiet', 'develop']);
        writeFileSync(join(human, 'NOTES.md'), 'human notes\n');
        git(human, ['add', 'NOTES.md']);
        git(human, ['commit', '--quiet', '-m', 'docs: human notes']);
        git(human, ['push', '--quiet', 'origin', 'develop']);
      }
      return r;
    };
    double().script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { logger } = capturedLogger();
    const { runWorkflow } = await import('../../src/runner/workflow/run.ts');
    const { createForge } = await import('../../src/forge/index.ts');
    const { createImprover } = await import('../../src/runner/index.ts');
    const { applyEdits } = await import('../../src/runner/edits/index.ts');
    const spec = targetSpec(sb.url, { model: { host: double().url } });
    const { outcome } = await runWorkflow(
      {
        target: { name: 'demo', spec },
        run: { name: 'demo-2', spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
        workspace: sb.workspace,
      },
      {
        forge: createForge({ provider: 'git', repoUrl: sb.url, logger }),
        improver: await createImprover(spec, { logger }),
        logger,
        applyEdits,
        runTests: racingTests,
      },
    );
    expect(pushed).toBe(true);
    expect(outcome.phase).toBe('Succeeded');
    const subjects = sb.log('develop');
    expect(subjects).toContain('docs: human notes');
    expect(subjects).toContain('docs(math): Document add');
    expect(sb.show('develop', 'NOTES.md')).toBe('human notes\n');
    expect(sb.show('develop', 'src/math.js')).toContain('/** Adds two numbers. */');
  });

  it('runs from the CLI with the built-in improver and commits a style fix', () => {
    sb = sandbox();
    const human = sb.humanClone();
    writeFileSync(
      join(human, 'src', 'math.js'),
      readFileSync(join(human, 'src', 'math.js'), 'utf8').replace(
        'return a + b;',
        'return a + b;   ',
      ),
    );
    git(human, ['commit', '--quiet', '-am', 'feat: sloppy edit']);
    git(human, ['push', '--quiet', 'origin', 'main']);
    const r = runnerCli([
      'run',
      '--repo',
      sb.bare,
      '--model-provider',
      'builtin',
      '--test-command',
      'node --test',
      '--workspace',
      sb.workspace,
    ]);
    expect(r.status).toBe(0);
    const outcome = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(outcome).toMatchObject({
      phase: 'Succeeded',
      branch: 'develop',
      improvement: { type: 'style' },
    });
    expect(r.stdout).toContain('-  return a + b;   ');
    expect(sb.show('develop', 'src/math.js')).toContain('return a + b;\n');
    expect(sb.log('develop')[1]).toMatch(/^style\(/);
  });

  it('syncs the work branch with main by merging main in, and earns ramp-up levels by merged results', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const human = sb.humanClone();
    // Two documentation improvements already merged into main (IMPROVEMENTS.md on develop records them).
    git(human, ['checkout', '--quiet', 'develop']);
    const commits: string[] = [];
    for (const n of [1, 2]) {
      writeFileSync(join(human, `DOC${n}.md`), `doc ${n}\n`);
      git(human, ['add', `DOC${n}.md`]);
      git(human, ['commit', '--quiet', '-m', `docs: doc ${n}`]);
      commits.push(git(human, ['rev-parse', 'HEAD']));
    }
    git(human, ['push', '--quiet', 'origin', 'develop']);
    git(human, ['checkout', '--quiet', 'main']);
    git(human, ['merge', '--quiet', '--ff-only', 'develop']);
    writeFileSync(join(human, 'MAIN_ONLY.md'), 'main moved\n');
    writeFileSync(
      join(human, 'src', 'extra.js'),
      '// TODO: split this module\n// FIXME: overflow on big numbers\nexport const big = 1;\n',
    );
    git(human, ['add', 'MAIN_ONLY.md', 'src/extra.js']);
    git(human, ['commit', '--quiet', '-m', 'docs: main moved on']);
    git(human, ['push', '--quiet', 'origin', 'main']);
    git(human, ['checkout', '--quiet', 'develop']);
    const log = [
      '# Improvements',
      '',
      ...commits.flatMap((c, i) => [
        `### 2026-11-0${i + 1} - Doc ${i + 1}`,
        '- **Type**: documentation',
        `- **Commit**: ${c.slice(0, 12)}`,
        '',
      ]),
    ].join('\n');
    mkdirSync(join(human, '.opencode'), { recursive: true });
    writeFileSync(join(human, '.opencode', 'IMPROVEMENTS.md'), log);
    git(human, ['add', '.opencode/IMPROVEMENTS.md']);
    git(human, ['commit', '--quiet', '-m', 'chore: seed improvements log']);
    git(human, ['push', '--quiet', 'origin', 'develop']);

    double().script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { result } = run();
    const { outcome, report } = await result;
    expect(outcome.phase).toBe('Succeeded');
    // Level 1 earned by the two merged docs changes: refactoring is allowed, tests are not yet.
    expect(report.rampLevel).toBe(1);
    const blockedTypes = report.blocked.map((b) => b.candidate.type);
    expect(blockedTypes).toEqual(expect.arrayContaining(['tests', 'bugfix']));
    expect(blockedTypes).not.toContain('refactoring');
    expect(report.candidates.some((c) => c.type === 'refactoring')).toBe(true);
    expect(sb.show('develop', 'MAIN_ONLY.md')).toBe('main moved\n');
    expect(sb.log('develop')).toContain('chore: sync develop with main');
    // The human's entries are still there, below the new one.
    const text = sb.show('develop', '.opencode/IMPROVEMENTS.md') ?? '';
    expect(text).toContain('### 2026-11-01 - Doc 1');
    expect(text.indexOf('Document add')).toBeLessThan(text.indexOf('Doc 1'));
  });
});
