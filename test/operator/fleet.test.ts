// What a long-lived fleet must not accumulate, against the real API server:
// a target whose runs churn keeps a status of a few KB (every list in it is
// bounded by the history limits, not by the number of runs ever made), and
// deleted targets leave no metric series behind, at fleet scale.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Manager } from '../../src/operator/manager.ts';
import { installCrds, kubectlOk, useNamespace } from '../support/kube.ts';
import {
  createOwnedRun,
  createTarget,
  getTarget,
  listRuns,
  patchRunStatus,
  startManager,
} from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';

const ns = useNamespace('fleet');
let manager: Manager;

beforeAll(async () => {
  await installCrds();
  const h = startManager({ namespaces: [ns()] });
  manager = h.manager;
  await h.started;
});
afterAll(async () => manager?.stop());

async function inBatches<T>(items: T[], size: number, fn: (x: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

describe('a target whose runs churn', () => {
  test('keeps its status to a few KB however many runs it has had', async () => {
    const target = await createTarget(ns(), 'churn', {
      schedule: '0 0 1 1 *',
      successfulRunsHistoryLimit: 3,
      failedRunsHistoryLimit: 2,
    });
    const statusBytes = async () => JSON.stringify((await getTarget(ns(), 'churn')).status).length;
    const sizes: number[] = [];
    const rounds = 6;
    const perRound = 25;
    for (let round = 0; round < rounds; round++) {
      const runs = Array.from({ length: perRound }, (_, i) => round * perRound + i);
      await inBatches(runs, 10, async (i) => {
        const name = `churn-manual-${i}`;
        await createOwnedRun(ns(), target, name, { trigger: 'manual' });
        const at = new Date(Date.UTC(2026, 11, 1, 0, i)).toISOString();
        const failed = i % 4 === 3;
        await patchRunStatus(ns(), name, {
          phase: failed ? 'Failed' : 'Succeeded',
          startTime: at,
          completionTime: at,
          ...(failed
            ? { failure: { reason: 'TestsFailed', message: 'tests failed' } }
            : {
                commit: 'abc1234',
                improvement: { type: 'documentation', priority: 'P3', title: `Doc ${i}` },
                // Every other success merged: each merge is counted once too.
                pullRequest: {
                  number: i + 1,
                  url: `https://github.com/acme/demo/pull/${i + 1}`,
                  merged: i % 2 === 0,
                  ...(i % 2 === 0 ? { mergedAt: at } : {}),
                },
              }),
        });
      });
      const counted = (round + 1) * perRound;
      await waitFor(async () => (await getTarget(ns(), 'churn')).status?.totals?.runs === counted, {
        what: `${counted} runs counted`,
        timeoutMs: 60_000,
      });
      await waitFor(async () => (await listRuns(ns())).length <= 5, {
        what: 'pruned to the history limits',
        timeoutMs: 60_000,
      });
      sizes.push(await statusBytes());
    }
    const t = await getTarget(ns(), 'churn');
    const all = Array.from({ length: rounds * perRound }, (_, i) => i);
    const failed = all.filter((i) => i % 4 === 3).length;
    expect(t.status.totals).toMatchObject({
      runs: all.length,
      failed,
      succeeded: all.length - failed,
      merged: all.filter((i) => i % 2 === 0).length, // the even ones never failed
    });
    // Bounded by the history limits, not by the 150 runs made.
    expect(t.status.countedRuns.length).toBeLessThanOrEqual(2 * 5);
    expect(Math.max(...sizes)).toBeLessThan(4096);
    // It does not creep: after five times as many runs the status grew by digits
    // (counts, run names), not by entries (an entry per run would add 3 KB).
    expect(sizes.at(-1)!).toBeLessThanOrEqual(sizes[0]! + 256);
  });
});

describe('deleted targets', () => {
  test('leave no metric series behind, for a whole fleet at once', async () => {
    const n = 300;
    const names = Array.from({ length: n }, (_, i) => `gone-${i}`);
    await inBatches(names, 20, (name) => createTarget(ns(), name, { schedule: 'H H * * *' }));
    const seriesOf = async () =>
      (await manager.metrics.registry.metrics())
        .split('\n')
        .filter((l) => l.includes(`namespace="${ns()}"`) && l.includes('target="gone-')).length;
    await waitFor(
      async () =>
        (
          await manager.metrics.registry.getSingleMetricAsString(
            'opencode_next_run_timestamp_seconds',
          )
        )
          .split('\n')
          .filter((l) => l.includes('target="gone-')).length === n,
      { what: `${n} targets with a next-run series`, timeoutMs: 120_000 },
    );
    expect(await seriesOf()).toBeGreaterThanOrEqual(2 * n); // the gauges and the auto-revert counter
    await kubectlOk(['delete', 'improvementtargets', '-n', ns(), '-l', '!keep', '--wait=false']);
    await waitFor(async () => (await seriesOf()) === 0, {
      what: 'every series of the deleted targets gone',
      timeoutMs: 120_000,
    });
  });
});
