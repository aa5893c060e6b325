// The workflow with the GitHub REST double (validated against GitHub's
// OpenAPI description) and the Ollama double: PR body, state files, auto-merge
// following the statuses, priority and question issues, maxOpenPullRequests,
// and the token never leaking into any file or log.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { startOllamaDouble, type OllamaDouble } from '../doubles/ollama/server.ts';
import { createForge } from '../../src/forge/index.ts';
import type { Forge } from '../../src/forge/types.ts';
import { applyEdits } from '../../src/runner/edits/index.ts';
import { createImprover, outcomeLine } from '../../src/runner/index.ts';
import { readImprovements } from '../../src/runner/state/index.ts';
import { runWorkflow } from '../../src/runner/workflow/run.ts';
import type { Logger } from '../../src/util/logger.ts';
import {
  BREAKING_EDIT,
  DOC_EDIT,
  capturedLogger,
  git,
  planFor,
  sandbox,
  targetSpec,
  type Sandbox,
} from './support.ts';

const TOKEN = 'ghp_Zq9DistinctiveRunnerToken4242';
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

let repoCount = 0;
function setup(opts: { withWorkBranch?: boolean } = {}) {
  sb = sandbox('node-basic', opts);
  const repo = `demo${++repoCount}`;
  gh.addRepo('acme', repo, { bareRepoPath: sb.bare, allowAutoMerge: true });
  return repo;
}

function forgeFor(repo: string, logger: Logger): Forge {
  return createForge({
    provider: 'github',
    repoUrl: `https://github.com/acme/${repo}.git`,
    apiUrl: gh.url,
    token: TOKEN,
    logger,
    tuning: { spaceWrites: false, retryBaseMs: 1, retries: 1 },
  });
}

/** CI reports this state for whatever head the merge gate asks about. */
function withCi(forge: Forge, repo: string, state: 'pending' | 'success'): Forge {
  return Object.assign(Object.create(forge) as Forge, {
    mergeFacts: async (n: number) => {
      gh.setCommitStatus('acme', repo, (await forge.getPullRequest(n)).headSha, state, 'ci/test');
      return forge.mergeFacts(n);
    },
  });
}

async function run(
  repo: string,
  over: Record<string, unknown> = {},
  ci?: 'pending' | 'success',
  /** The operator's count of failed runs in a row, as it passes it to a Job. */
  consecutiveFailures?: number,
) {
  const { logger, lines } = capturedLogger();
  const spec = targetSpec(sb.url, {
    repository: { provider: 'github', apiUrl: gh.url },
    model: { host: ollama.url },
    ...over,
  });
  const forge = forgeFor(repo, logger);
  const result = await runWorkflow(
    {
      target: { name: 'demo', spec, consecutiveFailures },
      run: { name: 'demo-7', spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
      workspace: sb.workspace,
      token: TOKEN,
    },
    {
      forge: ci ? withCi(forge, repo, ci) : forge,
      improver: await createImprover(spec, { logger }),
      logger,
      applyEdits,
    },
    { keepWorkdir: true },
  );
  return { ...result, logs: lines() };
}

describe('GitHub forge', () => {
  it('opens a PR with a meaningful body, records it, and merges only when checks turn green', async () => {
    const repo = setup();
    gh.protectBranch('acme', repo, 'main', ['ci/test']);
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { outcome } = await run(repo, { autoMerge: true }, 'pending');
    expect(outcome.phase).toBe('Succeeded');
    const [pr] = gh.pulls('acme', repo);
    expect(pr).toMatchObject({ head: 'develop', base: 'main', state: 'open', merged: false });
    expect(pr!.body).toContain('## What changed');
    expect(pr!.body).toContain('Document add (documentation, P3)');
    expect(pr!.body).toContain('`src/math.js`');
    expect(pr!.body).toContain('## Why\nExplain what add() does.');
    expect(pr!.body).toMatch(/## Test result\n`node --test` passed in [\d.]+s\./);
    expect(outcome.pullRequest).toMatchObject({ number: pr!.number, merged: false });
    expect(outcome.pullRequest?.url).toContain(`/pull/${pr!.number}`);
    // A required check still pending: platform auto-merge is enabled, nothing merged yet.
    expect(pr!.autoMerge).not.toBeNull();
    expect(outcome.pullRequest?.gate).toMatchObject({
      state: 'AutoMergeEnabled',
      message: expect.stringContaining('ci/test'),
      headSha: pr!.headSha,
    });
    expect(sb.show('main', 'src/math.js')).not.toContain('Adds two numbers');
    const entry = readImprovements(sb.show('develop', '.opencode/IMPROVEMENTS.md') ?? '')[0];
    expect(entry).toMatchObject({ pr: pr!.number, type: 'documentation' });
    expect(outcome.commit?.startsWith(entry!.commit!)).toBe(true);
    // Green: GitHub merges it.
    gh.setCommitStatus('acme', repo, sb.sha('develop')!, 'success', 'ci/test');
    expect(gh.pulls('acme', repo)[0]).toMatchObject({ merged: true });
    expect(sb.show('main', 'src/math.js')).toContain('/** Adds two numbers. */');
  });

  it('merges directly when the checks are already green and no grace period is asked for', async () => {
    const repo = setup();
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { outcome } = await run(
      repo,
      { autoMerge: true, merge: { checkGracePeriod: '0' } },
      'success',
    );
    expect(outcome.pullRequest).toMatchObject({ merged: true, gate: { state: 'Merged' } });
    expect(outcome.pullRequest?.mergedAt).toEqual(expect.any(String));
    expect(sb.show('main', 'src/math.js')).toContain('/** Adds two numbers. */');
  });

  it('does not merge right after the push when no check has registered yet', async () => {
    const repo = setup();
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { outcome } = await run(repo, { autoMerge: true });
    expect(outcome.phase).toBe('Succeeded');
    expect(outcome.pullRequest).toMatchObject({
      merged: false,
      gate: { state: 'Waiting', message: expect.stringContaining('to register') },
    });
    expect(gh.pulls('acme', repo)[0]).toMatchObject({
      state: 'open',
      merged: false,
      autoMerge: null,
    });
    expect(sb.show('main', 'src/math.js')).not.toContain('Adds two numbers');
  });

  it('a change policy.requireApproval lists opens as a labelled draft and is not merged, whatever CI says', async () => {
    const repo = setup();
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { outcome } = await run(
      repo,
      {
        autoMerge: true,
        merge: { checkGracePeriod: '0' },
        policy: { requireApproval: ['documentation'] },
      },
      'success',
    );
    expect(outcome.phase).toBe('Succeeded');
    expect(outcome.pullRequest).toMatchObject({
      merged: false,
      gate: { state: 'AwaitingApproval', message: expect.stringContaining('documentation P3') },
    });
    expect(gh.pulls('acme', repo)[0]).toMatchObject({
      draft: true,
      labels: ['opencode-approval'],
      merged: false,
    });
    expect(sb.show('main', 'src/math.js')).not.toContain('Adds two numbers');
  });

  it('picks a priority issue first and never touches a question issue', async () => {
    const repo = setup();
    const question = gh.addIssue('acme', repo, {
      title: 'Should add() accept strings?',
      body: 'src/math.js',
      labels: ['opencode-question'],
    });
    const bug = gh.addIssue('acme', repo, {
      title: 'multiply is wrong for negatives',
      labels: ['opencode-bug'],
    });
    const priority = gh.addIssue('acme', repo, {
      title: 'Document the add function in src/math.js',
      labels: ['opencode-priority'],
    });
    ollama.script([planFor(/^issue:/), DOC_EDIT]);
    const { outcome, report } = await run(repo, { autoMerge: false });
    const ids = (ollama.requests.at(-2)!.format as any).properties.candidateId.enum as string[];
    expect(ids[0]).toBe(`issue:${priority}`);
    expect(ids).not.toContain(`issue:${question}`);
    // Ramp-up level 0 holds back the bug fix; P0 passes.
    expect(ids).not.toContain(`issue:${bug}`);
    expect(report.blocked.map((b) => b.candidate.id)).toContain(`issue:${bug}`);
    expect(outcome).toMatchObject({
      phase: 'Succeeded',
      improvement: { issue: priority, priority: 'P0' },
    });
    expect(gh.pulls('acme', repo)[0]?.body).toContain(`Closes #${priority}`);
    const q = gh.issues('acme', repo).find((i) => i.number === question)!;
    expect(q.comments).toEqual([]);
    expect(q.state).toBe('open');
  });

  it('respects maxOpenPullRequests with autonomous branches', async () => {
    const repo = setup();
    const human = sb.humanClone();
    git(human, ['checkout', '--quiet', '-b', 'autonomous/earlier']);
    git(human, ['commit', '--quiet', '--allow-empty', '-m', 'earlier improvement']);
    git(human, ['push', '--quiet', 'origin', 'autonomous/earlier']);
    const { logger } = capturedLogger();
    await forgeFor(repo, logger).createOrUpdatePullRequest({
      head: 'autonomous/earlier',
      base: 'main',
      title: 'earlier',
      body: 'x',
    });
    const asked = ollama.requests.length;
    const { outcome } = await run(repo, {
      branches: { strategy: 'autonomous' },
      policy: { maxOpenPullRequests: 1 },
    });
    expect(outcome).toMatchObject({ phase: 'NoChange', noChangeReason: 'PolicyBlocked' });
    expect(ollama.requests.length).toBe(asked);
    expect(gh.pulls('acme', repo)).toHaveLength(1);
  });

  it('opens an autonomous/<slug> branch and PR per improvement', async () => {
    const repo = setup();
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { outcome } = await run(repo, { branches: { strategy: 'autonomous' }, autoMerge: false });
    expect(outcome.branch).toMatch(/^autonomous\/document-add-/);
    const [pr] = gh.pulls('acme', repo);
    expect(pr).toMatchObject({ head: outcome.branch, base: 'main', title: 'Document add' });
    expect(sb.sha('develop')).toBeUndefined();
  });

  describe('risk routing (autonomous)', () => {
    const routed = async (risk: Record<string, number>, autoMerge = false) => {
      const repo = setup();
      ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
      const { outcome } = await run(
        repo,
        {
          branches: { strategy: 'autonomous' },
          autoMerge,
          merge: { checkGracePeriod: '0' },
          policy: { risk },
        },
        autoMerge ? 'success' : undefined,
      );
      expect(outcome.phase).toBe('Succeeded');
      return { outcome, pr: gh.pulls('acme', repo)[0]! };
    };

    it('a low-risk change opens against main, and its pull request says why', async () => {
      const { outcome, pr } = await routed({});
      // A doc comment: its type holds it to comments, so only its size counts.
      expect(outcome.risk).toEqual({ score: 0, route: 'main', reasons: ['+0 type documentation'] });
      expect(pr).toMatchObject({ base: 'main', draft: false });
      expect(pr.body).toContain('## Risk\nScore 0 of 100: low risk, so it goes to main');
      expect(sb.sha('develop')).toBeUndefined();
    });

    it('a middling one opens against the work branch, which is made from main if missing', async () => {
      const { outcome, pr } = await routed({ mainBelow: 0 });
      expect(outcome.risk?.route).toBe('work');
      expect(pr).toMatchObject({ base: 'develop', head: outcome.branch, draft: false });
      expect(sb.sha('develop')).toBe(sb.sha('main'));
    });

    it('a risky one waits for a human, whatever CI says', async () => {
      const { outcome, pr } = await routed({ mainBelow: 0, approvalFrom: 0 }, true);
      expect(outcome.risk?.route).toBe('approval');
      expect(outcome.pullRequest).toMatchObject({
        merged: false,
        gate: {
          state: 'AwaitingApproval',
          message: 'waiting for a human to approve: risk 0 reaches policy.risk.approvalFrom 0',
        },
      });
      expect(pr).toMatchObject({ base: 'main', draft: true, labels: ['opencode-approval'] });
      expect(sb.show('main', 'src/math.js')).not.toContain('Adds two numbers');
    });
  });

  it('asks a human through a question issue after repeated failures, then comments on it', async () => {
    const repo = setup({ withWorkBranch: true });
    const over = { policy: { maxConsecutiveFailures: 2, rampUp: false } };
    const fail = () => {
      // A bugfix (the fixture's FIXME) that breaks the tests, twice.
      ollama.script([planFor(/^todo:src\/math\.js/), BREAKING_EDIT, BREAKING_EDIT]);
      return run(repo, over);
    };
    expect((await fail()).outcome.failure?.reason).toBe('TestsFailed');
    expect(gh.issues('acme', repo)).toEqual([]);
    const second = await fail();
    expect(second.outcome.message).toMatch(/2 failure\(s\) in a row; asked a human/);
    const [issue] = gh.issues('acme', repo);
    expect(issue).toMatchObject({ labels: ['opencode-question'], state: 'open' });
    expect(issue!.body).toContain('The last 2 improvement runs on `develop` failed.');
    await fail();
    expect(gh.issues('acme', repo)).toHaveLength(1);
    expect(gh.issues('acme', repo)[0]!.comments).toHaveLength(1);
    // Nothing but the state log reached the work branch, and no PR was opened.
    expect(sb.show('develop', 'src/math.js')).toBe(sb.show('main', 'src/math.js'));
    expect(gh.pulls('acme', repo)).toEqual([]);
  });

  it("counts failures from the operator's record, so an autonomous target asks a human too", async () => {
    const repo = setup();
    ollama.script([planFor(/^todo:src\/math\.js/), BREAKING_EDIT, BREAKING_EDIT]);
    const over = {
      branches: { strategy: 'autonomous' },
      policy: { maxConsecutiveFailures: 3, rampUp: false },
    };
    // Autonomous runs never push their failure log: STATE.md on main says 0; the operator says 2.
    const { outcome } = await run(repo, over, undefined, 2);
    expect(outcome.failure?.reason).toBe('TestsFailed');
    expect(outcome.message).toMatch(/3 failure\(s\) in a row; asked a human/);
    const [issue] = gh.issues('acme', repo);
    expect(issue).toMatchObject({ labels: ['opencode-question'], state: 'open' });
    expect(outcome.questionIssue).toEqual({
      number: issue!.number,
      url: expect.stringContaining(`/issues/${issue!.number}`),
    });
    expect(sb.sha('develop')).toBeUndefined();
  });

  it('never writes the token into any file, log, status line or forge object', async () => {
    const repo = setup({ withWorkBranch: true });
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const ok = await run(repo, { autoMerge: true }, 'success');
    expect(ok.outcome.phase).toBe('Succeeded');
    const encoded = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    const haystacks = [ok.logs, outcomeLine(ok.outcome), JSON.stringify(gh.pulls('acme', repo))];
    for (const h of haystacks) {
      expect(h).not.toContain(TOKEN);
      expect(h).not.toContain(encoded);
    }
    expect(ok.logs.length).toBeGreaterThan(100);
    let files = 0;
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else {
          files++;
          const text = readFileSync(p).toString('latin1');
          expect(text.includes(TOKEN) ? p : '').toBe('');
          expect(text.includes(encoded) ? p : '').toBe('');
        }
      }
    };
    walk(sb.root);
    // The kept work dir (with its .git), the bare remote and the seed were all read.
    expect(files).toBeGreaterThan(50);
    // The kept clone, besides the shared dependency cache; the test bench is gone.
    expect(readdirSync(sb.workspace).filter((e) => e !== '.cache')).toHaveLength(1);
  });
});
