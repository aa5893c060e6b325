// A deduplicating, rate-limited work queue with client-go's semantics: a key
// is queued at most once, never processed by two workers at once, re-queued
// if it changed while being processed. Retries after failures are rate
// limited as client-go's default controller limiter does: the slower of a
// per-key exponential backoff and an overall token bucket (so a storm of
// failures cannot hammer the API server), while ordinary adds are not
// throttled. Delayed adds use the Clock, so a requeue at the next cron slot
// is a timer, not a polling loop.
//
// Two lanes: workers take from the high lane first (the operator puts target
// reconciles there, which create runs and Jobs) and from the low lane when it
// is empty (run bookkeeping, deferred status writes), or every LOW_EVERY-th
// pick while both wait, so the low lane is never starved. While high-lane
// work is still in flight the low lane waits for it (at most LOW_HOLD_MS):
// the last Jobs of a burst do not share the API server with bookkeeping.
import { realClock, type Clock } from './clock.ts';

export interface QueueOptions {
  clock: Clock;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Overall rate limit for retries: tokens per second and burst. */
  qps?: number;
  burst?: number;
  /** The lane a key goes to when added without one; default high. */
  laneOf?: (key: string) => Lane;
}

export type WorkResult = void | {
  requeueAfterMs?: number;
  /** Come back in the low lane, after the work waiting in the high lane (a deferred write). */
  deferred?: boolean;
};

export type Lane = 'high' | 'low';

/** While both lanes wait, one pick in this many goes to the low lane. */
export const LOW_EVERY = 8;
/** The longest the low lane waits for in-flight high-lane work (real time). */
export const LOW_HOLD_MS = 1000;

export class WorkQueue {
  private readonly clock: Clock;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly qps: number;
  private readonly burst: number;
  private tokens: number;
  private lastRefill = Date.now();
  private readonly lanes: Record<Lane, string[]> = { high: [], low: [] };
  private readonly laneOf: (key: string) => Lane;
  private highPicks = 0;
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys being processed that were taken from the high lane. */
  private readonly processingHigh = new Set<string>();
  /** Since when (real ms) a worker has held the low lane back for in-flight high-lane work. */
  private holdingSince?: number;
  private readonly highIdleWaiters: Array<() => void> = [];
  private readonly dirty = new Set<string>();
  /** Keys whose last handling asked to come back in the low lane (added when they are done). */
  private readonly deferred = new Set<string>();
  /** Deferred keys now waiting in the low lane: a new high-lane add does not move them up. */
  private readonly deferredWaiting = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; cancel: () => void }>();
  private waiters: Array<() => void> = [];
  private shuttingDown = false;

  constructor(opts: QueueOptions) {
    this.clock = opts.clock;
    this.baseDelayMs = opts.baseDelayMs ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
    this.qps = opts.qps ?? 10;
    this.burst = opts.burst ?? 100;
    this.tokens = this.burst;
    this.laneOf = opts.laneOf ?? (() => 'high');
  }

  get length(): number {
    return this.lanes.high.length + this.lanes.low.length;
  }

  /** Keys waiting in the high lane. */
  get highWaiting(): number {
    return this.lanes.high.length;
  }

  /** High-lane keys being processed. */
  get highInFlight(): number {
    return this.processingHigh.size;
  }

  /**
   * Resolves once nothing waits in or is processed from the high lane, or
   * after maxMs (real time), whichever comes first: work that should trail a
   * burst (Events) waits on it without ever stalling for long.
   */
  highIdle(maxMs: number): Promise<void> {
    if (this.shuttingDown || (this.lanes.high.length === 0 && this.processingHigh.size === 0))
      return Promise.resolve();
    return this.wait(this.highIdleWaiters, maxMs);
  }

  /** Waits until woken through `list` or for ms (real time); a timed-out waiter leaves the list. */
  private wait(list: Array<() => void>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        const at = list.indexOf(wake);
        if (at >= 0) list.splice(at, 1);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      list.push(wake);
    });
  }

  /** Nothing queued or in progress (delayed adds may be pending). */
  get idle(): boolean {
    return this.length === 0 && this.processing.size === 0;
  }

  add(key: string, lane: Lane = this.laneOf(key)): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) {
      // Asked for in the high lane while waiting in the low one: move it up,
      // unless it waits there on purpose (deferred: it has just been handled).
      const at =
        lane === 'high' && !this.deferredWaiting.has(key) ? this.lanes.low.indexOf(key) : -1;
      if (at >= 0) this.lanes.high.push(...this.lanes.low.splice(at, 1));
      return;
    }
    this.queued.add(key);
    this.lanes[lane].push(key);
    this.waiters.shift()?.();
  }

  /**
   * Adds key after ms by the queue's clock (schedule requeues); an earlier
   * pending add for the same key wins. Retries pass realClock: backoff is
   * about the API server's time, not the schedule's.
   */
  addAfter(key: string, ms: number, clock: Clock = this.clock): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now().getTime() + ms;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = clock.after(ms, () => {
      this.timers.delete(key);
      this.add(key);
    });
    this.timers.set(key, { at, cancel });
  }

  /** Re-adds after the slower of the key's next backoff step and the overall bucket. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.max(
      Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** n),
      this.reserveToken(),
    );
    this.addAfter(key, delay, realClock);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /**
   * The API server is back after an outage: every key's backoff starts
   * afresh, and the keys waiting out a backoff are retried now (a slot that
   * failed during a 3 s outage would otherwise wait out a backoff grown to
   * 10 s and more).
   */
  forgetAll(): void {
    for (const key of this.failures.keys()) {
      this.timers.get(key)?.cancel();
      this.timers.delete(key);
      this.add(key);
    }
    this.failures.clear();
  }

  /** Runs `workers` loops until shutdown; each key is handled by one worker at a time. */
  run(workers: number, handle: (key: string) => Promise<WorkResult>): Promise<void> {
    const loop = async () => {
      for (;;) {
        const key = await this.next();
        if (key === undefined) return;
        try {
          const res = await handle(key);
          this.forget(key);
          if (res?.deferred) this.deferred.add(key);
          else if (res?.requeueAfterMs !== undefined) this.addAfter(key, res.requeueAfterMs);
        } catch (err) {
          // An error that says when to come back (e.g. a write conflict on a
          // stale cache) is expected: no backoff step, no token.
          const after = (err as { retryAfterMs?: unknown } | null)?.retryAfterMs;
          if (typeof after === 'number') this.addAfter(key, after, realClock);
          else this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    return Promise.all(Array.from({ length: workers }, loop)).then(() => undefined);
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
    for (const w of this.highIdleWaiters.splice(0)) w();
  }

  private async next(): Promise<string | undefined> {
    for (;;) {
      if (this.shuttingDown) return undefined;
      const { high, low } = this.lanes;
      const fairTurn = this.highPicks >= LOW_EVERY - 1;
      const takeLow = low.length > 0 && (high.length === 0 || fairTurn);
      if (!takeLow || fairTurn || this.processingHigh.size === 0) {
        this.holdingSince = undefined;
      } else {
        // Hold the low lane while high-lane work is in flight, for a bounded time.
        const now = Date.now();
        this.holdingSince ??= now;
        const left = this.holdingSince + LOW_HOLD_MS - now;
        if (left > 0) {
          await this.wait(this.waiters, left);
          continue;
        }
      }
      const key = takeLow ? low.shift() : high.shift();
      this.highPicks = takeLow ? 0 : this.highPicks + 1;
      if (key !== undefined) {
        if (!takeLow) this.processingHigh.add(key);
        this.queued.delete(key);
        this.deferredWaiting.delete(key);
        this.processing.add(key);
        return key;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.processingHigh.delete(key) && this.processingHigh.size === 0) {
      // Workers holding the low lane back may go now; so may work trailing the high lane.
      for (const w of this.waiters.splice(0)) w();
      if (this.lanes.high.length === 0) for (const w of this.highIdleWaiters.splice(0)) w();
    }
    const dirty = this.dirty.delete(key);
    if (this.deferred.delete(key)) {
      this.add(key, 'low');
      this.deferredWaiting.add(key);
    }
    if (dirty) this.add(key);
  }

  /** Takes one token from the bucket (going into debt if empty); returns how long until it was due. */
  private reserveToken(): number {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.qps);
    this.lastRefill = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.qps) * 1000);
  }
}
