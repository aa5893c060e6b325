// Concurrency policies, missed deadlines, suspend and run-now, and a bad
// spec that stalls and then recovers, against the real API server.
import { afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { ManualClock } from '../../src/kube/clock.ts';
import type { Manager } from '../../src/operator/manager.ts';
import { installCrds, kubectlOk, useNamespace } from '../support/kube.ts';
import {
  clients,
  createOwnedRun,
  createTarget,
  events,
  failedRun,
  getTarget,
  listRuns,
  moveClock,
  startManager,
} from '../support/operator.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { suspendPatch } from '../../src/plugin/suspend.ts';

const ns = useNamespace('steer');
let clock: ManualClock;
let manager: Manager;

beforeAll(async () => {
  await installCrds();
});
// A fresh operator and clock per test: the clock starts at the real time, as
// the targets' creationTimestamps (set by the API server) do.
beforeEach(async () => {
  clock = new ManualClock(new Date());
  const h = startManager({ clock, namespaces: [ns()] });
  manager = h.manager;
  await h.started;
});
afterEach(async () => manager?.stop());

const runsOf = async (target: string) =>
  (await listRuns(ns())).filter((r) => r.spec.targetRef.name === target);
const kpatch = (name: string, patch: object) =>
  kubectlOk([
    'patch',
    '-n',
    ns(),
    'improvementtarget',
    name,
    '--type=merge',
    '-p',
    JSON.stringify(patch),
  ]);
const nextSlot = async (name: string) =>
  Date.parse(
    await waitFor(async () => (await getTarget(ns(), name)).status?.nextScheduleTime, {
      what: `${name} nextScheduleTime`,
    }),
  );
const condition = async (name: string, type: string) =>
  (await getTarget(ns(), name)).status?.conditions?.find((c: any) => c.type === type);

describe('concurrency policy', () => {
  test('Forbid: a slot while a run is active makes no second run, and says why', async () => {
    await createTarget(ns(), 'forbid', { schedule: '* * * * *', concurrencyPolicy: 'Forbid' });
    const first = await nextSlot('forbid');
    await moveClock(manager, clock, new Date(first + 1000));
    await waitFor(async () => (await runsOf('forbid')).length === 1, { what: 'first run' });
    await moveClock(manager, clock, new Date(first + 61_000));
    await waitFor(
      async () =>
        (await events(ns(), 'RunSkipped')).some((e) => e.involvedObject.name === 'forbid'),
      { what: 'RunSkipped event' },
    );
    expect(await runsOf('forbid')).toHaveLength(1);
  });

  test('Replace: the active run is deleted and the new slot runs', async () => {
    await createTarget(ns(), 'replace', { schedule: '* * * * *', concurrencyPolicy: 'Replace' });
    const first = await nextSlot('replace');
    await moveClock(manager, clock, new Date(first + 1000));
    const r1 = await waitFor(
      async () => {
        const runs = await runsOf('replace');
        return runs.length === 1 ? runs[0] : undefined;
      },
      { what: 'first run' },
    );
    const second = await waitFor(
      async () => {
        const next = Date.parse((await getTarget(ns(), 'replace')).status?.nextScheduleTime ?? '0');
        return next > first ? next : undefined;
      },
      { what: 'the following slot' },
    );
    await moveClock(manager, clock, new Date(second + 1000));
    await waitFor(
      async () => {
        const names = (await runsOf('replace'))
          .filter((r) => !r.metadata.deletionTimestamp)
          .map((r) => r.metadata.name);
        return names.length === 1 && names[0] !== r1.metadata.name;
      },
      { what: 'replacement run' },
    );
    // Events are posted after the writes they describe (the recorder waits for a burst).
    await waitFor(
      async () =>
        (await events(ns(), 'RunReplaced')).some((e) => e.message.includes(r1.metadata.name)),
      { what: 'a RunReplaced Event naming the replaced run' },
    );
  });
});

describe('missed slots', () => {
  test('a slot missed by more than startingDeadlineSeconds is skipped with a Warning', async () => {
    await createTarget(ns(), 'late', { schedule: '* * * * *', startingDeadlineSeconds: 5 });
    const slot = await nextSlot('late');
    await moveClock(manager, clock, new Date(slot + 30_000));
    const ev = await waitFor(
      async () =>
        (await events(ns(), 'MissedSchedule')).find((e) => e.involvedObject.name === 'late'),
      { what: 'MissedSchedule' },
    );
    expect(ev.type).toBe('Warning');
    expect(ev.message).toContain(new Date(slot).toISOString());
    expect(await runsOf('late')).toHaveLength(0);
  });

  test('a slot whose run exists but was never recorded (a crash) is recorded, not reported missed', async () => {
    const target = await createTarget(ns(), 'crashed', {
      schedule: '* * * * *',
      startingDeadlineSeconds: 5,
    });
    const slot = await nextSlot('crashed');
    await manager.stop();
    // What an operator leaves when it dies between creating the run and writing the status.
    const name = `crashed-${slot / 60_000}`;
    await createOwnedRun(ns(), target, name, {
      trigger: 'schedule',
      scheduledTime: new Date(slot).toISOString(),
    });
    // Back long after the deadline.
    clock = new ManualClock(new Date(slot + 30_000));
    const h = startManager({ clock, namespaces: [ns()] });
    manager = h.manager;
    await h.started;
    await waitFor(
      async () =>
        (await getTarget(ns(), 'crashed')).status?.lastScheduleTime ===
        new Date(slot).toISOString(),
      { what: 'lastScheduleTime recorded' },
    );
    expect((await events(ns(), 'MissedSchedule')).map((e) => e.involvedObject.name)).not.toContain(
      'crashed',
    );
    expect((await runsOf('crashed')).map((r) => r.metadata.name)).toEqual([name]);
  });
});

describe('suspend and run-now', () => {
  test('suspend stops new runs; the run-now annotation still starts one, once', async () => {
    await createTarget(ns(), 'paused', { schedule: '* * * * *', suspend: true });
    const t = await waitFor(
      async () => {
        const t = await getTarget(ns(), 'paused');
        return t.status?.phase === 'Suspended' ? t : undefined;
      },
      { what: 'Suspended' },
    );
    expect(t.status.conditions.find((c: any) => c.type === 'Ready')).toMatchObject({
      status: 'True',
      reason: 'Suspended',
    });
    expect(t.status.nextScheduleTime).toBeUndefined();
    await moveClock(manager, clock, new Date(clock.now().getTime() + 180_000));
    await sleep(500);
    expect(await runsOf('paused')).toHaveLength(0);

    await kubectlOk([
      'annotate',
      '-n',
      ns(),
      'improvementtarget',
      'paused',
      'opencode.dev/run-requested-at=2026-11-22T10:00:00Z',
    ]);
    const run = await waitFor(async () => (await runsOf('paused'))[0], { what: 'manual run' });
    expect(run.spec).toMatchObject({ trigger: 'manual', runRequest: '2026-11-22T10:00:00Z' });
    await waitFor(
      async () =>
        (await getTarget(ns(), 'paused')).status?.lastHandledRunRequest === '2026-11-22T10:00:00Z',
      { what: 'lastHandledRunRequest' },
    );
    await kpatch('paused', { metadata: { labels: { touched: 'yes' } } }); // any later reconcile must not run it again
    await sleep(800);
    expect(await runsOf('paused')).toHaveLength(1);
  });
});

describe('a step that fails', () => {
  test('leaves Ready=False naming the step and the error, and the next good pass clears it', async () => {
    await createTarget(ns(), 'oops', { schedule: '0 0 1 1 *' });
    await waitFor(async () => (await condition('oops', 'Ready'))?.status === 'True', {
      what: 'Ready',
    });
    // A request the API server refuses to turn into a run (spec.runRequest is at most 1024 characters).
    await kubectlOk([
      'annotate',
      '-n',
      ns(),
      'improvementtarget',
      'oops',
      '--overwrite',
      `opencode.dev/run-requested-at=${'x'.repeat(2000)}`,
    ]);
    const failed = await waitFor(
      async () => {
        const c = await condition('oops', 'Ready');
        return c?.status === 'False' ? c : undefined;
      },
      { what: 'Ready=False' },
    );
    expect(failed.reason).toBe('ReconcileFailed');
    expect(failed.message).toMatch(/^step runRequest failed: .*runRequest/);
    await kubectlOk([
      'annotate',
      '-n',
      ns(),
      'improvementtarget',
      'oops',
      '--overwrite',
      'opencode.dev/run-requested-at=2026-12-05T11:00:00Z',
    ]);
    await waitFor(async () => (await condition('oops', 'Ready'))?.status === 'True', {
      what: 'Ready again',
    });
    expect((await runsOf('oops')).map((r) => r.spec.runRequest)).toEqual(['2026-12-05T11:00:00Z']);
  });
});

describe('RunCreated', () => {
  test('a run its creator made but did not announce (killed first) gets its Event from the next operator', async () => {
    const target = await createTarget(ns(), 'orphaned', { schedule: '0 0 1 1 *' });
    // What a killed creator leaves: the run, and no Event.
    await createOwnedRun(ns(), target, 'orphaned-manual-1', { trigger: 'manual' });
    const e = await waitFor(
      async () =>
        (await events(ns(), 'RunCreated')).find((x) =>
          x.message?.includes('created run orphaned-manual-1'),
        ),
      { what: 'RunCreated for the orphaned run' },
    );
    expect(e.involvedObject.name).toBe('orphaned');
    expect(e.message).toBe('created run orphaned-manual-1 (manual)');
  });
});

describe('circuit breaker', () => {
  test('after maxConsecutiveFailures failed runs the target stops itself; resume closes it and runs start again', async () => {
    const target = await createTarget(ns(), 'breaker', {
      schedule: '* * * * *',
      policy: { maxConsecutiveFailures: 2 },
      failedRunsHistoryLimit: 5,
    });
    await nextSlot('breaker');
    for (const i of [1, 2])
      await failedRun(
        ns(),
        target,
        `breaker-manual-${i}`,
        'tests failed',
        new Date(Date.now() + i),
      );
    const opened = await waitFor(
      async () => {
        const t = await getTarget(ns(), 'breaker');
        return t.status?.circuit?.open ? t : undefined;
      },
      { what: 'circuit open' },
    );
    expect(opened.status.consecutiveFailures).toBe(2);
    expect(opened.status.phase).toBe('Suspended');
    expect(opened.status.nextScheduleTime).toBeUndefined();
    expect(await condition('breaker', 'Suspended')).toMatchObject({
      status: 'True',
      reason: 'CircuitOpen',
      message: expect.stringContaining('kubectl improve resume breaker'),
    });
    const warning = await waitFor(
      async () =>
        (await events(ns(), 'CircuitOpen')).find((e) => e.involvedObject.name === 'breaker'),
      { what: 'CircuitOpen event' },
    );
    expect(warning.type).toBe('Warning');
    // Slots pass: nothing starts by itself.
    await moveClock(manager, clock, new Date(clock.now().getTime() + 125_000));
    await sleep(1500);
    expect((await runsOf('breaker')).filter((r) => r.spec.trigger === 'schedule')).toEqual([]);

    // What `kubectl improve resume breaker` sends.
    await kpatch('breaker', suspendPatch(false));
    const closed = await waitFor(
      async () => {
        const t = await getTarget(ns(), 'breaker');
        return t.status?.circuit && !t.status.circuit.open && t.status.nextScheduleTime
          ? t
          : undefined;
      },
      { what: 'circuit closed' },
    );
    expect(closed.status.consecutiveFailures).toBe(0);
    expect(await condition('breaker', 'Suspended')).toMatchObject({ status: 'False' });
    await waitFor(
      async () =>
        (await events(ns(), 'CircuitClosed')).some((e) => e.involvedObject.name === 'breaker'),
      { what: 'CircuitClosed event' },
    );
    await moveClock(manager, clock, new Date(Date.parse(closed.status.nextScheduleTime) + 1000));
    await waitFor(
      async () => (await runsOf('breaker')).some((r) => r.spec.trigger === 'schedule'),
      { what: 'a scheduled run after resume' },
    );
  });
});

describe('a spec that cannot be acted on', () => {
  test.each([
    [
      'bad-cron',
      { schedule: '61 * * * *' },
      'InvalidSchedule',
      'spec.schedule',
      { schedule: '0 * * * *' },
    ],
    [
      'bad-hash',
      { schedule: 'H(0-90) * * * *' },
      'InvalidSchedule',
      'spec.schedule: schedule "H(0-90) * * * *": minute "H(0-90)": the range must lie within 0-59',
      { schedule: 'H(0-29) * * * *' },
    ],
    [
      'bad-zone',
      { schedule: '0 * * * *', timeZone: 'Mars/Olympus' },
      'InvalidTimeZone',
      'spec.timeZone',
      { timeZone: 'Europe/Berlin' },
    ],
  ])(
    '%s → Stalled with a Warning, then recovers when fixed',
    async (name, spec, reason, field, fix) => {
      await createTarget(ns(), name, spec);
      const stalled = await waitFor(async () => condition(name, 'Stalled'), { what: 'Stalled' });
      expect(stalled).toMatchObject({ status: 'True', reason });
      expect(stalled.message).toContain(field);
      expect((await getTarget(ns(), name)).status.phase).toBe('Stalled');
      await waitFor(
        async () =>
          (await events(ns(), reason)).some(
            (e) => e.involvedObject.name === name && e.type === 'Warning',
          ),
        { what: 'Warning event' },
      );
      await kpatch(name, { spec: fix });
      await waitFor(
        async () =>
          !(await condition(name, 'Stalled')) &&
          (await condition(name, 'Ready'))?.status === 'True',
        { what: 'recovery' },
      );
      const t = await getTarget(ns(), name);
      expect(t.status.phase).toBe('Idle');
      expect(t.status.observedGeneration).toBe(t.metadata.generation);
    },
  );

  test('a missing Secret stalls the target; creating it recovers without a hot loop', async () => {
    await createTarget(ns(), 'no-secret', {
      schedule: '0 * * * *',
      repository: {
        url: 'https://github.com/acme/x.git',
        credentialsSecretRef: { name: 'absent', key: 'token' },
      },
    });
    const stalled = await waitFor(async () => condition('no-secret', 'Stalled'), {
      what: 'Stalled',
    });
    expect(stalled).toMatchObject({ reason: 'SecretNotFound' });
    expect(stalled.message).toContain('spec.repository.credentialsSecretRef');
    const before = await manager.metrics.reconcileTotal.get();
    await sleep(1000);
    const after = await manager.metrics.reconcileTotal.get();
    const total = (m: typeof before) =>
      m.values.filter((v) => v.labels.controller === 'target').reduce((a, v) => a + v.value, 0);
    expect(total(after) - total(before)).toBeLessThan(5); // no hot loop while stalled

    await clients().core.createNamespacedSecret({
      namespace: ns(),
      body: { metadata: { name: 'absent' }, stringData: { wrong: 'x' } },
    });
    await moveClock(manager, clock, new Date(clock.now().getTime() + 31_000));
    await waitFor(
      async () => (await condition('no-secret', 'Stalled'))?.reason === 'SecretKeyNotFound',
      { what: 'SecretKeyNotFound' },
    );
    await clients().core.replaceNamespacedSecret({
      name: 'absent',
      namespace: ns(),
      body: { metadata: { name: 'absent' }, stringData: { token: 'tok_1234567890' } },
    });
    await moveClock(manager, clock, new Date(clock.now().getTime() + 31_000));
    await waitFor(async () => !(await condition('no-secret', 'Stalled')), { what: 'recovered' });
  });
});
