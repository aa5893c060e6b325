// The GitHub forge end to end against the OpenAPI-validated GitHub double,
// with a real bare repository behind the pull requests.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { createForge } from '../../src/forge/index.ts';
import type { GitHubForge } from '../../src/forge/github/index.ts';
import { advanceMerge, type MergePolicy } from '../../src/forge/merge-gate.ts';
import { ExternalServiceError } from '../../src/util/errors.ts';
import { capturingLogger, createBareRepo, FAST, type BareRepo } from './support.ts';

const TOKEN = 'ghp_forgeSuiteToken0123456789abcdef';
const OWNER = 'acme';
const REPO = 'api-server';

let gh: GitHubDouble;
let repo: BareRepo;
let logs: ReturnType<typeof capturingLogger>;

function forge(token = TOKEN): GitHubForge {
  return createForge({
    provider: 'github',
    repoUrl: `https://github.com/${OWNER}/${REPO}.git`,
    apiUrl: gh.url,
    token,
    logger: logs.logger,
    tuning: FAST,
  }) as GitHubForge;
}

beforeAll(async () => {
  gh = await startGitHubDouble({ token: TOKEN });
});
afterAll(async () => {
  await gh.close();
});

beforeEach(() => {
  // A fresh repository per test: the double keys state by owner/repo.
  repo = createBareRepo();
  repo.commit('develop', 'a.txt', 'one\n', 'feat: one');
  logs = capturingLogger();
  gh.addRepo(OWNER, REPO, { bareRepoPath: repo.bare });
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
  expect(logs.output()).not.toContain(TOKEN);
  repo.cleanup();
});

describe('issues', () => {
  it('lists open issues carrying any of the labels, without pull requests or other labels', async () => {
    const p0 = gh.addIssue(OWNER, REPO, { title: 'leak', labels: ['opencode-priority'] });
    const bug = gh.addIssue(OWNER, REPO, {
      title: 'crash',
      body: 'stack',
      labels: ['opencode-bug'],
    });
    gh.addIssue(OWNER, REPO, { title: 'why?', labels: ['opencode-question'] });
    const f = forge();
    const pr = await f.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 't',
      body: 'b',
    });
    gh.labelPull(OWNER, REPO, pr.number, 'opencode-priority');

    const issues = await f.listOpenIssues(['opencode-priority', 'opencode-bug']);
    expect(issues.map((i) => i.number)).toEqual([p0, bug]);
    expect(issues[1]).toMatchObject({ title: 'crash', body: 'stack', labels: ['opencode-bug'] });
    expect(issues[1]?.url).toContain(`/issues/${bug}`);
  });

  it('reuses the cached list on 304 without spending rate limit, and sees changes', async () => {
    gh.addIssue(OWNER, REPO, { title: 'p', labels: ['opencode-priority'] });
    const f = forge();
    const first = await f.listOpenIssues(['opencode-priority']);
    const before = gh.rateLimitRemaining();
    const second = await f.listOpenIssues(['opencode-priority']);
    expect(second).toEqual(first);
    expect(gh.rateLimitRemaining()).toBe(before);
    expect(f.notModifiedCount).toBe(1);
    expect(gh.requests.at(-1)).toMatchObject({ method: 'GET', status: 304 });

    gh.addIssue(OWNER, REPO, { title: 'q', labels: ['opencode-priority'] });
    const third = await f.listOpenIssues(['opencode-priority']);
    expect(third.map((i) => i.title)).toEqual(['p', 'q']);
    expect(gh.rateLimitRemaining()).toBe(before - 1);
  });

  it('opens a question issue once, then comments on it', async () => {
    const f = forge();
    const input = {
      title: 'OpenCode needs help',
      body: 'failed 3 times',
      labels: ['opencode-question'],
    };
    const opened = await f.openOrCommentIssue(input);
    const again = await f.openOrCommentIssue({ ...input, body: 'failed 4 times' });
    expect(again.number).toBe(opened.number);
    const issues = gh.issues(OWNER, REPO);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      title: input.title,
      labels: ['opencode-question'],
      body: 'failed 3 times',
    });
    expect(issues[0]?.comments.map((c) => c.body)).toEqual(['failed 4 times']);
  });
});

describe('pull requests', () => {
  it('creates, then updates the same pull request (idempotent)', async () => {
    const f = forge();
    const a = await f.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 'one',
      body: 'x',
    });
    const b = await f.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 'two',
      body: 'y',
    });
    expect(b.number).toBe(a.number);
    expect(gh.pulls(OWNER, REPO)).toHaveLength(1);
    expect(gh.pulls(OWNER, REPO)[0]).toMatchObject({ title: 'two', body: 'y', state: 'open' });
    expect(b).toMatchObject({ head: 'develop', base: 'main', state: 'open', merged: false });
    expect(b.headSha).toBe(repo.bareGit('rev-parse', 'develop'));

    expect((await f.listOpenPullRequests('develop')).map((p) => p.number)).toEqual([a.number]);
    expect(await f.listOpenPullRequests('autonomous/')).toEqual([]);
    expect((await f.getPullRequest(a.number)).title).toBe('two');
  });

  it('reports a head branch that does not exist as a validation failure', async () => {
    const err = await forge()
      .createOrUpdatePullRequest({ head: 'nope', base: 'main', title: 't', body: 'b' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalServiceError);
    expect((err as ExternalServiceError).reason).toBe('ForgeValidationFailed');
  });

  it('closes a pull request with a comment', async () => {
    const f = forge();
    const pr = await f.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 't',
      body: 'b',
    });
    await f.closePullRequest(pr.number, 'superseded');
    const rec = gh.pulls(OWNER, REPO)[0];
    expect(rec?.state).toBe('closed');
    expect(rec?.comments.map((c) => c.body)).toEqual(['superseded']);
    expect(await f.listOpenPullRequests('develop')).toEqual([]);
  });
});

describe('checks and merging', () => {
  it('combines commit statuses and check runs', async () => {
    const f = forge();
    const sha = repo.bareGit('rev-parse', 'develop');
    expect(await f.checksState(sha)).toBe('none');
    gh.setCommitStatus(OWNER, REPO, sha, 'pending', 'ci');
    expect(await f.checksState(sha)).toBe('pending');
    gh.setCommitStatus(OWNER, REPO, sha, 'success', 'ci');
    expect(await f.checksState(sha)).toBe('success');
    gh.addCheckRun(OWNER, REPO, sha, { name: 'build', status: 'in_progress' });
    expect(await f.checksState(sha)).toBe('pending');
    gh.addCheckRun(OWNER, REPO, sha, { name: 'build', status: 'completed', conclusion: 'failure' });
    expect(await f.checksState(sha)).toBe('failure');
    gh.addCheckRun(OWNER, REPO, sha, { name: 'build', status: 'completed', conclusion: 'success' });
    gh.addCheckRun(OWNER, REPO, sha, { name: 'docs', status: 'completed', conclusion: 'skipped' });
    expect(await f.checksState(sha)).toBe('success');
    gh.setCommitStatus(OWNER, REPO, sha, 'error', 'lint');
    expect(await f.checksState(sha)).toBe('failure');
    expect(await f.checksState('develop')).toBe('failure');
  });
});

describe('the merge gate on GitHub', () => {
  const T0 = Date.parse('2026-12-05T10:00:00Z');
  const GRACE = 30_000;
  const policy = (over: Partial<MergePolicy> = {}): MergePolicy => ({
    method: 'squash',
    checkGraceMs: GRACE,
    requireChecks: true,
    ...over,
  });
  const openPr = (f: GitHubForge) =>
    f.createOrUpdatePullRequest({ head: 'develop', base: 'main', title: 'feat: one', body: 'b' });
  let mark = 0;
  beforeEach(() => {
    mark = gh.requests.length;
  });
  const mergeRequests = () =>
    gh.requests
      .slice(mark)
      .filter((r) => (r.method === 'PUT' && r.path.endsWith('/merge')) || r.path === '/graphql');

  it('does not race a status that reports 30 s after the push, and merges once it is green', async () => {
    const f = forge();
    const mainBefore = repo.bareGit('rev-parse', 'main');
    const pr = await openPr(f);
    // Right after the push: nothing has reported yet. Not "none, so merge".
    let step = await advanceMerge(f, pr.number, policy(), undefined, T0);
    expect(step).toMatchObject({
      state: 'Waiting',
      headSha: pr.headSha,
      headSeenAt: T0,
      recheckAt: T0 + GRACE,
    });
    const seen = { headSha: step.headSha, at: step.headSeenAt };
    step = await advanceMerge(f, pr.number, policy(), seen, T0 + GRACE - 1);
    expect(step.state).toBe('Waiting');
    // CI registers at +30 s and runs.
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'pending', 'ci/test');
    step = await advanceMerge(f, pr.number, policy(), seen, T0 + GRACE + 1);
    expect(step).toMatchObject({ state: 'Waiting', message: expect.stringContaining('ci/test') });
    expect(mergeRequests()).toEqual([]);
    expect(repo.bareGit('rev-parse', 'main')).toBe(mainBefore);
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'ci/test');
    step = await advanceMerge(f, pr.number, policy(), seen, T0 + GRACE + 2);
    expect(step).toMatchObject({ state: 'Merged', mergedAt: expect.any(String) });
    // Squash, of exactly the head that was checked.
    expect(repo.bareGit('rev-parse', 'main^')).toBe(mainBefore);
    expect(repo.bareGit('log', '-1', '--format=%s', 'main')).toBe(`feat: one (#${pr.number})`);
    const merged = await f.listMergedPullRequests('develop', 'main');
    expect(merged.map((p) => p.number)).toEqual([pr.number]);
  });

  it('with no check at all after the grace period: waits, unless requireChecks is false', async () => {
    const f = forge();
    const pr = await openPr(f);
    const seen = { headSha: pr.headSha, at: T0 };
    const waiting = await advanceMerge(f, pr.number, policy(), seen, T0 + GRACE + 1);
    expect(waiting).toMatchObject({
      state: 'Waiting',
      message: expect.stringContaining('requireChecks'),
    });
    expect(mergeRequests()).toEqual([]);
    const step = await advanceMerge(
      f,
      pr.number,
      policy({ method: 'merge', requireChecks: false }),
      seen,
      T0 + GRACE + 1,
    );
    expect(step.state).toBe('Merged');
    expect(repo.bareGit('rev-list', '--parents', '-n', '1', 'main').split(' ')).toHaveLength(3);
  });

  it('blocks on a red check, whatever the others say', async () => {
    const f = forge();
    const mainBefore = repo.bareGit('rev-parse', 'main');
    const pr = await openPr(f);
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'ci');
    gh.addCheckRun(OWNER, REPO, pr.headSha, {
      name: 'tests',
      status: 'completed',
      conclusion: 'failure',
    });
    const step = await advanceMerge(f, pr.number, policy({ checkGraceMs: 0 }), undefined, T0);
    expect(step).toMatchObject({ state: 'Blocked', message: expect.stringContaining('tests') });
    expect(mergeRequests()).toEqual([]);
    expect(gh.pulls(OWNER, REPO)[0]).toMatchObject({
      state: 'open',
      merged: false,
      autoMerge: null,
    });
    expect(repo.bareGit('rev-parse', 'main')).toBe(mainBefore);
  });

  it('updates a pull request behind main, then waits for checks on the updated head before merging', async () => {
    const f = forge();
    const pr = await openPr(f);
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'ci');
    const humanOnMain = repo.commit('main', 'b.txt', 'two\n', 'feat: two, by a human');
    let step = await advanceMerge(f, pr.number, policy({ checkGraceMs: 0 }), undefined, T0);
    expect(step).toMatchObject({
      state: 'Updating',
      message: expect.stringContaining('1 commit(s) behind main'),
    });
    expect(mergeRequests()).toEqual([]);
    // The forge merged main into the head: a new head, which no check has seen.
    const newHead = repo.bareGit('rev-parse', 'develop');
    expect(newHead).not.toBe(pr.headSha);
    expect(repo.bareGit('merge-base', '--is-ancestor', humanOnMain, newHead)).toBe('');
    const seen = { headSha: step.headSha, at: step.headSeenAt };
    step = await advanceMerge(f, pr.number, policy(), seen, T0 + 1000);
    expect(step).toMatchObject({ state: 'Waiting', headSha: newHead, headSeenAt: T0 + 1000 });
    // The old head's green status does not carry over.
    step = await advanceMerge(
      f,
      pr.number,
      policy(),
      { headSha: newHead, at: T0 + 1000 },
      T0 + 1000 + GRACE + 1,
    );
    expect(step.state).toBe('Waiting');
    expect(mergeRequests()).toEqual([]);
    gh.setCommitStatus(OWNER, REPO, newHead, 'success', 'ci');
    step = await advanceMerge(
      f,
      pr.number,
      policy(),
      { headSha: newHead, at: T0 + 1000 },
      T0 + 1000 + GRACE + 2,
    );
    expect(step.state).toBe('Merged');
    expect(repo.bareGit('show', 'main:b.txt')).toBe('two');
    expect(repo.bareGit('show', 'main:a.txt')).toBe('one');
  });

  it('blocks when main cannot be brought into the branch (conflicts)', async () => {
    const f = forge();
    repo.commit('main', 'a.txt', 'main side\n', 'conflicting change');
    const pr = await openPr(f);
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'ci');
    const step = await advanceMerge(f, pr.number, policy({ checkGraceMs: 0 }), undefined, T0);
    expect(step).toMatchObject({ state: 'Blocked', message: expect.stringContaining('conflict') });
    expect(gh.pulls(OWNER, REPO)[0]?.merged).toBe(false);
  });

  it("follows main's required checks: turns on the platform's auto-merge, which merges when they pass", async () => {
    gh.protectBranch(OWNER, REPO, 'main', ['ci/test']);
    const f = forge();
    const mainBefore = repo.bareGit('rev-parse', 'main');
    const pr = await openPr(f);
    // A required check decides at once: no grace period to wait out.
    let step = await advanceMerge(f, pr.number, policy({ method: 'rebase' }), undefined, T0);
    expect(step).toMatchObject({
      state: 'AutoMergeEnabled',
      message: expect.stringContaining('ci/test'),
    });
    expect(gh.pulls(OWNER, REPO)[0]?.autoMerge?.method).toBe('rebase');
    expect(repo.bareGit('rev-parse', 'main')).toBe(mainBefore);
    step = await advanceMerge(f, pr.number, policy(), { headSha: pr.headSha, at: T0 }, T0 + 1);
    expect(step).toMatchObject({
      state: 'Waiting',
      message: expect.stringContaining('auto-merge is on'),
    });
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'ci/test');
    step = await advanceMerge(f, pr.number, policy(), { headSha: pr.headSha, at: T0 }, T0 + 2);
    expect(step.state).toBe('Merged');
    expect(repo.bareGit('rev-parse', 'main')).toBe(pr.headSha);
  });

  it('waits for required checks when the repository does not allow auto-merge, and merges itself', async () => {
    gh.addRepo(OWNER, REPO, { bareRepoPath: repo.bare, allowAutoMerge: false });
    gh.protectBranch(OWNER, REPO, 'main', ['ci/test']);
    const f = forge();
    const pr = await openPr(f);
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'lint');
    let step = await advanceMerge(f, pr.number, policy(), undefined, T0);
    expect(step).toMatchObject({ state: 'Waiting', message: expect.stringContaining('ci/test') });
    expect(gh.pulls(OWNER, REPO)[0]).toMatchObject({
      state: 'open',
      merged: false,
      autoMerge: null,
    });
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'ci/test');
    step = await advanceMerge(f, pr.number, policy(), undefined, T0 + 1);
    expect(step.state).toBe('Merged');
  });
});

describe('approval on GitHub', () => {
  const T0 = Date.parse('2026-12-05T10:00:00Z');
  const gate: MergePolicy = { method: 'merge', checkGraceMs: 0, requireChecks: true };

  it('a change that needs approval opens as a labelled draft, waits for an approving review, then leaves draft and merges', async () => {
    const f = forge();
    const pr = await f.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 'feat: one',
      body: 'b',
      draft: true,
      labels: ['opencode-approval'],
    });
    expect(gh.pulls(OWNER, REPO)[0]).toMatchObject({ draft: true, labels: ['opencode-approval'] });
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'ci');
    let step = await advanceMerge(f, pr.number, gate, undefined, T0, true);
    expect(step).toMatchObject({ state: 'AwaitingApproval' });
    gh.reviewPull(OWNER, REPO, pr.number, 'ana', 'CHANGES_REQUESTED');
    step = await advanceMerge(f, pr.number, gate, undefined, T0, true);
    expect(step).toMatchObject({ state: 'Blocked', message: 'changes requested by ana' });
    gh.reviewPull(OWNER, REPO, pr.number, 'ana', 'APPROVED');
    gh.reviewPull(OWNER, REPO, pr.number, 'bo', 'COMMENTED');
    expect(await f.approval(pr.number)).toEqual({
      approvedBy: ['ana'],
      changesRequestedBy: [],
      draft: true,
    });
    step = await advanceMerge(f, pr.number, gate, undefined, T0, true);
    expect(step.state).toBe('Merged');
    expect(gh.pulls(OWNER, REPO)[0]).toMatchObject({ draft: false, merged: true });
    expect(repo.bareGit('show', 'main:a.txt')).toBe('one');
  });

  it('a draft is never merged without the approval step', async () => {
    const f = forge();
    const pr = await f.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 't',
      body: 'b',
      draft: true,
    });
    gh.setCommitStatus(OWNER, REPO, pr.headSha, 'success', 'ci');
    // The platform refuses (405): the gate waits instead of merging.
    expect((await advanceMerge(f, pr.number, gate, undefined, T0)).state).toBe('Waiting');
    expect(gh.pulls(OWNER, REPO)[0]?.merged).toBe(false);
  });
});

describe('failures', () => {
  it('maps a wrong token to ForgeUnauthorized without leaking either token', async () => {
    const wrong = 'ghp_wrongTokenValue987654321zyxwvu';
    const err = await forge(wrong)
      .listOpenIssues(['opencode-priority'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalServiceError);
    expect((err as ExternalServiceError).reason).toBe('ForgeUnauthorized');
    expect((err as ExternalServiceError).service).toBe('github');
    const dump = inspect(err, { depth: 12 }) + String((err as Error).stack);
    expect(dump).not.toContain(wrong);
    expect(dump).not.toContain(TOKEN);
    expect(logs.output()).toContain('ForgeUnauthorized');
    expect(logs.output()).not.toContain(wrong);
  });

  it('retries a 5xx a bounded number of times, then reports ForgeUnavailable', async () => {
    const f = forge();
    gh.failNext(1, 502);
    expect(await f.listOpenPullRequests('develop')).toEqual([]);

    const before = gh.requests.length;
    gh.failNext(50, 503);
    const err = await f.listOpenPullRequests('develop').catch((e: unknown) => e);
    gh.failNext(0, 0);
    expect((err as ExternalServiceError).reason).toBe('ForgeUnavailable');
    expect(gh.requests.length - before).toBe(3); // one try + two retries
  });

  it('reports an exhausted rate limit as ForgeRateLimited instead of waiting an hour', async () => {
    const limited = await startGitHubDouble({ token: TOKEN, rateLimit: 1 });
    try {
      limited.addRepo(OWNER, REPO);
      const f = createForge({
        provider: 'github',
        repoUrl: `git@github.com:${OWNER}/${REPO}.git`,
        apiUrl: limited.url,
        token: TOKEN,
        logger: logs.logger,
        tuning: FAST,
      });
      await f.listOpenPullRequests('develop');
      const err = await f.listOpenPullRequests('autonomous/').catch((e: unknown) => e);
      expect((err as ExternalServiceError).reason).toBe('ForgeRateLimited');
      expect(limited.violations).toEqual([]);
    } finally {
      await limited.close();
    }
  });
});
