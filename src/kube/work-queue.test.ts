import { describe, expect, test } from '@jest/globals';
import { ManualClock } from '../kube/clock.ts';
import { LOW_EVERY, LOW_HOLD_MS, WorkQueue } from './work-queue.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('WorkQueue', () => {
  test('deduplicates keys that are waiting', async () => {
    const q = new WorkQueue({ clock: new ManualClock(new Date(0)) });
    const seen: string[] = [];
    q.add('a');
    q.add('a');
    q.add('b');
    const running = q.run(2, async (k) => void seen.push(k));
    await tick();
    await tick();
    q.shutdown();
    await running;
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  test('never hands one key to two workers; a change while processing runs it again after', async () => {
    const q = new WorkQueue({ clock: new ManualClock(new Date(0)) });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    q.add('a');
    const running = q.run(4, async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs++;
      if (runs === 1) await gate;
      active--;
    });
    await tick();
    q.add('a'); // while processing: marked dirty
    q.add('a');
    await tick();
    expect(runs).toBe(1);
    release();
    for (let i = 0; i < 5; i++) await tick();
    q.shutdown();
    await running;
    expect(runs).toBe(2);
    expect(maxActive).toBe(1);
  });

  test('addAfter waits for the clock, and the earliest request wins', async () => {
    const clock = new ManualClock(new Date(0));
    const q = new WorkQueue({ clock });
    const seen: number[] = [];
    const running = q.run(1, async () => void seen.push(clock.now().getTime()));
    q.addAfter('a', 60_000);
    q.addAfter('a', 30_000);
    q.addAfter('a', 90_000);
    clock.advance(29_999);
    await tick();
    expect(seen).toEqual([]);
    clock.advance(1);
    await tick();
    clock.advance(100_000);
    await tick();
    q.shutdown();
    await running;
    expect(seen).toEqual([30_000]);
  });

  test('failures back off exponentially per key and reset on success', async () => {
    const clock = new ManualClock(new Date(0));
    const q = new WorkQueue({ clock, baseDelayMs: 100, maxDelayMs: 1000 });
    expect([
      q.addRateLimited('k'),
      q.addRateLimited('k'),
      q.addRateLimited('k'),
      q.addRateLimited('k'),
      q.addRateLimited('k'),
    ]).toEqual([100, 200, 400, 800, 1000]);
    q.forget('k');
    expect(q.addRateLimited('k')).toBe(100);
    q.shutdown();
  });

  test('after an outage every key backs off afresh (forgetAll)', () => {
    const q = new WorkQueue({
      clock: new ManualClock(new Date(0)),
      baseDelayMs: 100,
      maxDelayMs: 60_000,
    });
    for (let i = 0; i < 6; i++) for (const k of ['a', 'b']) q.addRateLimited(k);
    expect(q.addRateLimited('a')).toBe(6400);
    q.forgetAll();
    // Both were waiting out their backoff: queued now instead.
    expect(q.length).toBe(2);
    expect([q.addRateLimited('a'), q.addRateLimited('b')]).toEqual([100, 100]);
    q.shutdown();
  });

  test('forgetAll leaves keys that never failed where they were', () => {
    const clock = new ManualClock(new Date(0));
    const q = new WorkQueue({ clock, baseDelayMs: 100 });
    q.addAfter('slot', 60_000);
    q.addRateLimited('failed');
    q.forgetAll();
    expect(q.length).toBe(1);
    clock.set(new Date(60_000));
    expect(q.length).toBe(2);
    q.shutdown();
  });

  test('a storm of failures is held back by the overall bucket', () => {
    const q = new WorkQueue({
      clock: new ManualClock(new Date(0)),
      baseDelayMs: 1,
      qps: 10,
      burst: 5,
    });
    const delays = Array.from({ length: 8 }, (_, i) => q.addRateLimited(`k${i}`));
    expect(delays.slice(0, 5)).toEqual([1, 1, 1, 1, 1]);
    expect(delays[5]).toBeGreaterThanOrEqual(90);
    expect(delays[7]).toBeGreaterThanOrEqual(290);
    q.shutdown();
  });

  test('a failing handler is retried after its backoff, in real time whatever the schedule clock says', async () => {
    const clock = new ManualClock(new Date(0));
    const q = new WorkQueue({ clock, baseDelayMs: 150 });
    const calls: number[] = [];
    const started = Date.now();
    const running = q.run(1, async () => {
      calls.push(Date.now() - started);
      if (calls.length === 1) throw new Error('boom');
    });
    q.add('x');
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toHaveLength(1); // the manual clock never moved, yet the retry is coming
    await new Promise((r) => setTimeout(r, 200));
    q.shutdown();
    await running;
    expect(calls).toHaveLength(2);
    expect(calls[1]!).toBeGreaterThanOrEqual(140);
  });

  test('an error that names its retry delay skips the backoff ladder', async () => {
    const q = new WorkQueue({ clock: new ManualClock(new Date(0)), baseDelayMs: 10_000 });
    let calls = 0;
    const running = q.run(1, async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('conflict'), { retryAfterMs: 20 });
    });
    q.add('x');
    await new Promise((r) => setTimeout(r, 120));
    q.shutdown();
    await running;
    expect(calls).toBe(2);
  });

  describe('lanes', () => {
    const laneOf = (k: string) => (k.startsWith('run:') ? 'low' : 'high') as 'low' | 'high';
    async function order(q: WorkQueue, handle: (k: string) => Promise<unknown> = async () => {}) {
      const seen: string[] = [];
      const running = q.run(1, async (k) => {
        seen.push(k);
        return (await handle(k)) as undefined;
      });
      for (let i = 0; i < 40; i++) await tick();
      q.shutdown();
      await running;
      return seen;
    }

    test('the high lane goes first', async () => {
      const q = new WorkQueue({ clock: new ManualClock(new Date(0)), laneOf });
      q.add('run:a');
      q.add('target:a');
      q.add('target:b');
      expect(await order(q)).toEqual(['target:a', 'target:b', 'run:a']);
    });

    test('the low lane is not starved while the high lane stays full', async () => {
      const q = new WorkQueue({ clock: new ManualClock(new Date(0)), laneOf });
      q.add('run:a');
      for (let i = 0; i < 3 * LOW_EVERY; i++) q.add(`target:${i}`);
      const seen = await order(q);
      expect(seen.indexOf('run:a')).toBe(LOW_EVERY - 1);
    });

    test('a deferred result comes back after the waiting high-lane work', async () => {
      const q = new WorkQueue({ clock: new ManualClock(new Date(0)), laneOf });
      q.add('target:a');
      q.add('target:b');
      let first = true;
      const seen = await order(q, async (k) => {
        if (k === 'target:a' && first) {
          first = false;
          return { deferred: true };
        }
      });
      expect(seen).toEqual(['target:a', 'target:b', 'target:a']);
    });

    test('a deferred key stays behind the high lane even when asked for again', async () => {
      const q = new WorkQueue({ clock: new ManualClock(new Date(0)), laneOf });
      q.add('target:a');
      q.add('target:b');
      q.add('target:c');
      let first = true;
      const seen = await order(q, async (k) => {
        if (k === 'target:a' && first) {
          first = false;
          q.add('target:a'); // e.g. the watch event of the run it created, while it is processed
          return { deferred: true };
        }
        if (k === 'target:b') q.add('target:d'); // high-lane work arriving later still goes first
      });
      expect(seen).toEqual(['target:a', 'target:b', 'target:c', 'target:d', 'target:a']);
    });

    test('asking for a key in the high lane moves it up from the low one', async () => {
      const q = new WorkQueue({ clock: new ManualClock(new Date(0)), laneOf });
      q.add('target:a');
      q.add('target:b', 'low');
      q.add('target:c');
      q.add('target:b');
      expect(await order(q)).toEqual(['target:a', 'target:c', 'target:b']);
      expect(q.length).toBe(0);
    });

    test('the low lane waits for high-lane work in flight, then goes', async () => {
      const q = new WorkQueue({ clock: new ManualClock(new Date(0)), laneOf });
      let release!: () => void;
      const slow = new Promise<void>((r) => (release = r));
      const seen: string[] = [];
      q.add('target:a');
      const running = q.run(2, async (k) => {
        seen.push(k);
        if (k === 'target:a') await slow;
      });
      await tick();
      q.add('run:x'); // a free worker, an empty high lane, but target:a is still at work
      for (let i = 0; i < 20; i++) await tick();
      expect(seen).toEqual(['target:a']);
      let idle = false;
      const whenIdle = q.highIdle(60_000).then(() => (idle = true));
      await tick();
      expect(idle).toBe(false);
      release();
      await whenIdle;
      for (let i = 0; i < 20; i++) await tick();
      expect(seen).toEqual(['target:a', 'run:x']);
      q.shutdown();
      await running;
    });

    test('the hold is bounded: the low lane goes after LOW_HOLD_MS whatever stays in flight', async () => {
      const q = new WorkQueue({ clock: new ManualClock(new Date(0)), laneOf });
      let release!: () => void;
      const stuck = new Promise<void>((r) => (release = r));
      const seen: Array<[string, number]> = [];
      const t0 = Date.now();
      q.add('target:stuck');
      const running = q.run(2, async (k) => {
        seen.push([k, Date.now() - t0]);
        if (k === 'target:stuck') await stuck;
      });
      await tick();
      q.add('run:x');
      const idle = await Promise.race([
        q.highIdle(50).then(() => 'gave up waiting'),
        new Promise((r) => setTimeout(() => r('still waiting'), 500)),
      ]);
      expect(idle).toBe('gave up waiting');
      await new Promise((r) => setTimeout(r, LOW_HOLD_MS + 200));
      expect(seen.map(([k]) => k)).toEqual(['target:stuck', 'run:x']);
      expect(seen[1]![1]).toBeGreaterThanOrEqual(LOW_HOLD_MS - 50);
      release();
      q.shutdown();
      await running;
    });
  });
});
