import { describe, expect, test } from '@jest/globals';
import {
  decide,
  isScheduleError,
  parseSchedule,
  ScheduleCache,
  type ParsedSchedule,
} from './schedule.ts';

const parse = (expr: string, tz = 'Etc/UTC'): ParsedSchedule => {
  const s = parseSchedule(expr, tz);
  if (isScheduleError(s)) throw new Error(s.message);
  return s;
};
const t = (iso: string) => new Date(iso);

describe('parseSchedule', () => {
  test.each([
    ['61 * * * *', 'schedule', /minute/],
    ['0 0 * *', 'schedule', /5 fields/],
    ['0 0 31 2 *', 'schedule', /never fires/],
    ['every day', 'schedule', /5 fields/],
  ])('%s is refused with a reason', (expr, field, msg) => {
    const s = parseSchedule(expr, 'Etc/UTC');
    expect(isScheduleError(s) && s.field).toBe(field);
    expect(isScheduleError(s) && s.message).toMatch(msg);
  });

  test('an unknown time zone is refused', () => {
    const s = parseSchedule('0 * * * *', 'Mars/Olympus');
    expect(isScheduleError(s) && [s.reason, s.field]).toEqual(['InvalidTimeZone', 'timeZone']);
  });

  test('the cache returns the same parse for the same schedule and zone, and stays bounded', () => {
    const cache = new ScheduleCache(2);
    const a = cache.parse('0 8 * * *', 'Europe/Berlin');
    expect(cache.parse('0 8 * * *', 'Europe/Berlin')).toBe(a);
    expect(cache.parse('0 8 * * *', 'Etc/UTC')).not.toBe(a); // another zone, another schedule
    expect(isScheduleError(cache.parse('0 8 * *', 'Etc/UTC'))).toBe(true); // errors are cached too
    expect(cache.size).toBe(2);
    expect(cache.parse('0 8 * * *', 'Europe/Berlin')).not.toBe(a); // evicted: parsed afresh
  });

  test('remembering the current interval never changes an answer, across DST and backwards in time', () => {
    for (const [expr, tz] of [
      ['*/7 * * * *', 'Etc/UTC'],
      ['30 2 * * *', 'Europe/Berlin'],
      ['0 8 * * 1-5', 'America/New_York'],
    ] as const) {
      const remembered = parse(expr, tz);
      let seed = 42;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      let at = t('2026-03-27T00:00:00Z').getTime();
      for (let i = 0; i < 400; i++) {
        // Mostly forward by up to 3 hours, sometimes back, sometimes exactly onto a slot.
        at += Math.floor((random() - 0.15) * 3 * 3600_000);
        const now = new Date(at);
        const q =
          i % 10 === 0
            ? (remembered.latestAtOrBefore(now) ?? now) // exactly on a slot
            : i % 10 === 5
              ? (remembered.next(now) ?? now) // exactly on the next slot
              : now;
        const fresh = parse(expr, tz);
        expect([remembered.next(q), remembered.latestAtOrBefore(q)]).toEqual([
          fresh.next(q),
          fresh.latestAtOrBefore(q),
        ]);
      }
    }
  });

  test('macros work', () => {
    expect(parse('@hourly').next(t('2026-11-22T10:15:00Z'))).toEqual(t('2026-11-22T11:00:00Z'));
    expect(parse('@weekly').next(t('2026-11-22T10:15:00Z'))).toEqual(t('2026-11-29T00:00:00Z'));
  });

  test('the time zone is honoured across the spring-forward DST change', () => {
    const s = parse('30 2 * * *', 'Europe/Berlin');
    // 02:30 does not exist on 2026-03-29 in Berlin: it runs once, at 03:00 CEST.
    expect(s.next(t('2026-03-28T12:00:00Z'))).toEqual(t('2026-03-29T01:00:00Z'));
    expect(s.next(t('2026-03-29T01:00:00Z'))).toEqual(t('2026-03-30T00:30:00Z'));
    const eight = parse('0 8 * * *', 'America/New_York');
    expect(eight.next(t('2026-11-01T00:00:00Z'))).toEqual(t('2026-11-01T13:00:00Z')); // EST after fall-back
    expect(eight.next(t('2026-10-31T00:00:00Z'))).toEqual(t('2026-10-31T12:00:00Z')); // EDT
  });

  test('latestAtOrBefore includes a slot exactly at the instant', () => {
    expect(parse('0 * * * *').latestAtOrBefore(t('2026-11-22T10:00:00Z'))).toEqual(
      t('2026-11-22T10:00:00Z'),
    );
  });
});

describe('decide', () => {
  const hourly = parse('0 * * * *');
  const base = {
    schedule: hourly,
    createdAt: t('2026-11-22T00:30:00Z'),
    startingDeadlineSeconds: 600,
  };

  test('nothing is due before the first slot after creation', () => {
    expect(decide({ ...base, now: t('2026-11-22T00:59:00Z') })).toEqual({
      kind: 'wait',
      next: t('2026-11-22T01:00:00Z'),
    });
  });

  test('with a clock behind the creation time, the next slot is still after creation', () => {
    expect(decide({ ...base, now: t('2026-11-22T00:29:50Z') })).toEqual({
      kind: 'wait',
      next: t('2026-11-22T01:00:00Z'),
    });
    const hourlyFromHalfPast = { ...base, createdAt: t('2026-11-22T01:00:20Z') };
    expect(decide({ ...hourlyFromHalfPast, now: t('2026-11-22T00:59:50Z') })).toEqual({
      kind: 'wait',
      next: t('2026-11-22T02:00:00Z'),
    });
  });

  test('a slot that just came due runs', () => {
    expect(decide({ ...base, now: t('2026-11-22T01:00:05Z') })).toMatchObject({
      kind: 'run',
      slot: t('2026-11-22T01:00:00Z'),
    });
  });

  test('a handled slot does not run again', () => {
    expect(
      decide({
        ...base,
        now: t('2026-11-22T01:00:05Z'),
        lastScheduleTime: t('2026-11-22T01:00:00Z'),
      }).kind,
    ).toBe('wait');
  });

  test('of several missed slots only the most recent runs', () => {
    const d = decide({
      ...base,
      now: t('2026-11-22T05:03:00Z'),
      lastScheduleTime: t('2026-11-22T01:00:00Z'),
    });
    expect(d).toMatchObject({
      kind: 'run',
      slot: t('2026-11-22T05:00:00Z'),
      next: t('2026-11-22T06:00:00Z'),
    });
  });

  test('a slot missed by more than the deadline is skipped', () => {
    const d = decide({
      ...base,
      now: t('2026-11-22T05:20:00Z'),
      lastScheduleTime: t('2026-11-22T01:00:00Z'),
    });
    expect(d).toEqual({
      kind: 'missed',
      slot: t('2026-11-22T05:00:00Z'),
      lateBySeconds: 1200,
      next: t('2026-11-22T06:00:00Z'),
    });
  });

  test('a zero deadline runs only on time', () => {
    expect(
      decide({ ...base, startingDeadlineSeconds: 0, now: t('2026-11-22T01:00:00Z') }).kind,
    ).toBe('run');
    expect(
      decide({ ...base, startingDeadlineSeconds: 0, now: t('2026-11-22T01:00:01Z') }).kind,
    ).toBe('missed');
  });
});
