// The operator and the forge: a new priority issue starts a run without
// waiting for the schedule, an unchanged issue list (304) starts nothing and
// costs no rate limit, a merged pull request is tracked into the runs and
// the target, and a rollback id becomes exactly one rollback run.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { ManualClock } from '../../src/kube/clock.ts';
import { createForge } from '../../src/forge/index.ts';
import type { Manager } from '../../src/operator/manager.ts';
import { createLogger } from '../../src/util/logger.ts';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { createDoubleTarget, doubleForgeFactory } from '../support/forge-target.ts';
import { installCrds, kubectlOk, useNamespace } from '../support/kube.ts';
import {
  createOwnedRun,
  events,
  getTarget,
  listRuns,
  moveClock,
  patchRunStatus,
  startManager,
} from '../support/operator.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { createBareRepo, type BareRepo } from '../forge/support.ts';

const ns = useNamespace('forge');
const TOKEN = 'ghp_forgeCheckToken0123456789abcdef';
let gh: GitHubDouble;
let clock: ManualClock;
let manager: Manager;

beforeAll(async () => {
  await installCrds();
  gh = await startGitHubDouble({ token: TOKEN });
  clock = new ManualClock(new Date());
  const h = startManager({ clock, namespaces: [ns()], forgeFactory: doubleForgeFactory(gh) });
  manager = h.manager;
  await h.started;
  // Created after the manager starts, so its first forge check happens at once.
  await createDoubleTarget(gh, {
    namespace: ns(),
    name: 'svc',
    token: TOKEN,
    forgeCheckInterval: '5m',
  });
});
afterAll(async () => {
  await manager?.stop();
  await gh?.close();
});

const runsOf = async () => (await listRuns(ns())).filter((r) => r.spec.targetRef.name === 'svc');
const checkedAt = async () => (await getTarget(ns(), 'svc')).status?.forge?.lastCheckTime as string;
async function nextCheck(): Promise<void> {
  const before = await checkedAt();
  await moveClock(manager, clock, new Date(clock.now().getTime() + 5 * 60_000 + 1000));
  await waitFor(async () => (await checkedAt()) !== before, { what: 'the next forge check' });
}

/** A forge client on the double's acme/<repo>, as a runner would have. */
const forgeFor = (repo: string) =>
  createForge({
    provider: 'github',
    repoUrl: `https://github.com/acme/${repo}.git`,
    apiUrl: gh.url,
    token: TOKEN,
    logger: createLogger({ level: 'silent' }),
    tuning: { retryBaseMs: 1, spaceWrites: false },
  });

/** Ends a run as Succeeded with an open pull request, the way a runner reports it. */
async function succeedWithPullRequest(
  name: string,
  pr: { number: number; url: string },
  completionTime: string,
  commit = 'abc1234',
  improvement: { type: string; priority: string } = { type: 'documentation', priority: 'P3' },
): Promise<void> {
  await patchRunStatus(ns(), name, {
    phase: 'Succeeded',
    startTime: completionTime,
    completionTime,
    commit,
    improvement: { ...improvement, title: 't' },
    pullRequest: { number: pr.number, url: pr.url, merged: false },
  });
}

/** Moves the clock by ms and waits for the target's next forge check. */
async function checkTargetAfter(target: string, ms: number): Promise<void> {
  const checked = async () =>
    (await getTarget(ns(), target)).status?.forge?.lastCheckTime as string;
  const before = await checked();
  await moveClock(manager, clock, new Date(clock.now().getTime() + ms));
  await waitFor(async () => (await checked()) !== before, { what: `a forge check of ${target}` });
}

/**
 * A target on the double backed by a real bare repository whose develop is
 * one commit ahead of main; body runs with it, and the repository is removed after.
 */
async function withBareTarget(
  name: string,
  spec: Record<string, unknown>,
  body: (repo: BareRepo) => Promise<void>,
): Promise<void> {
  const repo = createBareRepo();
  repo.commit('develop', 'a.txt', 'one\n', 'feat: one');
  try {
    await createDoubleTarget(gh, {
      namespace: ns(),
      name,
      token: TOKEN,
      forgeCheckInterval: '5m',
      repo: { bareRepoPath: repo.bare, allowAutoMerge: false },
      spec,
    });
    await body(repo);
  } finally {
    repo.cleanup();
  }
}

describe('priority issues', () => {
  test('a new priority issue starts one run within the interval; a question never does', async () => {
    gh.addIssue('acme', 'svc', {
      title: 'Just asking',
      labels: ['opencode-question', 'opencode-priority'],
    });
    const n = gh.addIssue('acme', 'svc', {
      title: 'SQL injection in /search',
      labels: ['opencode-priority'],
    });
    await nextCheck();
    const run = await waitFor(
      async () => (await runsOf()).find((r) => r.spec.trigger === 'priority-issue'),
      { what: 'priority run' },
    );
    expect(run.spec.issue).toBe(n);
    expect((await runsOf()).filter((r) => r.spec.trigger === 'priority-issue')).toHaveLength(1);
    expect((await getTarget(ns(), 'svc')).status.forge.handledIssues).toEqual([n]);
  });

  test('an unchanged issue list (304) starts nothing and costs no rate limit', async () => {
    await nextCheck(); // primes the ETag after the previous test's changes
    const runs = (await runsOf()).length;
    const from = gh.requests.length;
    const before = gh.rateLimitRemaining();
    await nextCheck();
    const during = gh.requests.slice(from);
    const issueLists = during.filter((r) => r.method === 'GET' && /\/issues(\?|$)/.test(r.path));
    expect(issueLists.length).toBeGreaterThan(0);
    expect(issueLists.every((r) => r.status === 304)).toBe(true);
    // Only the calls that were not 304 used up rate limit.
    expect(before - gh.rateLimitRemaining()).toBe(during.filter((r) => r.status !== 304).length);
    expect((await runsOf()).length).toBe(runs);
    expect(gh.violations).toEqual([]);
  });
});

describe('priority issues and the concurrency policy', () => {
  const runsFor = async (t: string) =>
    (await listRuns(ns())).filter((r) => r.spec.targetRef.name === t);

  test('under Forbid an issue waits for the active run, then starts without another forge check', async () => {
    await createDoubleTarget(gh, {
      namespace: ns(),
      name: 'busy',
      token: TOKEN,
      forgeCheckInterval: '5m',
    });
    const target = await getTarget(ns(), 'busy');
    await createOwnedRun(ns(), target, 'busy-manual', { trigger: 'manual' });
    const n = gh.addIssue('acme', 'busy', {
      title: 'Token in logs',
      labels: ['opencode-priority'],
    });
    await checkTargetAfter('busy', 5 * 60_000 + 1000);
    const waiting = await getTarget(ns(), 'busy');
    expect(waiting.status.forge.waitingIssues).toEqual([n]);
    expect((await runsFor('busy')).map((r) => r.spec.trigger)).toEqual(['manual']);
    await waitFor(
      async () =>
        (await events(ns(), 'RunSkipped')).some((e) =>
          e.message.startsWith(`priority issue #${n} waits: run busy-manual is still active`),
        ),
      { what: 'the RunSkipped Event' },
    );

    // The active run ends; the clock stays, so no forge check happens: the queue in status starts it.
    const checked = waiting.status.forge.lastCheckTime;
    const at = clock.now().toISOString();
    await patchRunStatus(ns(), 'busy-manual', {
      phase: 'Succeeded',
      startTime: at,
      completionTime: at,
    });
    const started = await waitFor(
      async () => (await runsFor('busy')).find((r) => r.spec.trigger === 'priority-issue'),
      { what: 'the priority run after the active run ended' },
    );
    expect(started.spec.issue).toBe(n);
    const after = await waitFor(
      async () => {
        const t = await getTarget(ns(), 'busy');
        return t.status.forge.handledIssues?.length ? t : undefined;
      },
      { what: 'the issue recorded as handled' },
    );
    expect(after.status.forge.lastCheckTime).toBe(checked);
    expect(after.status.forge.waitingIssues).toBeUndefined();
    expect(after.status.forge.handledIssues).toEqual([n]);
  });

  test('under Replace an issue replaces the active run at once', async () => {
    await createDoubleTarget(gh, {
      namespace: ns(),
      name: 'swap',
      token: TOKEN,
      forgeCheckInterval: '5m',
      spec: { concurrencyPolicy: 'Replace' },
    });
    await createOwnedRun(ns(), await getTarget(ns(), 'swap'), 'swap-manual', { trigger: 'manual' });
    const n = gh.addIssue('acme', 'swap', {
      title: 'XSS in /profile',
      labels: ['opencode-priority'],
    });
    await checkTargetAfter('swap', 5 * 60_000 + 1000);
    const runs = await waitFor(
      async () => {
        const all = await runsFor('swap');
        return all.some((r) => r.spec.trigger === 'priority-issue') &&
          !all.some((r) => r.metadata.name === 'swap-manual' && !r.metadata.deletionTimestamp)
          ? all
          : undefined;
      },
      { what: 'the priority run in place of the active one' },
    );
    expect(runs.find((r) => r.spec.trigger === 'priority-issue')!.spec.issue).toBe(n);
    expect(
      (await events(ns(), 'RunReplaced')).some((e) =>
        e.message.includes(`deleted active run swap-manual to make room for priority issue #${n}`),
      ),
    ).toBe(true);
  });
});

describe('merge tracking', () => {
  test('a merged pull request marks its runs and the target, and observes time to main', async () => {
    const forge = forgeFor('svc');
    const pr = await forge.createOrUpdatePullRequest({
      head: 'develop',
      base: 'main',
      title: 'opencode: improvements',
      body: 'x',
    });
    const target = await getTarget(ns(), 'svc');
    const name = 'svc-done-1';
    await createOwnedRun(ns(), target, name, { trigger: 'manual' });
    const completionTime = new Date(Date.now() - 3600_000).toISOString();
    await succeedWithPullRequest(name, pr, completionTime);
    await nextCheck();
    expect((await getTarget(ns(), 'svc')).status.openPullRequests).toBe(1);
    gh.mergePull('acme', 'svc', pr.number, 'squash');
    await nextCheck();
    const run = await waitFor(
      async () =>
        (await runsOf()).find((r) => r.metadata.name === name && r.status.pullRequest.merged),
      { what: 'run marked merged' },
    );
    expect(run.status.pullRequest.mergedAt).toBeTruthy();
    await waitFor(async () => (await getTarget(ns(), 'svc')).status.totals?.merged === 1, {
      what: 'totals.merged',
    });
    // An empty list is truthy: wait for the Event itself, not for the list.
    const merged = await waitFor(
      async () =>
        (await events(ns(), 'PullRequestMerged')).find((e) => e.involvedObject.name === 'svc'),
      { what: 'PullRequestMerged event' },
    );
    expect(merged.message).toContain(name);
    const hist = await manager.metrics.registry.getSingleMetricAsString(
      'opencode_time_to_main_seconds',
    );
    expect(hist).toMatch(
      new RegExp(`opencode_time_to_main_seconds_count\\{namespace="${ns()}",target="svc"\\} 1`),
    );
    await nextCheck();
    expect((await getTarget(ns(), 'svc')).status.totals.merged).toBe(1); // once, not per check
    expect((await getTarget(ns(), 'svc')).status.openPullRequests).toBe(0);
  });
});

describe('merge gate', () => {
  test('the operator merges a waiting pull request once its late check is green, and not before', async () => {
    await withBareTarget(
      'gated',
      { merge: { checkGracePeriod: '30s' }, mergeMethod: 'merge' },
      async (repo) => {
        const checkAfter = (ms: number) => checkTargetAfter('gated', ms);
        const gateOf = async () =>
          (await listRuns(ns())).find((r) => r.metadata.name === 'gated-done-1')?.status
            ?.pullRequest;
        const forge = forgeFor('gated');
        const pr = await forge.createOrUpdatePullRequest({
          head: 'develop',
          base: 'main',
          title: 'opencode: improvements',
          body: 'x',
        });
        const target = await getTarget(ns(), 'gated');
        await createOwnedRun(ns(), target, 'gated-done-1', { trigger: 'manual' });
        await succeedWithPullRequest('gated-done-1', pr, clock.now().toISOString(), pr.headSha);
        const mergeCalls = () =>
          gh.requests.filter((r) => r.method === 'PUT' && r.path.includes('/acme/gated/'));
        await checkAfter(5 * 60_000 + 1000);
        const first = await waitFor(async () => (await gateOf())?.gate, { what: 'gate recorded' });
        expect(first).toMatchObject({ state: 'Waiting', headSha: pr.headSha });
        expect(first.message).toContain('to register');
        // CI registers 30 s after the head appeared; the gate looks again when its grace period ends, not 5 min later.
        gh.setCommitStatus('acme', 'gated', pr.headSha, 'pending', 'ci/test');
        await checkAfter(31_000);
        await waitFor(async () => (await gateOf())?.gate?.message?.includes('still running'), {
          what: 'gate waiting for the running check',
        });
        expect(mergeCalls()).toEqual([]);
        expect(gh.pulls('acme', 'gated')[0]).toMatchObject({ state: 'open', merged: false });
        gh.setCommitStatus('acme', 'gated', pr.headSha, 'success', 'ci/test');
        await checkAfter(5 * 60_000 + 1000);
        const done = await waitFor(
          async () => ((await gateOf())?.merged ? await gateOf() : undefined),
          {
            what: 'run marked merged by the gate',
          },
        );
        expect(done).toMatchObject({ merged: true, gate: { state: 'Merged' } });
        expect(mergeCalls()).toHaveLength(1);
        expect(repo.bareGit('show', 'main:a.txt')).toBe('one');
        expect(gh.violations).toEqual([]);
      },
    );
  });
});

describe('approval', () => {
  test('a change policy.requireApproval lists waits, shown in status, until a human approves; then the gate merges it', async () => {
    await withBareTarget(
      'approver',
      {
        mergeMethod: 'merge',
        merge: { checkGracePeriod: '0', requireChecks: false },
        policy: { requireApproval: ['feature'] },
      },
      async (repo) => {
        const forge = forgeFor('approver');
        const pr = await forge.createOrUpdatePullRequest({
          head: 'develop',
          base: 'main',
          title: 'feat: one',
          body: 'x',
          draft: true,
          labels: ['opencode-approval'],
        });
        const target = await getTarget(ns(), 'approver');
        await createOwnedRun(ns(), target, 'approver-done-1', { trigger: 'manual' });
        await succeedWithPullRequest('approver-done-1', pr, clock.now().toISOString(), pr.headSha, {
          type: 'feature',
          priority: 'P2',
        });
        const check = () => checkTargetAfter('approver', 5 * 60_000 + 1000);
        const waiting = async () =>
          manager.metrics.registry.getSingleMetricAsString('opencode_approvals_waiting');
        await check();
        const t = await waitFor(
          async () => {
            const t = await getTarget(ns(), 'approver');
            return t.status?.awaitingApproval?.length ? t : undefined;
          },
          { what: 'status.awaitingApproval' },
        );
        expect(t.status.awaitingApproval).toEqual([
          expect.objectContaining({ run: 'approver-done-1', pullRequest: pr.number, url: pr.url }),
        ]);
        expect(await waiting()).toContain(
          `opencode_approvals_waiting{namespace="${ns()}",target="approver"} 1`,
        );
        expect(gh.pulls('acme', 'approver')[0]).toMatchObject({ draft: true, merged: false });
        // A human approves: the next check takes it out of draft and merges it.
        gh.reviewPull('acme', 'approver', pr.number, 'ana', 'APPROVED');
        await check();
        await waitFor(
          async () =>
            (await listRuns(ns())).find((r) => r.metadata.name === 'approver-done-1')?.status
              ?.pullRequest?.merged,
          { what: 'merged after approval' },
        ).catch(async (e) => {
          // Say where the gate stands, and why the forge check failed if it did.
          const run = (await listRuns(ns())).find((r) => r.metadata.name === 'approver-done-1');
          const forgeState = (await getTarget(ns(), 'approver')).status?.forge;
          throw new Error(
            `${e}; gate: ${JSON.stringify(run?.status?.pullRequest?.gate)}; forge: ${JSON.stringify(forgeState)}`,
          );
        });
        await waitFor(async () => !(await getTarget(ns(), 'approver')).status?.awaitingApproval, {
          what: 'no longer awaiting approval',
        });
        expect(gh.pulls('acme', 'approver')[0]).toMatchObject({ draft: false, merged: true });
        expect(repo.bareGit('show', 'main:a.txt')).toBe('one');
      },
    );
  });
});

describe('self-heal', () => {
  test('a merge that turns main red is reverted once by a rollback run the gate merges; the circuit opens; the cap holds', async () => {
    await withBareTarget(
      'healer',
      {
        mergeMethod: 'merge',
        merge: { checkGracePeriod: '0', requireChecks: false },
        policy: { autoRevert: { maxPerDay: 1 } },
      },
      async (repo) => {
        const forge = forgeFor('healer');
        const target = await getTarget(ns(), 'healer');
        const check = () => checkTargetAfter('healer', 5 * 60_000 + 1000);
        const runNamed = async (name: string) =>
          (await listRuns(ns())).find((r) => r.metadata.name === name);
        const mergedRun = async (name: string, head: string) => {
          const pr = await forge.createOrUpdatePullRequest({
            head,
            base: 'main',
            title: head,
            body: 'x',
          });
          await createOwnedRun(ns(), target, name, { trigger: 'manual' });
          await succeedWithPullRequest(name, pr, clock.now().toISOString(), pr.headSha);
          await check();
          return waitFor(
            async () => {
              const pr = (await runNamed(name))?.status?.pullRequest;
              return pr?.merged && pr.mergeCommitSha ? pr : undefined;
            },
            { what: `${name} merged by the gate` },
          );
        };

        // 1. The gate merges; main's checks then fail on the merge commit, and not on its parent.
        const first = await mergedRun('healer-done-1', 'develop');
        const mainBefore = repo.bareGit('rev-parse', `${first.mergeCommitSha}^1`);
        gh.setCommitStatus('acme', 'healer', mainBefore, 'success', 'ci');
        gh.setCommitStatus('acme', 'healer', first.mergeCommitSha, 'failure', 'ci');
        await check();
        const healed = await waitFor(
          async () => {
            const t = await getTarget(ns(), 'healer');
            return t.status?.autoReverts?.length ? t : undefined;
          },
          { what: 'an automatic revert recorded' },
        );
        const [revert] = healed.status.autoReverts;
        expect(revert).toMatchObject({ run: 'healer-done-1', commit: first.mergeCommitSha });
        const rollback = await runNamed(revert.rollbackRun);
        expect(rollback.spec).toMatchObject({
          trigger: 'rollback',
          rollback: { commit: first.mergeCommitSha },
        });
        expect(rollback.metadata.labels['opencode.dev/auto-revert']).toBe('true');
        expect(healed.status.circuit).toMatchObject({ open: true, reason: 'AutoRevert' });
        await waitFor(
          async () =>
            (await events(ns(), 'AutoRevert')).some((e) => e.involvedObject.name === 'healer'),
          { what: 'AutoRevert event' },
        );
        expect(
          await manager.metrics.registry.getSingleMetricAsString('opencode_auto_reverts_total'),
        ).toContain(`opencode_auto_reverts_total{namespace="${ns()}",target="healer"} 1`);
        expect((await runNamed('healer-done-1')).status.pullRequest.afterMerge).toMatchObject({
          state: 'Red',
        });

        // 2. The rollback run's revert pull request (as its runner opens it) is merged by the gate.
        repo.git('fetch', '-q', 'origin');
        repo.git('checkout', '-q', '-B', 'revert/x', 'origin/main');
        repo.commit('revert/x', 'a.txt', 'reverted\n', 'Revert "feat: one"');
        const revertPr = await forge.createOrUpdatePullRequest({
          head: 'revert/x',
          base: 'main',
          title: 'Revert',
          body: 'x',
        });
        await succeedWithPullRequest(
          revert.rollbackRun,
          revertPr,
          clock.now().toISOString(),
          revertPr.headSha,
        );
        await check();
        await waitFor(
          async () => (await runNamed(revert.rollbackRun))?.status?.pullRequest?.merged,
          {
            what: 'the revert merged by the gate',
          },
        );
        // It reverts the bad merge: no second rollback run, however many checks pass.
        await check();
        const rollbacks = (await listRuns(ns())).filter(
          (r) => r.spec.targetRef.name === 'healer' && r.spec.trigger === 'rollback',
        );
        expect(rollbacks).toHaveLength(1);

        // 3. Another red merge the same day: over the cap, a human has to act.
        repo.git('fetch', '-q', 'origin');
        repo.git('checkout', '-q', '-B', 'feature2', 'origin/main');
        repo.commit('feature2', 'b.txt', 'two\n', 'feat: two');
        const second = await mergedRun('healer-done-2', 'feature2');
        gh.setCommitStatus('acme', 'healer', second.mergeCommitSha, 'failure', 'ci');
        await check();
        await waitFor(
          async () =>
            (await events(ns(), 'AutoRevertCapped')).some(
              (e) => e.involvedObject.name === 'healer',
            ),
          { what: 'AutoRevertCapped event' },
        );
        expect((await getTarget(ns(), 'healer')).status.autoReverts).toHaveLength(1);
        expect(
          (await listRuns(ns())).filter(
            (r) => r.spec.targetRef.name === 'healer' && r.spec.trigger === 'rollback',
          ),
        ).toHaveLength(1);
        expect(gh.violations).toEqual([]);
      },
    );
  });
});

describe('rollback', () => {
  test('a new rollback id makes exactly one rollback run; its outcome lands in status.rollback', async () => {
    // Under concurrencyPolicy Forbid a rollback waits for the active run: let the priority run finish.
    for (const r of (await runsOf()).filter((r) => !r.status?.completionTime)) {
      const now = new Date().toISOString();
      await kubectlOk([
        'patch',
        '-n',
        ns(),
        'ir',
        r.metadata.name,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { phase: 'NoChange', startTime: now, completionTime: now } }),
      ]);
    }
    await kubectlOk([
      'patch',
      '-n',
      ns(),
      'it',
      'svc',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { rollback: { id: 'rb-1', commit: 'abc1234' } } }),
    ]);
    const run = await waitFor(
      async () => (await runsOf()).find((r) => r.spec.trigger === 'rollback'),
      { what: 'rollback run' },
    );
    expect(run.spec.rollback).toEqual({ id: 'rb-1', commit: 'abc1234' });
    const completionTime = new Date().toISOString();
    await kubectlOk([
      'patch',
      '-n',
      ns(),
      'ir',
      run.metadata.name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { phase: 'Succeeded', startTime: completionTime, completionTime } }),
    ]);
    const t = await waitFor(
      async () => {
        const t = await getTarget(ns(), 'svc');
        return t.status.rollback?.lastHandledId === 'rb-1' ? t : undefined;
      },
      { what: 'status.rollback' },
    );
    expect(t.status.rollback).toMatchObject({ result: 'Succeeded' });
    await waitFor(async () => (await getTarget(ns(), 'svc')).status.totals.reverted === 1, {
      what: 'totals.reverted',
    });
    await kubectlOk(['label', '-n', ns(), 'it', 'svc', 'touched=again']);
    await sleep(800);
    expect((await runsOf()).filter((r) => r.spec.trigger === 'rollback')).toHaveLength(1);
    expect(
      await manager.metrics.registry.getSingleMetricAsString('opencode_rollbacks_total'),
    ).toContain(`opencode_rollbacks_total{namespace="${ns()}",target="svc",result="succeeded"} 1`);
  });
});
