// Rollback runs (spec.trigger: rollback) end to end with real git and bare
// remotes: a commit reverted on the work branch, a commit that already
// reached main undone through a revert PR (GitHub double), everything a run
// committed, the work branch reset to main with a lease, and the failures
// (unknown commit or run, conflicts, failing tests) that must push nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { startOllamaDouble, type OllamaDouble } from '../doubles/ollama/server.ts';
import { runOnce } from '../../src/runner/index.ts';
import { applyEdits } from '../../src/runner/edits/index.ts';
import { createForge } from '../../src/forge/index.ts';
import type { Forge } from '../../src/forge/types.ts';
import { runRollback, type RollbackOptions } from '../../src/runner/rollback/index.ts';
import { readImprovements, readState } from '../../src/runner/state/index.ts';
import type { Improver } from '../../src/runner/types.ts';
import { runWorkflow } from '../../src/runner/workflow/run.ts';
import type { Logger } from '../../src/util/logger.ts';
import {
  DOC_EDIT,
  capturedLogger,
  git,
  planFor,
  sandbox,
  targetSpec,
  type Sandbox,
} from './support.ts';

const TOKEN = 'ghp_RollbackRunnerToken7788Distinct';
let gh: GitHubDouble;
let ollama: OllamaDouble;
let sb: Sandbox;
beforeAll(async () => {
  gh = await startGitHubDouble({ token: TOKEN });
  ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
});
afterAll(async () => {
  await gh.close();
  await ollama.close();
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
  sb?.cleanup();
});

// A rollback never consults the model.
const NO_IMPROVER: Improver = {
  provider: 'none',
  propose: () => Promise.reject(new Error('a rollback must not ask the improver')),
  repair: () => Promise.reject(new Error('a rollback must not ask the improver')),
};

type Rb = { id: string; commit?: string; run?: string; resetWorkBranch?: boolean };
let repoCount = 0;

function githubRepo(): {
  repo: string;
  forge: (logger: Logger) => Forge;
  over: Record<string, unknown>;
} {
  const repo = `rb${++repoCount}`;
  gh.addRepo('acme', repo, { bareRepoPath: sb.bare });
  return {
    repo,
    over: { repository: { provider: 'github', apiUrl: gh.url } },
    forge: (logger) =>
      createForge({
        provider: 'github',
        repoUrl: `https://github.com/acme/${repo}.git`,
        apiUrl: gh.url,
        token: TOKEN,
        logger,
        tuning: { spaceWrites: false, retryBaseMs: 1, retries: 1 },
      }),
  };
}

async function rollback(rb: Rb, gitHub?: ReturnType<typeof githubRepo>, opts?: RollbackOptions) {
  const { logger, lines } = capturedLogger();
  const spec = targetSpec(sb.url, gitHub?.over ?? {});
  const input = {
    target: { name: 'demo', spec },
    run: {
      name: 'demo-rb',
      spec: { targetRef: { name: 'demo' }, trigger: 'rollback' as const, rollback: rb },
    },
    workspace: sb.workspace,
    token: gitHub ? TOKEN : undefined,
  };
  const deps = {
    forge: gitHub
      ? gitHub.forge(logger)
      : createForge({ provider: 'git', repoUrl: sb.url, logger }),
    improver: NO_IMPROVER,
    logger,
    applyEdits,
  };
  // Through the workflow's dispatch, unless the test needs the lease hook.
  const { outcome } = opts ? await runRollback(input, deps, opts) : await runWorkflow(input, deps);
  return { outcome, logs: lines() };
}

/** An improvement run of the real workflow (plain git, no auto-merge). */
async function improvementRun(name: string) {
  const { logger } = capturedLogger();
  ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
  const spec = targetSpec(sb.url, { model: { host: ollama.url }, autoMerge: false });
  const { outcome } = await runOnce(
    {
      target: { name: 'demo', spec },
      run: { name, spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
      workspace: sb.workspace,
    },
    { logger, ollamaHost: ollama.url },
  );
  expect(outcome.phase).toBe('Succeeded');
  return outcome.commit!;
}

/** A human commit pushed to branch; returns its sha. */
function humanCommit(dir: string, branch: string, file: string, text: string, message: string) {
  git(dir, ['checkout', '--quiet', branch]);
  git(dir, ['pull', '--quiet', '--ff-only', 'origin', branch]);
  writeFileSync(join(dir, file), text);
  git(dir, ['add', file]);
  git(dir, ['commit', '--quiet', '-m', message]);
  git(dir, ['push', '--quiet', 'origin', branch]);
  return git(dir, ['rev-parse', 'HEAD']);
}

const refs = () => git(sb.bare, ['for-each-ref']);
const today = () => new Date().toISOString().slice(0, 10);

describe('rollback of a commit', () => {
  it('reverts an improvement on the work branch and marks its IMPROVEMENTS.md entry', async () => {
    sb = sandbox();
    const mainBefore = sb.sha('main');
    const improvement = await improvementRun('demo-1');
    // The improvement commit carries the run trailer.
    expect(git(sb.bare, ['log', '-1', '--format=%B', improvement])).toMatch(
      /\n\nOpencode-Run: demo-1\n*$/,
    );
    // A human annotates the entry; that text must survive the rollback byte for byte.
    const human = sb.humanClone();
    const improvementsPath = '.opencode/IMPROVEMENTS.md';
    git(human, ['checkout', '--quiet', 'develop']);
    const annotated = `${sb.show('develop', improvementsPath)!.trimEnd()}\n\nReviewed by Alice: fine.\n`;
    humanCommit(human, 'develop', improvementsPath, annotated, 'docs: review note');

    const { outcome } = await rollback({ id: 'r1', commit: improvement.slice(0, 7) });
    expect(outcome).toMatchObject({
      phase: 'Succeeded',
      branch: 'develop',
      commit: sb.sha('develop'),
      tests: { command: 'node --test', passed: true },
    });
    expect(outcome.pullRequest).toBeUndefined();
    expect(sb.log('develop').slice(0, 3)).toEqual([
      'chore(opencode): record rollback r1',
      'revert: docs(math): Document add',
      'docs: review note',
    ]);
    const revertBody = git(sb.bare, ['log', '-1', '--format=%B', 'develop~1']);
    expect(revertBody).toContain(`This reverts commit ${improvement}.`);
    expect(revertBody).toMatch(/Rollback: r1\n+Opencode-Run: demo-rb/);
    expect(sb.show('develop', 'src/math.js')).toBe(sb.show('main', 'src/math.js'));
    // The entry is marked; everything else, the human note included, is unchanged.
    const after = sb.show('develop', improvementsPath)!;
    const [entry] = readImprovements(after);
    expect(entry).toMatchObject({ title: 'Document add', reverted: true, run: 'demo-1' });
    expect(entry!.fields.reverted).toBe(`${today()} by demo-rb (rollback r1)`);
    expect(after.replace(/\n- \*\*Reverted\*\*: [^\n]*/, '')).toBe(annotated);
    const state = readState(sb.show('develop', '.opencode/STATE.md')!);
    expect(state.status).toBe('Rolled back (r1)');
    expect(state.recentChanges[0]).toBe(
      `${today()}: rollback r1 by demo-rb: reverted ${improvement.slice(0, 7)} on develop`,
    );
    expect(sb.sha('main')).toBe(mainBefore);
  });

  it('undoes a commit that already reached main through a revert PR, never touching main', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const gitHub = githubRepo();
    const human = sb.humanClone();
    const onMain = humanCommit(human, 'main', 'NOTES.md', 'notes\n', 'docs: add notes');
    const refsBefore = refs();
    const mainBefore = sb.sha('main');

    const { outcome } = await rollback({ id: 'r2', commit: onMain }, gitHub);
    const branch = `revert/${onMain.slice(0, 7)}`;
    const [pr] = gh.pulls('acme', gitHub.repo);
    expect(pr).toMatchObject({ head: branch, base: 'main', state: 'open' });
    expect(pr!.title).toBe('Revert "docs: add notes"');
    expect(pr!.body).toContain(`${onMain.slice(0, 12)} docs: add notes`);
    expect(outcome).toMatchObject({
      phase: 'Succeeded',
      branch,
      commit: sb.sha(branch),
      pullRequest: { number: pr!.number, merged: false },
    });
    // main untouched; the revert branch sits on main and removes the file.
    expect(sb.sha('main')).toBe(mainBefore);
    expect(git(sb.bare, ['rev-parse', `${branch}~1`])).toBe(mainBefore);
    expect(sb.show(branch, 'NOTES.md')).toBeUndefined();
    expect(sb.log(branch)[0]).toBe('revert: docs: add notes');
    // The rollback is recorded on the work branch, with the PR.
    const state = readState(sb.show('develop', '.opencode/STATE.md')!);
    expect(state.recentChanges[0]).toContain(`revert PR #${pr!.number} to main`);
    const changed = refs()
      .split('\n')
      .filter((l) => !refsBefore.includes(l));
    expect(changed.map((l) => l.split('\t')[1])).toEqual([
      'refs/heads/develop',
      `refs/heads/${branch}`,
    ]);
  });

  it('with plain git, refuses a commit that reached main and pushes nothing', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const onMain = humanCommit(sb.humanClone(), 'main', 'NOTES.md', 'notes\n', 'docs: add notes');
    const before = refs();
    const { outcome } = await rollback({ id: 'r3', commit: onMain });
    expect(outcome.phase).toBe('Failed');
    expect(outcome.failure?.reason).toBe('RollbackFailed');
    expect(outcome.failure?.message).toMatch(
      /already reached main.*a human must revert it on main/,
    );
    expect(refs()).toBe(before);
  });
});

describe('rollback of a run', () => {
  it('reverts every commit the run made (the newest reverted first) in one push, and keeps human commits', async () => {
    sb = sandbox();
    const first = await improvementRun('demo-1');
    const human = sb.humanClone();
    humanCommit(human, 'develop', 'HUMAN.md', 'human\n', 'docs: human work');
    // A second commit of the same run (e.g. a follow-up fix), carrying its trailer.
    const second = humanCommit(
      human,
      'develop',
      'src/extra.js',
      'export const extra = 1;\n',
      'feat(extra): add extra\n\nOpencode-Run: demo-1',
    );
    // A commit of another run is left alone.
    humanCommit(human, 'develop', 'OTHER.md', 'x\n', 'docs: other\n\nOpencode-Run: demo-10');
    const developBefore = sb.sha('develop')!;

    const { outcome } = await rollback({ id: 'r4', run: 'demo-1' });
    expect(outcome).toMatchObject({
      phase: 'Succeeded',
      branch: 'develop',
      commit: sb.sha('develop'),
    });
    // One push: the three new commits sit directly on the old tip.
    expect(git(sb.bare, ['rev-parse', 'develop~3'])).toBe(developBefore);
    expect(sb.log('develop').slice(0, 3)).toEqual([
      'chore(opencode): record rollback r4',
      'revert: docs(math): Document add',
      'revert: feat(extra): add extra',
    ]);
    expect(git(sb.bare, ['log', '-1', '--format=%B', 'develop~2'])).toContain(second);
    expect(git(sb.bare, ['log', '-1', '--format=%B', 'develop~1'])).toContain(first);
    expect(sb.show('develop', 'src/extra.js')).toBeUndefined();
    expect(sb.show('develop', 'src/math.js')).toBe(sb.show('main', 'src/math.js'));
    expect(sb.show('develop', 'HUMAN.md')).toBe('human\n');
    expect(sb.show('develop', 'OTHER.md')).toBe('x\n');
    expect(readImprovements(sb.show('develop', '.opencode/IMPROVEMENTS.md')!)[0]).toMatchObject({
      reverted: true,
      fields: expect.objectContaining({ reverted: `${today()} by demo-rb (rollback r4)` }),
    });
  });
});

describe('reset of the work branch', () => {
  it('resets develop to main with a lease and closes the open PR with a comment', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const gitHub = githubRepo();
    humanCommit(sb.humanClone(), 'develop', 'WIP.md', 'wip\n', 'docs: wip');
    const { logger } = capturedLogger();
    const pr = await gitHub.forge(logger).createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 'OpenCode: improvements from develop',
      body: 'x',
    });
    const mainBefore = sb.sha('main');

    const { outcome } = await rollback({ id: 'r5', resetWorkBranch: true }, gitHub);
    expect(outcome).toMatchObject({ phase: 'Succeeded', branch: 'develop', commit: mainBefore });
    expect(outcome.message).toContain(`closed PR #${pr.number}`);
    expect(sb.sha('develop')).toBe(mainBefore);
    expect(sb.sha('main')).toBe(mainBefore);
    const closed = gh.pulls('acme', gitHub.repo).find((p) => p.number === pr.number)!;
    expect(closed.state).toBe('closed');
    expect(closed.merged).toBe(false);
    expect(closed.comments.at(-1)?.body).toMatch(/Closed by rollback `r5`.*reset to `main`/);
  });

  it('does not overwrite a work branch that moved after it was fetched (the lease holds)', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const human = sb.humanClone();
    humanCommit(human, 'develop', 'WIP.md', 'wip\n', 'docs: wip');
    let raced = '';
    const { outcome } = await rollback({ id: 'r6', resetWorkBranch: true }, undefined, {
      beforeLeasePush: async () => {
        raced = humanCommit(human, 'develop', 'LATE.md', 'late\n', 'docs: pushed meanwhile');
      },
    });
    expect(outcome.phase).toBe('Failed');
    expect(outcome.failure?.reason).toBe('PushFailed');
    expect(outcome.failure?.message).toMatch(/develop moved on the remote/);
    expect(sb.sha('develop')).toBe(raced);
  });
});

describe('rollbacks that must push nothing', () => {
  it('an unknown commit ends RollbackTargetNotFound', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const before = refs();
    const { outcome } = await rollback({ id: 'r7', commit: 'deadbeefdeadbeef' });
    expect(outcome.failure).toEqual({
      reason: 'RollbackTargetNotFound',
      message:
        'commit deadbeefdeadbeef does not exist in the repository (or the short sha is ambiguous)',
    });
    expect(refs()).toBe(before);
  });

  it('a commit on no tracked branch ends RollbackTargetNotFound', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const human = sb.humanClone();
    git(human, ['checkout', '--quiet', '-b', 'elsewhere']);
    writeFileSync(join(human, 'X.md'), 'x\n');
    git(human, ['add', 'X.md']);
    git(human, ['commit', '--quiet', '-m', 'docs: elsewhere']);
    git(human, ['push', '--quiet', 'origin', 'elsewhere']);
    const other = git(human, ['rev-parse', 'HEAD']);
    const before = refs();
    const { outcome } = await rollback({ id: 'r8', commit: other });
    expect(outcome.failure?.reason).toBe('RollbackTargetNotFound');
    expect(outcome.failure?.message).toBe(`commit ${other} is not on develop or main`);
    expect(refs()).toBe(before);
  });

  it('an unknown run ends RollbackTargetNotFound', async () => {
    sb = sandbox();
    await improvementRun('demo-1');
    const before = refs();
    const { outcome } = await rollback({ id: 'r9', run: 'demo-404' });
    expect(outcome.failure).toEqual({
      reason: 'RollbackTargetNotFound',
      message: 'no commit of run demo-404 was found on develop or main',
    });
    expect(refs()).toBe(before);
  });

  it('a conflicting revert ends RollbackFailed', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const human = sb.humanClone();
    const first = humanCommit(human, 'develop', 'NOTES.md', 'one\n', 'docs: notes one');
    humanCommit(human, 'develop', 'NOTES.md', 'two\n', 'docs: notes two');
    const before = refs();
    const { outcome } = await rollback({ id: 'r10', commit: first });
    expect(outcome.failure?.reason).toBe('RollbackFailed');
    expect(outcome.failure?.message).toBe(
      `reverting ${first.slice(0, 7)} (docs: notes one) conflicts with later changes on develop; nothing was pushed`,
    );
    expect(refs()).toBe(before);
  });

  it('a revert that breaks the tests ends RollbackFailed', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    const human = sb.humanClone();
    git(human, ['checkout', '--quiet', 'develop']);
    const feature = humanCommit(
      human,
      'develop',
      'src/sub.js',
      'export const sub = (a, b) => a - b;\n',
      'feat(sub): add sub',
    );
    // A later test depends on the commit being rolled back.
    humanCommit(
      human,
      'develop',
      'test/sub.test.js',
      "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { sub } from '../src/sub.js';\ntest('sub', () => assert.equal(sub(3, 1), 2));\n",
      'test(sub): cover sub',
    );
    const before = refs();
    const { outcome } = await rollback({ id: 'r11', commit: feature });
    expect(outcome.failure).toEqual({
      reason: 'RollbackFailed',
      message: 'tests fail after the revert on develop; nothing was pushed',
    });
    expect(outcome.tests).toMatchObject({ command: 'node --test', passed: false });
    expect(refs()).toBe(before);
  });
});
