// The operator against the real API server: a slot comes due and becomes
// exactly one ImprovementRun and one Job, whatever restarts or replicas.
import { afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { JobExecutor } from '../../src/controllers/job-executor.ts';
import { LOW_HOLD_MS } from '../../src/kube/work-queue.ts';
import { PREPARE_MS } from '../../src/controllers/secret-checks.ts';
import { ManualClock } from '../../src/kube/clock.ts';
import { resolveHashed } from '../../src/scheduling/hashed.ts';
import { installCrds, kubectlOk, useNamespace } from '../support/kube.ts';
import {
  clients,
  createOwnedRun,
  createTarget,
  events,
  getTarget,
  listJobs,
  listRuns,
  moveClock,
  nextMinute,
  startManager,
} from '../support/operator.ts';
import { sleep, waitFor } from '../support/wait.ts';

const ns = useNamespace('sched');
const SECRET_VALUE = 'ghp_Sup3rS3cretT0kenValue0123456789';
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

beforeAll(async () => {
  await installCrds();
  await clients().core.createNamespacedSecret({
    namespace: ns(),
    body: { metadata: { name: 'gh' }, stringData: { token: SECRET_VALUE } },
  });
});

function run(
  clock: ManualClock,
  extra: Parameters<typeof startManager>[0] extends infer P ? Partial<P> : never = {},
) {
  const h = startManager({ clock, namespaces: [ns()], ...extra });
  stops.push(() => h.manager.stop());
  return h;
}

describe('a slot comes due', () => {
  test('exactly one run and one Job, with the expected spec and no secret values', async () => {
    const clock = new ManualClock(new Date());
    const { manager, started } = run(clock);
    await started;
    await createTarget(ns(), 'web', {
      schedule: '* * * * *',
      repository: {
        url: 'https://github.com/acme/web.git',
        credentialsSecretRef: { name: 'gh', key: 'token' },
      },
    });
    const next = await waitFor(
      async () => (await getTarget(ns(), 'web')).status?.nextScheduleTime,
      { what: 'nextScheduleTime' },
    );
    expect((await getTarget(ns(), 'web')).status.phase).toBe('Idle');
    await moveClock(manager, clock, new Date(Date.parse(next) + 1500));

    const [job] = await waitFor(
      async () => ((await listJobs(ns())).length ? listJobs(ns()) : undefined),
      { what: 'a Job' },
    );
    const runs = await listRuns(ns());
    expect(runs).toHaveLength(1);
    const [r] = runs;
    const slotMinutes = Math.floor(Date.parse(next) / 60000);
    expect(r.metadata.name).toBe(`web-${slotMinutes}`);
    expect(r.spec).toMatchObject({
      trigger: 'schedule',
      targetRef: { name: 'web' },
      scheduledTime: new Date(next).toISOString(),
    });
    expect(r.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ImprovementTarget', name: 'web', controller: true }),
    ]);

    expect(job.metadata.name).toBe(r.metadata.name);
    expect(job.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'ImprovementRun',
        name: r.metadata.name,
        uid: r.metadata.uid,
        controller: true,
      }),
    ]);
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      activeDeadlineSeconds: 3600,
      ttlSecondsAfterFinished: 86400,
    });
    const pod = job.spec.template.spec;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['runner', 'tests']);
    const c = pod.containers.find((c: any) => c.name === 'runner');
    expect(c.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.command).toEqual(['node', 'dist/cli/runner.js', 'job']);
    expect(c.env.find((e: any) => e.name === 'OPENCODE_FORGE_TOKEN')).toEqual({
      name: 'OPENCODE_FORGE_TOKEN',
      valueFrom: { secretKeyRef: { name: 'gh', key: 'token' } },
    });
    expect(pod.volumes.map((v: any) => v.name).sort()).toEqual([
      'kube-api-access',
      'tests-tmp',
      'tmp',
      'workspace',
    ]);
    // The test container: restricted too, and nothing secret.
    const tc = pod.containers.find((c: any) => c.name === 'tests');
    expect(tc.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(tc.env.map((e: any) => e.name)).toEqual(['HOME', 'TMPDIR']);
    expect(tc.volumeMounts.map((m: any) => m.name)).not.toContain('kube-api-access');
    expect(JSON.stringify(job)).not.toContain(SECRET_VALUE);
    expect(JSON.stringify(r)).not.toContain(SECRET_VALUE);

    const t = await waitFor(
      async () => {
        const t = await getTarget(ns(), 'web');
        return t.status?.phase === 'Running' ? t : undefined;
      },
      { what: 'phase Running' },
    );
    expect(t.status.lastScheduleTime).toBe(new Date(next).toISOString());
    expect(t.status.activeRuns).toEqual([r.metadata.name]);
    expect(t.status.conditions.find((c: any) => c.type === 'Running')).toMatchObject({
      status: 'True',
      reason: 'RunActive',
    });
    await sleep(1000);
    expect(await listRuns(ns())).toHaveLength(1);
    expect(await listJobs(ns())).toHaveLength(1);
  });
});

describe('launching', () => {
  test("a run's own reconcile waits for its target's launch in flight instead of launching again", async () => {
    const launches: string[] = [];
    const clock = new ManualClock(new Date());
    const { manager, started } = run(clock, {
      // The real Job executor, slowed down: the run's watch event arrives, and
      // the low lane's hold (LOW_HOLD_MS) runs out, while the Job is still being made.
      executor: ({ api, jobs }) => {
        const real = new JobExecutor(api, jobs, { image: 'ghcr.io/opencode-operator/x:test' });
        return {
          name: real.name,
          observe: (r) => real.observe(r),
          launch: async (target, r) => {
            launches.push(r.metadata.name);
            await sleep(LOW_HOLD_MS + 1000);
            await real.launch(target, r);
          },
        };
      },
    });
    await started;
    await createTarget(ns(), 'slow', {
      schedule: '* * * * *',
      repository: { provider: 'git', url: 'https://github.com/acme/slow.git' },
    });
    const next = await waitFor(
      async () => (await getTarget(ns(), 'slow')).status?.nextScheduleTime,
      { what: 'nextScheduleTime' },
    );
    await moveClock(manager, clock, new Date(Date.parse(next) + 500));
    const name = `slow-${Date.parse(next) / 60_000}`;
    // Recorded by the run's reconcile, after the launch it waited for.
    await waitFor(
      async () => (await listRuns(ns())).find((r) => r.metadata.name === name)?.status?.jobName,
      { what: `${name} jobName` },
    );
    expect(launches).toEqual([name]);
  });
});

describe('many targets on one slot', () => {
  test('Jobs first, status writes deferred behind them; every target still records its slot', async () => {
    // The targets are created in real time: keep the creations within one
    // minute, or those made after its boundary get the next slot.
    const toBoundary = 60_000 - (Date.now() % 60_000);
    if (toBoundary < 20_000) await sleep(toBoundary + 100);
    const clock = new ManualClock(new Date());
    const { manager, started, logs } = run(clock, { workers: 2 });
    await started;
    const names = Array.from({ length: 12 }, (_, i) => `burst-${i}`);
    for (const name of names) await createTarget(ns(), name, { schedule: '* * * * *' });
    const slots = await Promise.all(
      names.map((name) =>
        waitFor(async () => (await getTarget(ns(), name)).status?.nextScheduleTime, {
          what: `${name} nextScheduleTime`,
        }),
      ),
    );
    expect(new Set(slots).size).toBe(1);
    const slot = slots[0]!;
    await moveClock(manager, clock, new Date(Date.parse(slot) + 1500));
    for (const name of names) {
      const t = await waitFor(
        async () => {
          const t = await getTarget(ns(), name);
          return t.status?.lastScheduleTime === slot && t.status?.activeRuns?.length
            ? t
            : undefined;
        },
        { what: `${name} records the slot` },
      );
      expect(t.status.activeRuns).toEqual([`${name}-${Date.parse(slot) / 60_000}`]);
    }
    const ours = (xs: any[]) => xs.filter((x) => x.metadata.name.startsWith('burst-'));
    expect(ours(await listRuns(ns()))).toHaveLength(names.length);
    expect(ours(await listJobs(ns()))).toHaveLength(names.length);
    // The deferral happened: with 2 workers and 12 due targets, others were waiting.
    expect(logs.text).toContain('status write deferred');
  });
});

describe('a target naming a Secret', () => {
  test('is checked shortly before its slot, so the slot pass does not wait on a Secret read', async () => {
    await clients().core.createNamespacedSecret({
      namespace: ns(),
      body: { metadata: { name: 'gh-prepared' }, stringData: { token: 'x' } },
    });
    const clock = new ManualClock(new Date());
    const { manager, started, logs } = run(clock);
    await started;
    // A daily slot three minutes ahead: the check made at creation has expired by then.
    const slot = new Date(Math.floor(clock.now().getTime() / 60_000) * 60_000 + 3 * 60_000);
    await createTarget(ns(), 'prepared', {
      schedule: `${slot.getUTCMinutes()} ${slot.getUTCHours()} * * *`,
      timeZone: 'Etc/UTC',
      repository: {
        provider: 'git', // no forge checks: their passes would re-check the Secret too
        url: 'https://github.com/acme/demo.git',
        credentialsSecretRef: { name: 'gh-prepared', key: 'token' },
      },
    });
    const key = `"target":"${ns()}/prepared"`;
    const passes = () =>
      logs.text.split('\n').filter((l) => l.includes(key) && l.includes('reconciled target'))
        .length;
    await waitFor(async () => (await getTarget(ns(), 'prepared')).status?.nextScheduleTime, {
      what: 'nextScheduleTime',
    });
    await sleep(1000); // the watch echo of that status write comes back and is handled
    const before = passes();
    await moveClock(manager, clock, new Date(slot.getTime() - PREPARE_MS + 1000));
    await waitFor(async () => passes() > before, { what: 'the pass before the slot' });

    // The Secret goes away after that check: the slot still runs on it, as a check at
    // the slot itself would have passed a moment earlier; the next check stalls the target.
    await clients().core.deleteNamespacedSecret({ name: 'gh-prepared', namespace: ns() });
    await moveClock(manager, clock, new Date(slot.getTime() + 1000));
    const name = `prepared-${slot.getTime() / 60_000}`;
    await waitFor(async () => (await listRuns(ns())).some((r) => r.metadata.name === name), {
      what: `run ${name}`,
    });
    expect((await getTarget(ns(), 'prepared')).status?.phase).not.toBe('Stalled');
  });
});

describe('a hashed schedule', () => {
  test('each target fires at its own hashed minute, the same after a restart', async () => {
    const clock = new ManualClock(new Date());
    const first = run(clock);
    await first.started;
    const names = ['fleet-a', 'fleet-b', 'fleet-c', 'fleet-d'];
    for (const n of names) await createTarget(ns(), n, { schedule: 'H * * * *' });
    const nextOf = async () =>
      Object.fromEntries(
        await Promise.all(
          names.map(async (n) => [
            n,
            await waitFor(async () => (await getTarget(ns(), n)).status?.nextScheduleTime, {
              what: `${n} nextScheduleTime`,
            }),
          ]),
        ),
      ) as Record<string, string>;
    const before = await nextOf();
    for (const n of names) {
      const minute = Number(resolveHashed('H * * * *', `${ns()}/${n}`).split(' ')[0]);
      expect(new Date(before[n]!).getUTCMinutes()).toBe(minute);
      expect(Date.parse(before[n]!) - clock.now().getTime()).toBeLessThanOrEqual(3_600_000);
    }
    expect(new Set(Object.values(before)).size).toBeGreaterThan(1);

    // A new process (another replica, or after a restart) computes the same slots.
    await first.manager.stop();
    for (const n of names)
      await kubectlOk([
        ...['patch', 'improvementtarget', n, '-n', ns(), '--subresource=status', '--type=json'],
        ...['-p', '[{"op":"remove","path":"/status/nextScheduleTime"}]'],
      ]);
    const second = run(clock);
    await second.started;
    expect(await nextOf()).toEqual(before);

    const earliest = names.reduce((a, b) => (before[a]! <= before[b]! ? a : b));
    await moveClock(second.manager, clock, new Date(Date.parse(before[earliest]!) + 1000));
    const slot = Math.floor(Date.parse(before[earliest]!) / 60_000);
    await waitFor(
      async () => (await listRuns(ns())).some((r) => r.metadata.name === `${earliest}-${slot}`),
      { what: `the run of ${earliest} at its hashed minute` },
    );
  });
});

describe('restarts and replicas', () => {
  test('two operators acting at the same slot, and a restart mid-slot, still make exactly one run', async () => {
    const clock = new ManualClock(new Date());
    const a = run(clock);
    const b = run(clock); // no leader election: the worst case, both act
    await Promise.all([a.started, b.started]);
    await createTarget(ns(), 'twin', { schedule: '* * * * *' });
    const next = await waitFor(
      async () => (await getTarget(ns(), 'twin')).status?.nextScheduleTime,
      { what: 'nextScheduleTime' },
    );
    await moveClock(a.manager, clock, new Date(Date.parse(next) + 1000));
    await waitFor(
      async () => (await listRuns(ns())).some((r) => r.spec.targetRef.name === 'twin'),
      { what: 'a run' },
    );
    await a.manager.stop({ releaseLease: false });
    const c = run(clock);
    await c.started;
    await sleep(1500);
    const runs = (await listRuns(ns())).filter((r) => r.spec.targetRef.name === 'twin');
    expect(runs.map((r) => r.metadata.name)).toEqual([
      `twin-${Math.floor(Date.parse(next) / 60000)}`,
    ]);
    expect(
      (await listJobs(ns())).filter((j) => j.metadata.labels['opencode.dev/target'] === 'twin'),
    ).toHaveLength(1);
  });

  test('a run whose creator died before announcing it gets its RunCreated Event from the successors, once', async () => {
    const target = await createTarget(ns(), 'orphan', { schedule: '* * * * *' });
    const slot = nextMinute(new Date(Date.parse(target.metadata.creationTimestamp) + 1000));
    const name = `orphan-${Math.floor(slot.getTime() / 60000)}`;
    // What the dead operator left: the slot's run, no status record, no Event.
    await createOwnedRun(ns(), target, name, {
      trigger: 'schedule',
      scheduledTime: slot.toISOString(),
    });
    const clock = new ManualClock(new Date(slot.getTime() + 1000));
    const a = run(clock);
    const b = run(clock); // both adopt it
    await Promise.all([a.started, b.started]);
    const created = async () =>
      (await events(ns(), 'RunCreated')).filter((e) => e.message.includes(name));
    await waitFor(async () => (await created()).length > 0, { what: 'a RunCreated Event' });
    await waitFor(
      async () => (await getTarget(ns(), 'orphan')).status?.lastScheduleTime === slot.toISOString(),
      { what: 'the slot recorded' },
    );
    await sleep(1500);
    expect((await created()).map((e) => [e.message, e.count])).toEqual([
      [`created run ${name} (schedule)`, 1],
    ]);
    expect((await listRuns(ns())).filter((r) => r.spec.targetRef.name === 'orphan')).toHaveLength(
      1,
    );
  });

  test('with leader election one replica leads; when it dies the other takes over and schedules', async () => {
    const clock = new ManualClock(new Date());
    const le = (identity: string) => ({
      leaderElection: {
        namespace: ns(),
        name: 'opencode-operator',
        identity,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 300,
      },
    });
    const a = run(clock, le('replica-a'));
    await a.started;
    await waitFor(() => a.manager.isLeader, { what: 'a leads' }).catch((e) => {
      throw new Error(e.message + a.logs.text.slice(-1500));
    });
    const b = run(clock, le('replica-b'));
    await b.started;
    await sleep(1000);
    expect([a.manager.isLeader, b.manager.isLeader]).toEqual([true, false]);
    const { spec } = await clients().coordination.readNamespacedLease({
      name: 'opencode-operator',
      namespace: ns(),
    });
    expect(spec?.holderIdentity).toBe('replica-a');

    await a.manager.stop({ releaseLease: false }); // a crash: the Lease is not released
    await waitFor(() => b.manager.isLeader, { timeoutMs: 15_000, what: 'b takes over' });
    await createTarget(ns(), 'handover', { schedule: '* * * * *' });
    const next = await waitFor(
      async () => (await getTarget(ns(), 'handover')).status?.nextScheduleTime,
      { what: 'nextScheduleTime from b' },
    );
    await moveClock(b.manager, clock, new Date(Date.parse(next) + 1000));
    await waitFor(
      async () => (await listRuns(ns())).some((r) => r.spec.targetRef.name === 'handover'),
      { what: 'b schedules' },
    ).catch((e) => {
      throw new Error(e.message + b.logs.text.slice(-3000));
    });
  });
});
