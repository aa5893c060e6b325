import { describe, expect, test } from '@jest/globals';
import { OperatorMetrics } from './metrics.ts';

/** Every per-target series a busy target has: gauges, counters with extra labels, histograms. */
function fill(m: OperatorMetrics, namespace: string, target: string): void {
  const l = { namespace, target };
  m.runsTotal.inc({ ...l, result: 'succeeded' });
  m.runsTotal.inc({ ...l, result: 'failed' });
  m.improvementsTotal.inc({ ...l, type: 'tests', priority: 'P2' });
  m.runDuration.observe(l, 120);
  m.timeToMain.observe(l, 900);
  m.rollbacksTotal.inc({ ...l, result: 'succeeded' });
  m.autoReverts.inc(l, 0);
  m.notifications.inc({ ...l, webhook: 'slack', result: 'delivered' });
  m.scheduleLag.observe(l, 0.3);
  m.nextRun.set(l, 1);
  m.coverage.set(l, 80);
  m.consecutiveFailures.set(l, 0);
  m.securityFindings.set({ ...l, severity: 'critical' }, 1);
  m.securityFindings.set({ ...l, severity: 'low' }, 0);
}

const seriesOf = (text: string, target: string) =>
  text.split('\n').filter((line) => line.includes(`target="${target}"`)).length;

describe('OperatorMetrics.forgetTarget', () => {
  test('a deleted target leaves no series behind, at scale, and the others keep theirs', async () => {
    const m = new OperatorMetrics({ processMetrics: false });
    const n = 3000;
    for (let i = 0; i < n; i++) fill(m, `ns-${i % 10}`, `t${i}`);
    const before = await m.registry.metrics();
    expect(seriesOf(before, 't7')).toBeGreaterThan(20);

    const t0 = performance.now();
    for (let i = 0; i < n; i++) if (i % 3 !== 0) m.forgetTarget(`ns-${i % 10}`, `t${i}`);
    await m.sweep();
    const ms = performance.now() - t0;

    const after = await m.registry.metrics();
    for (const gone of ['t1', 't2', 't7', `t${n - 1}`]) expect(seriesOf(after, gone)).toBe(0);
    for (const kept of ['t0', 't3', `t${n - 3}`])
      expect(seriesOf(after, kept)).toBe(seriesOf(before, kept));
    // One sweep for all of them: linear, not a scan per deleted target.
    expect(ms).toBeLessThan(5000);
    const perTarget = (t: string) => t.split('\n').filter((l) => l.includes('target="')).length;
    expect(perTarget(before)).toBe(n * seriesOf(before, 't0'));
    expect(perTarget(after)).toBe(Math.ceil(n / 3) * seriesOf(before, 't0'));
  });

  test('a target of the same name in another namespace is not touched', async () => {
    const m = new OperatorMetrics({ processMetrics: false });
    fill(m, 'a', 'web');
    fill(m, 'b', 'web');
    m.forgetTarget('a', 'web');
    await m.sweep();
    const text = await m.registry.metrics();
    expect(text).not.toContain('namespace="a"');
    expect(text).toContain('opencode_runs_total{namespace="b",target="web",result="failed"} 1');
  });
});
