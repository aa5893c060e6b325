// Runs that end: a Job that fails without the runner reporting (here, its
// deadline passes) marks the run Failed with a stable reason; outcomes the
// runner reports are counted once into the target status; history limits
// prune old runs. kube-controller-manager supplies the Job controller.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { GROUP, VERSION } from '../../src/crds/index.ts';
import type { Manager } from '../../src/operator/manager.ts';
import { installCrds, useControllerManager, useNamespace } from '../support/kube.ts';
import {
  clients,
  createTarget,
  getTarget,
  listRuns,
  patchRunStatus,
  startManager,
} from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';

const ns = useNamespace('outcome');
useControllerManager();
let manager: Manager;

beforeAll(async () => {
  await installCrds();
  const h = startManager({ namespaces: [ns()] });
  manager = h.manager;
  await h.started;
});
afterAll(async () => manager?.stop());

const runsOf = async (target: string) =>
  (await listRuns(ns())).filter((r) => r.spec.targetRef.name === target);

describe('a Job that ends without an outcome', () => {
  test('its deadline passes → the run is Failed with reason DeadlineExceeded, and the target counts it', async () => {
    await createTarget(
      ns(),
      'slow',
      { schedule: '0 0 1 1 *', runner: { activeDeadlineSeconds: 10 } },
      { 'opencode.dev/run-requested-at': 'now' },
    );
    const run = await waitFor(
      async () => (await runsOf('slow')).find((r) => r.status?.phase === 'Failed'),
      { timeoutMs: 60_000, what: 'run Failed' },
    );
    expect(run.status.failure.reason).toBe('DeadlineExceeded');
    expect(run.status.failure.message).toMatch(
      /ran past its deadline \(\d+s\): raise spec\.runner\.activeDeadlineSeconds/,
    );
    const t = await waitFor(
      async () => {
        const t = await getTarget(ns(), 'slow');
        return t.status?.totals?.failed === 1 ? t : undefined;
      },
      { what: 'target totals' },
    );
    expect(t.status.lastRun).toMatchObject({ name: run.metadata.name, result: 'Failed' });
    expect(t.status.phase).toBe('Idle');
    expect(t.status.consecutiveFailures).toBe(1);
  });
});

describe('outcomes reported by the runner', () => {
  test('are counted once; history limits prune the oldest runs', async () => {
    const target = await createTarget(ns(), 'busy', {
      schedule: '0 0 1 1 *',
      successfulRunsHistoryLimit: 1,
      failedRunsHistoryLimit: 1,
    });
    const outcomes = ['Succeeded', 'Failed', 'Succeeded', 'NoChange', 'Failed'];
    for (const [i, phase] of outcomes.entries()) {
      const name = `busy-manual-${i}`;
      await clients().custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns(),
        plural: 'improvementruns',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'ImprovementRun',
          metadata: {
            name,
            labels: { 'opencode.dev/target': 'busy' },
            ownerReferences: [
              {
                apiVersion: `${GROUP}/${VERSION}`,
                kind: 'ImprovementTarget',
                name: 'busy',
                uid: target.metadata.uid,
                controller: true,
              },
            ],
          },
          spec: { targetRef: { name: 'busy' }, trigger: 'manual' },
        },
      });
      // What the runner writes at the end of a run:
      const completionTime = new Date(Date.UTC(2026, 10, 22, 1, i)).toISOString();
      const status: any = {
        phase,
        startTime: new Date(Date.parse(completionTime) - 60_000).toISOString(),
        completionTime,
      };
      if (phase === 'Succeeded')
        Object.assign(status, {
          improvement: { type: 'documentation', priority: 'P3', title: `Doc ${i}` },
          tests: { passed: true, coverageAfter: 50 + i },
        });
      if (phase === 'Failed') status.failure = { reason: 'TestsFailed', message: 'tests failed' };
      await patchRunStatus(ns(), name, status);
    }
    const t = await waitFor(
      async () => {
        const t = await getTarget(ns(), 'busy');
        return t.status?.totals?.runs === 5 ? t : undefined;
      },
      { what: 'all five counted' },
    );
    expect(t.status.totals).toEqual({
      runs: 5,
      succeeded: 2,
      failed: 2,
      noChange: 1,
      merged: 0,
      reverted: 0,
    });
    expect(t.status.lastRun).toMatchObject({ name: 'busy-manual-4', result: 'Failed' });
    expect(t.status.coverage).toEqual({ previous: 50, current: 52 });
    expect(t.status.lastSuccessfulTime).toBe(new Date(Date.UTC(2026, 10, 22, 1, 2)).toISOString());
    // Pruning waits on the operator's low queue lane: slow when the suite shares 2 cores.
    await waitFor(async () => (await runsOf('busy')).length === 2, {
      what: 'pruned to the limits',
      timeoutMs: 60_000,
    });
    expect((await runsOf('busy')).map((r) => r.metadata.name).sort()).toEqual([
      'busy-manual-3',
      'busy-manual-4',
    ]);
    // Pruning must not make the totals forget or double count.
    await new Promise((r) => setTimeout(r, 500));
    expect((await getTarget(ns(), 'busy')).status.totals.runs).toBe(5);
    const metrics = await manager.metrics.registry.getSingleMetricAsString('opencode_runs_total');
    expect(metrics).toContain(
      `opencode_runs_total{namespace="${ns()}",target="busy",result="succeeded"} 2`,
    );
    expect(metrics).toContain(
      `opencode_runs_total{namespace="${ns()}",target="busy",result="no_change"} 1`,
    );
  });
});
