import { describe, expect, test } from '@jest/globals';
import { HashedScheduleError, resolveHashed } from './hashed.ts';
import { isScheduleError, parseSchedule } from './schedule.ts';

const names = (n: number) => Array.from({ length: n }, (_, i) => `team-${i % 7}/repo-${i}`);

describe('resolveHashed', () => {
  test('a schedule without H is left as written, macros included', () => {
    for (const s of ['*/5 * * * *', '0 8 * * 1-5', '@hourly', '30 2 1 * *'])
      expect(resolveHashed(s, 'ns/a')).toBe(s);
  });

  test('the same name always gets the same minute; the value is fixed, not random', () => {
    const once = resolveHashed('H 8 * * *', 'prod/payments');
    for (let i = 0; i < 5; i++) expect(resolveHashed('H 8 * * *', 'prod/payments')).toBe(once);
    // Values written down: a change to the hash would move every target's
    // slot on upgrade, which users would see as missed or doubled runs.
    expect(once).toBe('29 8 * * *');
    expect(resolveHashed('H H * * *', 'prod/payments')).toBe('29 4 * * *');
    // Each field hashes on its own, so H H does not put minute and hour in lockstep.
    const both = names(200).map((n) => resolveHashed('H H * * *', n).split(' '));
    expect(new Set(both.map(([m, h]) => `${Number(m) % 24}-${h}`)).size).toBeGreaterThan(150);
  });

  test('a fleet on one line spreads over the hour as evenly as distinct minutes would', () => {
    const fleet = names(6000);
    const perMinute = new Array<number>(60).fill(0);
    for (const n of fleet) perMinute[Number(resolveHashed('H * * * *', n).split(' ')[0])]!++;
    // 100 expected per minute; a chi-square over 59 degrees of freedom stays
    // under 95 with probability 0.998 for a uniform spread.
    const chi2 = perMinute.reduce((s, c) => s + (c - 100) ** 2 / 100, 0);
    expect(chi2).toBeLessThan(95);
    expect(Math.min(...perMinute)).toBeGreaterThan(60);
  });

  test('ranges, steps and every field stay inside their bounds', () => {
    for (const n of names(500)) {
      const [m, h, dom, mon, dow] = resolveHashed('H(0-29) H(9-17) H H H', n)
        .split(' ')
        .map(Number);
      expect(m).toBeGreaterThanOrEqual(0);
      expect(m).toBeLessThanOrEqual(29);
      expect(h).toBeGreaterThanOrEqual(9);
      expect(h).toBeLessThanOrEqual(17);
      expect(dom).toBeGreaterThanOrEqual(1);
      expect(dom).toBeLessThanOrEqual(28); // every month has it
      expect(mon).toBeGreaterThanOrEqual(1);
      expect(mon).toBeLessThanOrEqual(12);
      expect(dow).toBeGreaterThanOrEqual(0);
      expect(dow).toBeLessThanOrEqual(6);
    }
    const step = resolveHashed('H/15 * * * *', 'ns/x');
    expect(step).toMatch(/^([0-9]|1[0-4])-59\/15 \* \* \* \*$/);
    expect(resolveHashed('H(30-59)/10 * * * *', 'ns/x')).toMatch(/^3[0-9]-59\/10 /);
    expect(resolveHashed('0,H * * * *', 'ns/x')).toMatch(/^0,\d+ /);
  });

  test('a hashed schedule fires once per period, at the hashed minute', () => {
    const expr = resolveHashed('H * * * *', 'ns/hourly');
    const minute = Number(expr.split(' ')[0]);
    const parsed = parseSchedule(expr, 'Etc/UTC');
    if (isScheduleError(parsed)) throw new Error(parsed.message);
    const first = parsed.next(new Date('2026-12-05T00:00:00Z'))!;
    const second = parsed.next(first)!;
    expect(first.getUTCMinutes()).toBe(minute);
    expect(second.getTime() - first.getTime()).toBe(3_600_000);

    const every = parseSchedule(resolveHashed('H/20 * * * *', 'ns/x'), 'Etc/UTC');
    if (isScheduleError(every)) throw new Error(every.message);
    const a = every.next(new Date('2026-12-05T00:00:00Z'))!;
    expect(every.next(a)!.getTime() - a.getTime()).toBe(20 * 60_000);
  });

  test('a malformed H names the field and the forms it takes', () => {
    const refused = (s: string) => {
      try {
        resolveHashed(s, 'ns/a');
      } catch (err) {
        expect(err).toBeInstanceOf(HashedScheduleError);
        return (err as Error).message;
      }
      throw new Error(`${s} was accepted`);
    };
    expect(refused('H(0-70) * * * *')).toMatch(
      /^minute "H\(0-70\)": the range must lie within 0-59/,
    );
    expect(refused('0 H(5-2) * * *')).toMatch(/^hour .*low end first/);
    expect(refused('0 0 H/0 * *')).toMatch(/^day of month "H\/0": the step must be 1-28/);
    expect(refused('HH * * * *')).toMatch(/write H, H\(a-b\), H\/n or H\(a-b\)\/n/);
  });
});
