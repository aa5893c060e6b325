// Time as an input. Scheduling and requeue timers go through a Clock so
// tests can move time forward instead of waiting for it.
export interface Clock {
  now(): Date;
  /** Calls fn after ms (by this clock); returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
}

export const realClock: Clock = {
  now: () => new Date(),
  after(ms, fn) {
    // setTimeout cannot wait more than ~24.8 days; re-arm in steps.
    const MAX = 2 ** 31 - 1;
    let handle: NodeJS.Timeout;
    const due = Date.now() + ms;
    const arm = () => {
      const left = due - Date.now();
      handle = setTimeout(left > MAX ? arm : fn, Math.min(Math.max(left, 0), MAX));
    };
    arm();
    return () => clearTimeout(handle);
  },
};

/** A clock that only moves when told to; timers fire as time passes them. */
export class ManualClock implements Clock {
  private t: number;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private seq = 0;

  constructor(start: Date) {
    this.t = start.getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  after(ms: number, fn: () => void): () => void {
    const id = ++this.seq;
    this.timers.push({ at: this.t + Math.max(ms, 0), fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  }

  /** Moves time to `to` (or forward by ms), firing due timers in order. */
  set(to: Date): void {
    this.t = Math.max(this.t, to.getTime());
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const first = this.timers[0];
      if (!first || first.at > this.t) break;
      this.timers.shift();
      first.fn();
    }
  }

  advance(ms: number): void {
    this.set(new Date(this.t + ms));
  }
}
