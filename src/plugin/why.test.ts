import { describe, expect, test } from '@jest/globals';
import type { ImprovementTarget } from '../controllers/types.ts';
import { humanDuration, why } from './why.ts';

const now = new Date('2026-11-21T08:00:00Z');
const target = (o: {
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  annotations?: Record<string, string>;
}): ImprovementTarget =>
  ({
    metadata: { name: 'api', namespace: 'ns', annotations: o.annotations },
    spec: { repository: { url: 'https://github.com/a/b.git' }, schedule: '@daily', ...o.spec },
    status: o.status,
  }) as unknown as ImprovementTarget;
const stalled = {
  type: 'Stalled',
  status: 'True',
  reason: 'InvalidSchedule',
  message: 'fix spec.schedule',
};

describe('why', () => {
  test('a Stalled condition wins over everything else, with its message', () => {
    const w = why(
      target({
        spec: { suspend: true },
        status: { conditions: [stalled], activeRuns: ['r1'], phase: 'Stalled' },
        annotations: { 'opencode.dev/run-requested-at': 'x' },
      }),
      now,
    );
    expect(w).toEqual({
      activity: 'stalled',
      acting: false,
      line: 'stalled (InvalidSchedule): fix spec.schedule',
    });
  });

  test('an active run is reported even while suspended', () => {
    const w = why(target({ spec: { suspend: true }, status: { activeRuns: ['r1', 'r2'] } }), now);
    expect(w.activity).toBe('running');
    expect(w.line).toBe('a run is active: r1, r2; suspended, so no new run starts after it');
  });

  test('an unhandled run request is pending also while suspended; a handled one is not', () => {
    const annotations = { 'opencode.dev/run-requested-at': '2026-11-21T07:59:00Z' };
    expect(why(target({ spec: { suspend: true }, annotations, status: {} }), now).activity).toBe(
      'run-requested',
    );
    expect(
      why(
        target({
          spec: { suspend: true },
          annotations,
          status: { phase: 'Suspended', lastHandledRunRequest: '2026-11-21T07:59:00Z' },
        }),
        now,
      ).activity,
    ).toBe('suspended');
  });

  test('a rollback id not yet handled is pending', () => {
    const spec = { rollback: { id: 'b', commit: 'abcdef1' } };
    expect(why(target({ spec, status: { rollback: { lastHandledId: 'a' } } }), now).line).toMatch(
      /^a rollback \(id b\) is pending/,
    );
    expect(
      why(target({ spec, status: { phase: 'Idle', rollback: { lastHandledId: 'b' } } }), now)
        .activity,
    ).toBe('no-slot');
  });

  test('waiting for the next slot names the time and how far away it is', () => {
    const w = why(
      target({ status: { phase: 'Idle', nextScheduleTime: '2026-11-21T11:12:00Z' } }),
      now,
    );
    expect(w.line).toBe('waiting for the next slot at 2026-11-21T11:12:00Z (in 3h 12m)');
    const late = why(
      target({ status: { phase: 'Idle', nextScheduleTime: '2026-11-21T07:59:30Z' } }),
      now,
    );
    expect(late.line).toContain('(30s ago)');
  });

  test('a target the operator never wrote to says so', () => {
    expect(why(target({}), now).activity).toBe('not-reconciled');
  });
});

test('humanDuration rounds to the two largest units', () => {
  expect(humanDuration(0)).toBe('0s');
  expect(humanDuration(59_400)).toBe('59s');
  expect(humanDuration(61_000)).toBe('1m');
  expect(humanDuration(3_600_000)).toBe('1h');
  expect(humanDuration(90_061_000)).toBe('1d 1h');
});
