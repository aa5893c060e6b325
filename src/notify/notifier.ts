// Delivers notifications to a target's webhooks (spec.notify): at least
// once, with exponential backoff (p-retry), each payload carrying a stable id
// that receivers drop duplicates by; this process also never sends the same
// id to the same webhook twice once it was delivered. Deliveries run off the
// reconcile path: a slow receiver delays nobody's schedule.
//
// The URL and the signing key are read from Secrets at each delivery, so a
// rotated value takes effect at the next one; both are registered for
// redaction and never enter a payload. A delivery still retrying when the
// operator stops is lost: the id makes a resend harmless, but nothing
// resends it.
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Counter } from 'prom-client';
import pRetry, { AbortError } from 'p-retry';
import type { ImprovementTarget } from '../controllers/types.ts';
import { errorMessage } from '../util/errors.ts';
import { secrets, type Logger } from '../util/logger.ts';
import {
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  genericBody,
  sign,
  slackBody,
  type Notification,
} from './payload.ts';

type Webhook = NonNullable<ImprovementTarget['spec']['notify']>['webhooks'][number];

export interface DeliveryPolicy {
  /** Attempts after the first. */
  retries: number;
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** Per attempt. */
  requestTimeoutMs: number;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = {
  retries: 8,
  minTimeoutMs: 1000,
  maxTimeoutMs: 5 * 60_000,
  requestTimeoutMs: 10_000,
};

/** Delivered (or in flight) keys remembered, oldest forgotten first. */
const REMEMBERED = 10_000;

export interface NotifierDeps {
  core: CoreV1Api;
  logger: Logger;
  /** opencode_notifications_total{namespace,target,webhook,result}. */
  counter: Counter<'namespace' | 'target' | 'webhook' | 'result'>;
  delivery?: Partial<DeliveryPolicy>;
}

export class Notifier {
  private readonly d: NotifierDeps;
  private readonly policy: DeliveryPolicy;
  private readonly seen = new Set<string>();
  private readonly inflight = new Set<Promise<void>>();

  constructor(deps: NotifierDeps) {
    this.d = deps;
    this.policy = { ...DEFAULT_DELIVERY, ...deps.delivery };
  }

  /** Queues each notification for each webhook that wants its event; returns at once. */
  notify(target: ImprovementTarget, notes: Notification[]): void {
    for (const hook of target.spec.notify?.webhooks ?? [])
      for (const n of notes) {
        if (hook.events && !hook.events.includes(n.event)) continue;
        const key = `${target.metadata.namespace}/${target.metadata.name}/${hook.name}/${n.id}`;
        if (this.seen.has(key)) continue;
        this.remember(key);
        const p = this.deliver(target, hook, n, key).finally(() => this.inflight.delete(p));
        this.inflight.add(p);
      }
  }

  /** Resolves when every queued delivery has ended (delivered or given up). */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  private remember(key: string): void {
    this.seen.add(key);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value!);
  }

  private async deliver(
    target: ImprovementTarget,
    hook: Webhook,
    n: Notification,
    key: string,
  ): Promise<void> {
    const labels = {
      namespace: target.metadata.namespace!,
      target: target.metadata.name,
      webhook: hook.name,
    };
    const log = this.d.logger.child({ ...labels, event: n.event, id: n.id });
    try {
      await pRetry(() => this.attempt(target.metadata.namespace!, hook, n), {
        retries: this.policy.retries,
        minTimeout: this.policy.minTimeoutMs,
        maxTimeout: this.policy.maxTimeoutMs,
        factor: 2,
        randomize: true,
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0 && !(error instanceof AbortError)) {
            this.d.counter.inc({ ...labels, result: 'retried' });
            log.info(
              { attempt: attemptNumber, err: error.message },
              'notification not delivered; retrying',
            );
          }
        },
      });
      this.d.counter.inc({ ...labels, result: 'delivered' });
      log.info('notification delivered');
    } catch (err) {
      this.seen.delete(key);
      this.d.counter.inc({ ...labels, result: 'failed' });
      log.warn({ err: errorMessage(err) }, 'notification given up');
    }
  }

  private async attempt(namespace: string, hook: Webhook, n: Notification): Promise<void> {
    const url = await this.secretValue(namespace, hook.urlSecretRef);
    const key = hook.signingSecretRef
      ? await this.secretValue(namespace, hook.signingSecretRef)
      : undefined;
    const body = hook.format === 'slack' ? slackBody(n) : genericBody(n);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'opencode-operator',
      [EVENT_ID_HEADER]: n.id,
      ...(key ? { [SIGNATURE_HEADER]: sign(body, key) } : {}),
    };
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers,
      signal: AbortSignal.timeout(this.policy.requestTimeoutMs),
    });
    await res.body?.cancel();
    if (res.ok) return;
    // A request the receiver refuses as such will not get better by repeating it.
    const permanent =
      res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    const msg = `the receiver answered HTTP ${res.status}`;
    throw permanent ? new AbortError(msg) : new Error(msg);
  }

  private async secretValue(
    namespace: string,
    ref: { name: string; key?: string },
  ): Promise<string> {
    const secret = await this.d.core.readNamespacedSecret({ name: ref.name, namespace });
    const raw = secret.data?.[ref.key ?? 'url'];
    if (!raw) throw new AbortError(`Secret ${ref.name} has no key "${ref.key}"`);
    const value = Buffer.from(raw, 'base64').toString('utf8').trim();
    secrets.add(value);
    return value;
  }
}
