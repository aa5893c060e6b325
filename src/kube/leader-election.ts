// Leader election on a coordination.k8s.io Lease, with client-go's timing
// model: the holder renews every retryPeriod and gives up leadership if it
// cannot renew within renewDeadline; others take over once leaseDuration has
// passed without a renewal. Updates use resourceVersion (optimistic
// concurrency), so two candidates can never both win. On stop the leader
// releases the Lease so a successor need not wait.
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from '../util/logger.ts';
import { isAlreadyExists, isConflict, isNotFound } from './api.ts';

export interface LeaderElectionOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  logger: Logger;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export class LeaderElector {
  private readonly o: Required<LeaderElectionOptions>;
  private readonly stopper = new AbortController();
  private leading = false;
  private lastRenew = 0;
  private loopDone: Promise<void> = Promise.resolve();
  /** What this candidate last saw of the Lease: holder and when it last moved (local time). */
  private observed: { holder?: string; rv?: string; at: number } = { at: 0 };

  constructor(opts: LeaderElectionOptions) {
    this.o = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...opts };
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loopDone = this.loop();
  }

  /** Stops campaigning; a leader releases the Lease unless it is crashing (release false). */
  async stop(release = true): Promise<void> {
    this.stopper.abort();
    await this.loopDone;
    if (this.leading && release) {
      await this.release().catch((err) =>
        this.o.logger.warn({ err: String(err) }, 'could not release lease'),
      );
    }
    this.setLeading(false);
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    this.o.logger.info(
      { lease: this.o.name, identity: this.o.identity },
      v ? 'became leader' : 'stopped leading',
    );
    if (v) this.o.onStartedLeading();
    else this.o.onStoppedLeading();
  }

  private async loop(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        this.o.logger.warn({ err: String(err) }, 'lease update failed');
      }
      if (ok) this.lastRenew = Date.now();
      if (this.leading && !ok && Date.now() - this.lastRenew > this.o.renewDeadlineMs)
        this.setLeading(false);
      if (ok && !this.leading) this.setLeading(true);
      await sleep(this.o.retryPeriodMs, this.stopper.signal);
    }
  }

  // Lease times are MicroTime: the API server refuses millisecond precision.
  private spec(now: Date, transitions: number, acquire: Date) {
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.ceil(this.o.leaseDurationMs / 1000),
      acquireTime: new V1MicroTime(acquire.getTime()),
      renewTime: new V1MicroTime(now.getTime()),
      leaseTransitions: transitions,
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name } = this.o;
    const now = new Date();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: this.spec(now, 0, now) },
        });
        return true;
      } catch (e) {
        if (isAlreadyExists(e)) return false;
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const rv = lease.metadata?.resourceVersion;
    // Expiry is judged by when *we* saw the record change, not by the holder's clock.
    if (holder !== this.observed.holder || rv !== this.observed.rv)
      this.observed = { holder, rv, at: Date.now() };
    const durationMs = (spec.leaseDurationSeconds ?? 15) * 1000;
    const expired = !holder || Date.now() - this.observed.at > durationMs;
    if (holder !== this.o.identity && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (holder === this.o.identity ? 0 : 1);
    const acquire =
      holder === this.o.identity && spec.acquireTime ? new Date(spec.acquireTime) : now;
    try {
      await api.replaceNamespacedLease({
        name,
        namespace,
        body: { ...lease, spec: this.spec(now, transitions, acquire) },
      });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { api, namespace, name } = this.o;
    const lease = await api.readNamespacedLease({ name, namespace });
    if (lease.spec?.holderIdentity !== this.o.identity) return;
    await api.replaceNamespacedLease({
      name,
      namespace,
      body: {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: undefined,
          leaseDurationSeconds: 1,
          renewTime: new V1MicroTime(Date.now()),
          acquireTime: lease.spec?.acquireTime
            ? new V1MicroTime(new Date(lease.spec.acquireTime).getTime())
            : undefined,
        },
      },
    });
  }
}
