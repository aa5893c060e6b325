// The run reconciler's status writes against the real API server: they
// apply only to the version they were computed from. The case a kill test
// found: an operator whose cache still held a run without status recorded
// its Job over the runner's Succeeded, turning it back into Pending.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { KubeApi } from '../../src/kube/api.ts';
import { realClock } from '../../src/kube/clock.ts';
import type { Reflector } from '../../src/kube/reflector.ts';
import type { Executor } from '../../src/controllers/executor.ts';
import { RunReconciler } from '../../src/controllers/run-reconciler.ts';
import type { ImprovementRun, ImprovementTarget } from '../../src/controllers/types.ts';
import { OperatorMetrics } from '../../src/metrics/metrics.ts';
import { createLogger } from '../../src/util/logger.ts';
import { GROUP, VERSION } from '../../src/crds/index.ts';
import { installCrds, kubeConfig, useNamespace } from '../support/kube.ts';
import { clients, createOwnedRun, createTarget } from '../support/operator.ts';

const ns = useNamespace('runstatus');
beforeAll(() => installCrds());

/** A cache holding exactly what the test says: here, an out-of-date entry. */
const cacheOf = <T>(obj: T) => ({ get: () => obj }) as unknown as Reflector<any>;

function reconciler(run: ImprovementRun, target: ImprovementTarget, executor: Executor) {
  const events: string[] = [];
  const r = new RunReconciler({
    api: new KubeApi(kubeConfig()),
    runs: cacheOf(run),
    targets: cacheOf(target),
    executor,
    clock: realClock,
    metrics: new OperatorMetrics(),
    recorder: {
      event: async (_o: unknown, type: string, reason: string, msg: string) =>
        void events.push(`${type} ${reason} ${msg}`),
    } as never,
    logger: createLogger({ level: 'silent' }),
  });
  return { r, events };
}

const readRun = async (name: string) =>
  (await clients().custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns(),
    plural: 'improvementruns',
    name,
  })) as ImprovementRun;

/** An executor whose pod was OOM-killed; records the runs it is asked to stop. */
const oomKilled = (stopped: string[]): Executor => ({
  name: 'job',
  launch: async () => undefined,
  observe: () => ({
    state: 'failed',
    reason: 'TestsOOMKilled',
    message: 'the tests container ran out of memory',
    stopExecution: true,
  }),
  stopExecution: async (run) => void stopped.push(run.metadata.name),
});

const runnerReports = (name: string, status: object) =>
  clients().custom.patchNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: ns(),
    plural: 'improvementruns',
    name,
    body: [{ op: 'add', path: '/status', value: status }],
  });

describe('run status writes', () => {
  test('recording the Job from a stale cache entry leaves the runner’s outcome alone', async () => {
    const target = await createTarget(ns(), 'stale', { schedule: '0 0 1 1 *' });
    const stale = (await createOwnedRun(ns(), target, 'stale-m1', {
      trigger: 'manual',
    })) as ImprovementRun;
    await runnerReports('stale-m1', {
      phase: 'Succeeded',
      completionTime: new Date().toISOString(),
    });
    const launched: string[] = [];
    const { r } = reconciler(stale, target, {
      name: 'job',
      launch: async (_t, run) => void launched.push(run.metadata.name),
      observe: () => ({ state: 'active' }),
    });
    const result = await r.reconcile(ns(), 'stale-m1');
    expect(result).toEqual({ requeueAfterMs: 1000 });
    expect((await readRun('stale-m1')).status?.phase).toBe('Succeeded');
  });

  test('with a current entry the Job is recorded and the run is Pending', async () => {
    const target = await createTarget(ns(), 'fresh', { schedule: '0 0 1 1 *' });
    const run = (await createOwnedRun(ns(), target, 'fresh-m1', {
      trigger: 'manual',
    })) as ImprovementRun;
    const { r } = reconciler(run, target, {
      name: 'job',
      launch: async () => undefined,
      observe: () => ({ state: 'active' }),
    });
    expect(await r.reconcile(ns(), 'fresh-m1')).toBeUndefined();
    expect((await readRun('fresh-m1')).status).toMatchObject({
      phase: 'Pending',
      jobName: 'fresh-m1',
    });
  });

  test('a pod failure seen after the runner reported leaves its outcome and stops nothing; seen before, it is written and the Job stopped', async () => {
    const target = await createTarget(ns(), 'late', { schedule: '0 0 1 1 *' });
    await createOwnedRun(ns(), target, 'late-m1', { trigger: 'manual' });
    await runnerReports('late-m1', { phase: 'Running', jobName: 'late-m1' });
    const running = await readRun('late-m1');
    const stopped: string[] = [];
    const { r, events } = reconciler(running, target, oomKilled(stopped));
    // The runner reports before the operator acts on what its cache showed.
    await runnerReports('late-m1', { phase: 'Succeeded', jobName: 'late-m1' });
    expect(await r.reconcile(ns(), 'late-m1')).toBeUndefined();
    expect((await readRun('late-m1')).status?.phase).toBe('Succeeded');
    expect(stopped).toEqual([]);
    // Only the announcement of a run created moments ago (its creator may have died before it); no failure.
    expect(events).toEqual(['Normal RunCreated created run late-m1 (manual)']);

    // And without the race, the failure is written, announced and the Job stopped.
    await createOwnedRun(ns(), target, 'late-m2', { trigger: 'manual' });
    await runnerReports('late-m2', { phase: 'Running', jobName: 'late-m2' });
    const m2 = await readRun('late-m2');
    const second = reconciler(m2, target, oomKilled(stopped));
    expect(await second.r.reconcile(ns(), 'late-m2')).toBeUndefined();
    expect((await readRun('late-m2')).status).toMatchObject({
      phase: 'Failed',
      failure: { reason: 'TestsOOMKilled' },
    });
    expect(stopped).toEqual(['late-m2']);
    expect(events).toEqual(['Normal RunCreated created run late-m1 (manual)']);
    expect(second.events).toEqual([
      'Normal RunCreated created run late-m2 (manual)',
      'Warning RunFailed TestsOOMKilled: the tests container ran out of memory',
    ]);
  });
});
