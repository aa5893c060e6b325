// Kubernetes Events for the objects we manage (core/v1, what `kubectl
// describe` shows). Repeats of the same reason and message on the same object
// are folded into one Event with a count, as client-go's recorder does, so a
// stalled target does not flood the namespace.
import { createHash } from 'node:crypto';
import { PatchStrategy, setHeaderOptions, type CoreV1Api } from '@kubernetes/client-node';
import type { Clock } from './clock.ts';
import type { KubeObject } from './api.ts';
import { isNotFound } from './api.ts';
import type { Logger } from '../util/logger.ts';
import { secrets } from '../util/logger.ts';

export type EventKind = 'Normal' | 'Warning';

export interface Recorder {
  event(obj: KubeObject, type: EventKind, reason: string, message: string): Promise<void>;
}

export class EventRecorder implements Recorder {
  private readonly seen = new Map<string, { name: string; count: number }>();

  private readonly core: CoreV1Api;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly component: string;

  constructor(core: CoreV1Api, clock: Clock, logger: Logger, component = 'opencode-operator') {
    this.core = core;
    this.clock = clock;
    this.logger = logger;
    this.component = component;
  }

  async event(obj: KubeObject, type: EventKind, reason: string, rawMessage: string): Promise<void> {
    const namespace = obj.metadata.namespace ?? 'default';
    const message = secrets.redact(rawMessage).slice(0, 1024);
    const key = `${obj.metadata.uid}/${type}/${reason}/${message}`;
    const now = this.clock.now();
    const prior = this.seen.get(key);
    try {
      if (prior) {
        prior.count++;
        await this.core
          .patchNamespacedEvent(
            { name: prior.name, namespace, body: { count: prior.count, lastTimestamp: now } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          )
          .catch(async (err: unknown) => {
            if (!isNotFound(err)) throw err;
            this.seen.delete(key);
            await this.event(obj, type, reason, rawMessage);
          });
        return;
      }
      const name = `${obj.metadata.name}.${createHash('sha256')
        .update(key + now.getTime())
        .digest('hex')
        .slice(0, 16)}`;
      await this.core.createNamespacedEvent({
        namespace,
        body: {
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
        },
      });
      this.seen.set(key, { name, count: 1 });
      if (this.seen.size > 5000) this.seen.delete(this.seen.keys().next().value!);
    } catch (err) {
      // Events are best effort: never fail a reconcile over one.
      this.logger.warn({ err: String(err), reason }, 'could not record event');
    }
  }
}
