// The Gitea forge's happy path against the Gitea double and a real bare repository.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/server.ts';
import { advanceMerge, type MergePolicy } from '../../src/forge/merge-gate.ts';
import { createForge } from '../../src/forge/index.ts';
import { ExternalServiceError } from '../../src/util/errors.ts';
import { capturingLogger, createBareRepo, FAST, type BareRepo } from './support.ts';

const TOKEN = 'gitea_suiteToken_0123456789abcdef';
let gt: GiteaDouble;
let repo: BareRepo;
const logs = capturingLogger();
const T0 = Date.parse('2026-12-05T10:00:00Z');
const gate: MergePolicy = { method: 'squash', checkGraceMs: 30_000, requireChecks: true };

beforeAll(async () => {
  gt = await startGiteaDouble({ token: TOKEN });
  repo = createBareRepo();
  repo.commit('develop', 'a.txt', 'one\n', 'feat: one');
  gt.addRepo('team', 'svc', { bareRepoPath: repo.bare });
});
afterAll(async () => {
  await gt.close();
  repo.cleanup();
});
afterEach(() => {
  expect(gt.violations).toEqual([]);
  expect(logs.output()).not.toContain(TOKEN);
});

const forge = (token = TOKEN) =>
  createForge({
    provider: 'gitea',
    repoUrl: `${'http'}://${new URL(gt.url).host}/team/svc.git`,
    token,
    logger: logs.logger,
    tuning: FAST,
  });

describe('gitea forge', () => {
  it('lists labelled issues, opens then comments a question issue', async () => {
    const p0 = gt.addIssue('team', 'svc', { title: 'leak', labels: ['opencode-priority'] });
    gt.addIssue('team', 'svc', { title: 'why', labels: ['opencode-question'] });
    const f = forge();
    expect(
      (await f.listOpenIssues(['opencode-priority', 'opencode-bug'])).map((i) => i.number),
    ).toEqual([p0]);

    const input = {
      title: 'Need a human',
      body: 'first',
      labels: ['opencode-question', 'opencode-new'],
    };
    const a = await f.openOrCommentIssue(input);
    const b = await f.openOrCommentIssue({ ...input, body: 'second' });
    expect(b.number).toBe(a.number);
    const rec = gt.issues('team', 'svc').find((i) => i.number === a.number);
    expect(rec?.labelNames).toEqual(['opencode-question', 'opencode-new']);
    expect(rec?.comments).toEqual(['second']);
  });

  it('creates and updates one pull request, schedules auto-merge while pending, merges when green', async () => {
    const f = forge();
    const mainBefore = repo.bareGit('rev-parse', 'main');
    const pr = await f.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 'one',
      body: 'b',
    });
    const same = await f.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 'two',
      body: 'b',
    });
    expect(same.number).toBe(pr.number);
    expect(gt.pulls('team', 'svc')).toHaveLength(1);
    expect(gt.pulls('team', 'svc')[0]?.title).toBe('two');
    expect(pr.headSha).toBe(repo.bareGit('rev-parse', 'develop'));
    expect((await f.listOpenPullRequests('develop')).map((p) => p.number)).toEqual([pr.number]);

    expect(await f.checksState(pr.headSha)).toBe('none');
    gt.setCommitStatus('team', 'svc', pr.headSha, 'pending', 'ci');
    expect(await f.checksState(pr.headSha)).toBe('pending');
    // Without a readable protection rule, the grace period decides: still running, so waiting.
    expect(await advanceMerge(f, pr.number, gate, undefined, T0)).toMatchObject({
      state: 'Waiting',
    });
    // With main requiring ci: Gitea's own "merge when checks succeed" is scheduled.
    gt.protectBranch('team', 'svc', 'main', ['ci']);
    expect(await advanceMerge(f, pr.number, gate, undefined, T0)).toMatchObject({
      state: 'AutoMergeEnabled',
    });
    // Asked again, Gitea answers 409 (already scheduled): still on.
    expect(await advanceMerge(f, pr.number, gate, undefined, T0)).toMatchObject({
      state: 'AutoMergeEnabled',
    });
    expect(repo.bareGit('rev-parse', 'main')).toBe(mainBefore);

    gt.setCommitStatus('team', 'svc', pr.headSha, 'success', 'ci');
    expect((await f.getPullRequest(pr.number)).merged).toBe(true);
    expect(repo.bareGit('rev-parse', 'main^')).toBe(mainBefore);
    expect(repo.bareGit('show', 'main:a.txt')).toBe('one');
    const merged = await f.listMergedPullRequests('develop', 'main');
    expect(merged.map((p) => p.number)).toEqual([pr.number]);
  });

  it('merges directly when green and never when a status failed', async () => {
    const f = forge();
    repo.commit('autonomous/docs', 'b.txt', 'b\n', 'docs: b');
    repo.commit('autonomous/bad', 'c.txt', 'c\n', 'fix: c');
    const good = await f.createOrUpdatePullRequest({
      head: 'autonomous/docs',
      base: 'main',
      title: 'docs',
      body: '',
    });
    const bad = await f.createOrUpdatePullRequest({
      head: 'autonomous/bad',
      base: 'main',
      title: 'bad',
      body: '',
    });
    gt.setCommitStatus('team', 'svc', good.headSha, 'success', 'ci');
    gt.setCommitStatus('team', 'svc', bad.headSha, 'failure', 'ci');
    expect(await f.checksState(bad.headSha)).toBe('failure');
    const merge = { ...gate, method: 'merge' as const };
    expect(
      await advanceMerge(f, bad.number, merge, { headSha: bad.headSha, at: T0 }, T0 + 60_000),
    ).toMatchObject({ state: 'Blocked' });
    // main moved (the first pull request merged) since the branch was cut: brought up to date first.
    expect(
      await advanceMerge(f, good.number, merge, { headSha: good.headSha, at: T0 }, T0 + 60_000),
    ).toMatchObject({ state: 'Updating' });
    const updated = repo.bareGit('rev-parse', 'autonomous/docs');
    gt.setCommitStatus('team', 'svc', updated, 'success', 'ci');
    expect(
      await advanceMerge(f, good.number, merge, { headSha: updated, at: T0 }, T0 + 60_000),
    ).toMatchObject({ state: 'Merged' });
    expect(gt.pulls('team', 'svc').find((p) => p.number === bad.number)?.merged).toBe(false);
    expect(repo.bareGit('show', 'main:b.txt')).toBe('b');
    expect((await f.listMergedPullRequests('autonomous/', 'main')).map((p) => p.head)).toEqual([
      'autonomous/docs',
    ]);
    await f.closePullRequest(bad.number, 'tests fail');
    expect(await f.listOpenPullRequests('autonomous/')).toEqual([]);
  });

  it('brings main into a pull request behind it, and merges only after checks on the new head', async () => {
    // main requires ci (set above).
    const f = forge();
    repo.git('fetch', '-q', 'origin');
    repo.git('checkout', '-q', '-B', 'autonomous/behind', 'origin/main');
    repo.commit('autonomous/behind', 'x.txt', 'x\n', 'feat: x');
    const pr = await f.createOrUpdatePullRequest({
      head: 'autonomous/behind',
      base: 'main',
      title: 'x',
      body: 'b',
    });
    gt.setCommitStatus('team', 'svc', pr.headSha, 'pending', 'ci');
    repo.git('checkout', '-q', '-B', 'main', 'origin/main');
    repo.commit('main', 'm.txt', 'm\n', 'a human commit on main');
    let step = await advanceMerge(f, pr.number, gate, undefined, T0);
    expect(step).toMatchObject({ state: 'Updating' });
    const newHead = repo.bareGit('rev-parse', 'autonomous/behind');
    expect(newHead).not.toBe(pr.headSha);
    // The old head's green does not count for the new one.
    gt.setCommitStatus('team', 'svc', pr.headSha, 'success', 'ci');
    step = await advanceMerge(
      f,
      pr.number,
      gate,
      { headSha: step.headSha, at: step.headSeenAt },
      T0 + 1,
    );
    expect(step).toMatchObject({ state: 'AutoMergeEnabled', headSha: newHead, headSeenAt: T0 + 1 });
    expect(gt.pulls('team', 'svc').find((p) => p.number === pr.number)?.merged).toBe(false);
    gt.setCommitStatus('team', 'svc', newHead, 'success', 'ci');
    step = await advanceMerge(f, pr.number, gate, { headSha: newHead, at: T0 + 1 }, T0 + 2);
    expect(step.state).toBe('Merged');
    expect(repo.bareGit('show', 'main:m.txt')).toBe('m');
    expect(repo.bareGit('show', 'main:x.txt')).toBe('x');
  });

  it('a change that needs approval opens as a labelled WIP draft and merges only after an approving review', async () => {
    const f = forge();
    repo.git('fetch', '-q', 'origin');
    repo.git('checkout', '-q', '-B', 'autonomous/approval', 'origin/main');
    repo.commit('autonomous/approval', 'y.txt', 'y\n', 'feat: y');
    const pr = await f.createOrUpdatePullRequest({
      head: 'autonomous/approval',
      base: 'main',
      title: 'feat: y',
      body: 'b',
      draft: true,
      labels: ['opencode-approval'],
    });
    const rec = () => gt.pulls('team', 'svc').find((p) => p.number === pr.number)!;
    expect(rec().title).toBe('WIP: feat: y');
    expect(rec().labels).toHaveLength(1);
    gt.setCommitStatus('team', 'svc', pr.headSha, 'success', 'ci');
    expect(await advanceMerge(f, pr.number, gate, undefined, T0, true)).toMatchObject({
      state: 'AwaitingApproval',
    });
    gt.reviewPull('team', 'svc', pr.number, 'ana', 'REQUEST_CHANGES');
    expect(await advanceMerge(f, pr.number, gate, undefined, T0, true)).toMatchObject({
      state: 'Blocked',
      message: 'changes requested by ana',
    });
    gt.reviewPull('team', 'svc', pr.number, 'ana', 'APPROVED');
    expect(await f.approval(pr.number)).toEqual({
      approvedBy: ['ana'],
      changesRequestedBy: [],
      draft: true,
    });
    expect((await advanceMerge(f, pr.number, gate, undefined, T0, true)).state).toBe('Merged');
    expect(rec()).toMatchObject({ title: 'feat: y', merged: true });
    expect(repo.bareGit('show', 'main:y.txt')).toBe('y');
  });

  it('maps a wrong token to ForgeUnauthorized without leaking it', async () => {
    const wrong = 'gitea_wrongToken_9876543210';
    const err = await forge(wrong)
      .listOpenPullRequests('develop')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExternalServiceError);
    expect((err as ExternalServiceError).reason).toBe('ForgeUnauthorized');
    expect((err as ExternalServiceError).service).toBe('gitea');
    expect(inspect(err, { depth: 12 })).not.toContain(wrong);
    expect(logs.output()).not.toContain(wrong);
  });
});
