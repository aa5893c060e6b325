// Pure scheduling decisions with the semantics of Kubernetes' CronJob
// controller: only the most recent missed slot may run, and only within
// startingDeadlineSeconds. The clock is an input; nothing here reads time.
import { Cron } from 'croner';

export interface ParsedSchedule {
  /** Slots strictly after `after`, in order. */
  next(after: Date): Date | null;
  /** The latest slot at or before `at`. */
  latestAtOrBefore(at: Date): Date | null;
}

export type ScheduleError = {
  field: 'schedule' | 'timeZone';
  reason: 'InvalidSchedule' | 'InvalidTimeZone';
  message: string;
};

export function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Parses a 5-field cron or @-macro in an IANA time zone, or explains what is wrong. */
export function parseSchedule(expr: string, timeZone: string): ParsedSchedule | ScheduleError {
  if (!validTimeZone(timeZone)) {
    return {
      field: 'timeZone',
      reason: 'InvalidTimeZone',
      message: `unknown time zone "${timeZone}": use an IANA name such as Etc/UTC or Europe/Berlin`,
    };
  }
  const fields = expr.trim().split(/\s+/);
  if (!expr.trim().startsWith('@') && fields.length !== 5) {
    return {
      field: 'schedule',
      reason: 'InvalidSchedule',
      message: `schedule "${expr}" must have 5 fields (minute hour day-of-month month day-of-week) or be an @-macro`,
    };
  }
  let cron: Cron;
  try {
    cron = new Cron(expr.trim(), { timezone: timeZone, paused: true, legacyMode: true });
    // Some mistakes (e.g. 31 February) only show when asked for a run.
    if (cron.nextRun(new Date(0)) === null) throw new Error('it never fires');
  } catch (err) {
    const detail = err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
    return {
      field: 'schedule',
      reason: 'InvalidSchedule',
      message: `schedule "${expr}" is not a valid cron expression: ${detail}`,
    };
  }
  // croner walks the calendar on every call (about a millisecond each), and
  // every reconcile asks both questions. Between two consecutive slots the
  // answers cannot change, so remember the interval [latest, next) last seen.
  let known: { from: number; to: number; latest: Date | null; next: Date | null } | undefined;
  const around = (t: number) => {
    if (known && t >= known.from && t < known.to) return known;
    const latest = cron.previousRuns(1, new Date(t + 1))[0] ?? null;
    const next = cron.nextRun(new Date(t));
    known = {
      from: latest?.getTime() ?? -Infinity,
      to: next?.getTime() ?? Infinity,
      latest,
      next,
    };
    return known;
  };
  return {
    next: (after) => around(after.getTime()).next,
    latestAtOrBefore: (at) => around(at.getTime()).latest,
  };
}

/**
 * parseSchedule, remembered (least recently used first out): targets share
 * few distinct schedules, and validating the time zone and compiling the
 * pattern on every reconcile was a visible share of the operator's CPU
 * when many targets fire in the same minute.
 */
export class ScheduleCache {
  private readonly max: number;
  private readonly entries = new Map<string, ParsedSchedule | ScheduleError>();

  // Hashed schedules (H) make up to 1,440 distinct daily lines from one.
  constructor(max = 4096) {
    this.max = max;
  }

  get size(): number {
    return this.entries.size;
  }

  parse(expr: string, timeZone: string): ParsedSchedule | ScheduleError {
    const key = `${timeZone}\n${expr}`;
    let hit = this.entries.get(key);
    if (hit) this.entries.delete(key);
    else hit = parseSchedule(expr, timeZone);
    this.entries.set(key, hit);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return hit;
  }
}

export function isScheduleError(x: ParsedSchedule | ScheduleError): x is ScheduleError {
  return 'reason' in x;
}

export interface ScheduleInput {
  schedule: ParsedSchedule;
  now: Date;
  /** When the last slot was started; falls back to the target's creation time. */
  lastScheduleTime?: Date;
  createdAt: Date;
  startingDeadlineSeconds: number;
}

export type ScheduleDecision =
  /** Start a run for `slot` now. */
  | { kind: 'run'; slot: Date; next: Date | null }
  /** The most recent slot is older than the deadline: skip it, say so. */
  | { kind: 'missed'; slot: Date; lateBySeconds: number; next: Date | null }
  /** Nothing due; come back at `next`. */
  | { kind: 'wait'; next: Date | null };

/**
 * Decides what is due at `now`. A slot is due when it is after the last
 * handled slot (or creation) and at or before now; of several missed slots
 * only the latest counts, as in the CronJob controller.
 */
export function decide(input: ScheduleInput): ScheduleDecision {
  const { schedule, now } = input;
  const since = input.lastScheduleTime ?? input.createdAt;
  // Never announce a slot before the target existed (or before the last handled one),
  // even when this clock runs behind the API server's.
  const next = schedule.next(new Date(Math.max(now.getTime(), since.getTime())));
  const latest = schedule.latestAtOrBefore(now);
  if (!latest || latest.getTime() <= since.getTime()) return { kind: 'wait', next };
  const lateBySeconds = Math.floor((now.getTime() - latest.getTime()) / 1000);
  if (lateBySeconds > input.startingDeadlineSeconds)
    return { kind: 'missed', slot: latest, lateBySeconds, next };
  return { kind: 'run', slot: latest, next };
}
