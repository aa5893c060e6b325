// Kubernetes Events for the objects we manage (core/v1, what `kubectl
// describe` shows). Repeats of the same reason and message on the same object
// are folded into one Event with a count, as client-go's recorder does, so a
// stalled target does not flood the namespace. Like client-go's broadcaster,
// Events are written one at a time from a bounded backlog, off the callers'
// path: when a thousand targets fire in one minute, their Jobs go to the API
// server first and the Events trail behind instead of competing with them.
import { createHash } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { KubeObject } from './api.ts';
import { isAlreadyExists, isNotFound } from './api.ts';
import type { KubeRest } from './rest.ts';
import type { Logger } from '../util/logger.ts';
import { secrets } from '../util/logger.ts';

export type EventKind = 'Normal' | 'Warning';

export interface EventOptions {
  /**
   * Records the Event at most once per id, whichever process tries: its name
   * is derived from the id, and a second write finds it there. For what a
   * successor must announce when its predecessor may already have.
   */
  id?: string;
}

export interface Recorder {
  event(
    obj: KubeObject,
    type: EventKind,
    reason: string,
    message: string,
    opts?: EventOptions,
  ): Promise<void>;
}

/** Events waiting to be written beyond this are dropped (and logged), as client-go drops them. */
export const MAX_PENDING_EVENTS = 1000;

export class EventRecorder implements Recorder {
  private readonly seen = new Map<string, { name: string; count: number }>();
  /** Ids this process has recorded: not even tried again. */
  private readonly recordedIds = new Set<string>();
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private dropped = 0;

  private readonly rest: KubeRest;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly component: string;

  private readonly maxPending: number;
  private readonly gate: () => Promise<void>;

  constructor(
    rest: KubeRest,
    clock: Clock,
    logger: Logger,
    opts: {
      component?: string;
      maxPending?: number;
      /** Awaited before each write: lets more urgent work (a burst of Jobs) go first. */
      gate?: () => Promise<void>;
    } = {},
  ) {
    this.rest = rest;
    this.clock = clock;
    this.logger = logger;
    this.component = opts.component ?? 'opencode-operator';
    this.maxPending = opts.maxPending ?? MAX_PENDING_EVENTS;
    this.gate = opts.gate ?? (() => Promise.resolve());
  }

  /** Queues the Event; the promise settles once it is written (or given up on). Never rejects. */
  event(
    obj: KubeObject,
    type: EventKind,
    reason: string,
    message: string,
    opts: EventOptions = {},
  ): Promise<void> {
    const idKey = opts.id && `${obj.metadata.uid}/${opts.id}`;
    if (idKey && this.recordedIds.has(idKey)) return Promise.resolve();
    if (this.pending >= this.maxPending) {
      if (this.dropped++ % 100 === 0)
        this.logger.warn({ reason, dropped: this.dropped }, 'event backlog full: dropping events');
      return Promise.resolve();
    }
    this.pending++;
    const at = this.clock.now(); // when it happened, not when it is written
    this.tail = this.tail
      .then(() => this.gate())
      .then(() => this.write(obj, type, reason, message, at, opts.id))
      .finally(() => this.pending--);
    return this.tail;
  }

  /** Resolves once every queued Event has been written (shutdown, tests). */
  flush(): Promise<void> {
    return this.tail;
  }

  private async write(
    obj: KubeObject,
    type: EventKind,
    reason: string,
    rawMessage: string,
    now: Date,
    id?: string,
  ): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const message = secrets.redact(rawMessage).slice(0, 1024);
    const key = `${obj.metadata.uid}/${type}/${reason}/${message}`;
    const prior = id ? undefined : this.seen.get(key);
    try {
      if (prior) {
        prior.count++;
        await this.rest
          .patch(`/api/v1/namespaces/${namespace}/events/${prior.name}`, {
            count: prior.count,
            lastTimestamp: now,
          })
          .catch(async (err: unknown) => {
            if (!isNotFound(err)) throw err;
            this.seen.delete(key);
            await this.write(obj, type, reason, rawMessage, now);
          });
        return;
      }
      const name = `${obj.metadata.name}.${createHash('sha256')
        .update(id ? `${obj.metadata.uid}/${id}` : key + now.getTime())
        .digest('hex')
        .slice(0, 16)}`;
      const post = this.rest.post(`/api/v1/namespaces/${namespace}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: obj.metadata.name,
          namespace,
          uid: obj.metadata.uid,
          resourceVersion: obj.metadata.resourceVersion,
        },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: process.env.POD_NAME ?? 'local',
      });
      if (id) {
        await post.catch((err: unknown) => {
          if (!isAlreadyExists(err)) throw err; // recorded already, by us or a predecessor
        });
        this.recordedIds.add(`${obj.metadata.uid}/${id}`);
        if (this.recordedIds.size > 5000)
          this.recordedIds.delete(this.recordedIds.values().next().value!);
        return;
      }
      await post;
      this.seen.set(key, { name, count: 1 });
      if (this.seen.size > 5000) this.seen.delete(this.seen.keys().next().value!);
    } catch (err) {
      // Events are best effort: never fail a reconcile over one.
      this.logger.warn({ err: String(err), reason }, 'could not record event');
    }
  }
}
