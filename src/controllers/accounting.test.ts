import { describe, expect, test } from '@jest/globals';
import { account, LABEL_COUNTED, runsToPrune } from './accounting.ts';
import type { ImprovementRun } from './types.ts';

const run = (
  name: string,
  phase: string | undefined,
  minute: number,
  extra: Record<string, unknown> = {},
  counted = false,
): ImprovementRun => ({
  metadata: { name, namespace: 'n', labels: counted ? { [LABEL_COUNTED]: 'true' } : {} },
  spec: { targetRef: { name: 't' }, trigger: 'schedule' },
  status: phase
    ? ({
        phase,
        completionTime: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
        ...extra,
      } as never)
    : undefined,
});

describe('account', () => {
  test('counts each finished run once, by result, and ignores active ones', () => {
    const runs = [
      run('a', 'Succeeded', 1),
      run('b', 'Failed', 2),
      run('c', 'NoChange', 3),
      run('d', 'Running', 4),
      run('e', undefined, 5),
    ];
    const first = account(undefined, runs);
    expect(first.status.totals).toEqual({
      runs: 3,
      succeeded: 1,
      failed: 1,
      noChange: 1,
      merged: 0,
      reverted: 0,
    });
    expect(first.newlyCounted.map((r) => r.metadata.name)).toEqual(['a', 'b', 'c']);
    const again = account(first.status, runs);
    expect(again.status.totals).toEqual(first.status.totals);
    expect(again.newlyCounted).toEqual([]);
  });

  test('with more runs kept than any fixed window, no run is counted twice (no label needed)', () => {
    // 200 finished runs kept (history limits up to 1000): counted once, then again and again.
    const runs = Array.from({ length: 200 }, (_, i) => run(`r${i}`, 'Succeeded', i));
    let status = account(undefined, runs).status;
    for (let i = 0; i < 3; i++) status = account(status, runs).status;
    expect(status.totals!.runs).toBe(200);
    expect(status.countedRuns).toHaveLength(200);
  });

  test('a run leaves the list only once it is gone; a merge key goes with its run', () => {
    const runs = [
      run('a', 'Succeeded', 1, { pullRequest: { number: 1, merged: true } }),
      run('b', 'Failed', 2),
    ];
    const first = account(undefined, runs).status;
    expect(first.countedRuns).toEqual(['a', 'b', 'merged:a']);
    // `a` was pruned: the list forgets it and its merge, and `b` is not counted again.
    const after = account(first, [runs[1]!]).status;
    expect(after.countedRuns).toEqual(['b']);
    expect(after.totals).toEqual(first.totals);
  });

  test('a run labelled counted is not counted again even after the ring forgot it', () => {
    const res = account(
      { totals: { runs: 5, succeeded: 5, failed: 0, noChange: 0, merged: 0, reverted: 0 } },
      [run('old', 'Succeeded', 1, {}, true)],
    );
    expect(res.status.totals!.runs).toBe(5);
  });

  test('lastRun, coverage trend, last success and consecutive failures follow completion order', () => {
    const runs = [
      run('r1', 'Succeeded', 1, {
        tests: { coverageAfter: 60 },
        improvement: { type: 'tests', priority: 'P2', title: 'x' },
        commit: 'abc',
      }),
      run('r3', 'Failed', 3),
      run('r2', 'Succeeded', 2, {
        tests: { coverageAfter: 64.5 },
        pullRequest: { url: 'u', number: 1 },
      }),
      run('r4', 'Failed', 4),
    ];
    const { status } = account(undefined, runs);
    expect(status.lastRun).toMatchObject({ name: 'r4', result: 'Failed' });
    expect(status.coverage).toEqual({ previous: 60, current: 64.5 });
    expect(status.lastSuccessfulTime).toBe('2026-01-01T00:02:00.000Z');
    expect(status.consecutiveFailures).toBe(2);
    const next = account(status, [...runs, run('r5', 'NoChange', 5)]);
    expect(next.status.consecutiveFailures).toBe(0);
  });

  test('the quality trend follows the runs that measured it, in completion order', () => {
    const q = (findingsBefore: number, findings: number) => ({
      quality: { findingsBefore, findings, checks: [] },
    });
    const { status } = account(undefined, [
      run('q2', 'Failed', 2, q(7, 7)),
      run('q1', 'Succeeded', 1, q(9, 7)),
      run('q3', 'NoChange', 3),
    ]);
    expect(status.quality).toEqual({ previous: 7, current: 7 });
    const next = account(status, [run('q4', 'Succeeded', 4, q(7, 5))]).status;
    expect(next.quality).toEqual({ previous: 7, current: 5 });
  });

  test('security findings come from the latest run whose scan completed', () => {
    const findings = (critical: number) => ({ critical, high: 0, medium: 0, low: 0, unknown: 0 });
    const sec = (critical: number, note?: string) => ({
      security: {
        scanner: 'osv-scanner 2.5.1',
        database: 'local',
        findings: findings(critical),
        advisories: [],
        ...(note ? { note } : {}),
      },
    });
    const { status } = account(undefined, [
      run('s1', 'Succeeded', 1, sec(2)),
      run('s2', 'Succeeded', 2, sec(1)),
      // A scan that failed says nothing about the branch.
      run('s3', 'NoChange', 3, sec(0, 'the dependency scan failed (exit 127): offline')),
      run('s4', 'NoChange', 4),
    ]);
    expect(status.security).toEqual({
      findings: findings(1),
      scanner: 'osv-scanner 2.5.1',
      run: 's2',
    });
  });

  test('the list stays bounded by the runs that exist (the history limits)', () => {
    const runs = Array.from({ length: 100 }, (_, i) => run(`r${i}`, 'Succeeded', i));
    const { status } = account(undefined, runs);
    // The history limits pruned all but the newest three.
    const kept = account(status, runs.slice(-3)).status;
    expect(kept.countedRuns).toEqual(['r97', 'r98', 'r99']);
    expect(kept.totals!.runs).toBe(100);
  });
});

test('merges are counted once per run, and successful rollbacks as reverted', () => {
  const pr = {
    pullRequest: { number: 7, url: 'u', merged: true, mergedAt: '2026-01-01T01:00:00Z' },
  };
  const runs = [
    run('a', 'Succeeded', 1, pr),
    run('b', 'Succeeded', 2, pr),
    run('c', 'Succeeded', 3, { pullRequest: { number: 8 } }),
  ];
  const rb = run('rb', 'Succeeded', 4);
  rb.spec.trigger = 'rollback';
  const first = account(undefined, [...runs, rb]);
  expect(first.status.totals).toMatchObject({ merged: 2, reverted: 1, succeeded: 4 });
  expect(first.newlyMerged.map((r) => r.metadata.name)).toEqual(['a', 'b']);
  const again = account(first.status, [...runs, rb]);
  expect(again.status.totals).toMatchObject({ merged: 2, reverted: 1 });
  expect(again.newlyMerged).toEqual([]);
});

describe('runsToPrune', () => {
  test('keeps the newest N successful (incl. NoChange) and M failed; never active or uncounted runs', () => {
    const runs = [
      run('s1', 'Succeeded', 1, {}, true),
      run('s2', 'NoChange', 2, {}, true),
      run('s3', 'Succeeded', 3, {}, true),
      run('f1', 'Failed', 4, {}, true),
      run('f2', 'Failed', 5, {}, true),
      run('u1', 'Failed', 0, {}, false),
      run('a1', 'Running', 0, {}, true),
    ];
    expect(
      runsToPrune(runs, undefined, { successful: 2, failed: 1 }).map((r) => r.metadata.name),
    ).toEqual(['s1', 'f1']);
    expect(
      runsToPrune(runs, undefined, { successful: 0, failed: 0 })
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual(['f1', 'f2', 's1', 's2', 's3']);
  });
});
