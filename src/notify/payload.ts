// What a webhook receives: a Slack-compatible message, or a generic JSON
// document signed with HMAC-SHA256 over the exact bytes sent (the scheme
// GitHub uses for its own webhooks). Pure; nothing secret goes in a body.
import { createHmac } from 'node:crypto';
import type { NOTIFY_EVENTS } from '../crds/index.ts';

export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export interface Notification {
  /** Stable for one fact: a retry or a second operator sends the same id. */
  id: string;
  event: NotifyEvent;
  severity: 'info' | 'warning';
  namespace: string;
  target: string;
  run?: string;
  message: string;
  /** A link for a human (pull request, question issue), when there is one. */
  url?: string;
  time: string;
}

export const SIGNATURE_HEADER = 'x-opencode-signature-256';
export const EVENT_ID_HEADER = 'x-opencode-event-id';

export function slackBody(n: Notification): string {
  const icon = n.severity === 'warning' ? ':warning:' : ':information_source:';
  const where = `${n.namespace}/${n.target}${n.run ? ` (run ${n.run})` : ''}`;
  const link = n.url ? ` <${n.url}|details>` : '';
  return JSON.stringify({ text: `${icon} *${n.event}* ${where}: ${n.message}${link}` });
}

export function genericBody(n: Notification): string {
  return JSON.stringify({ ...n, source: 'opencode-operator' });
}

/** `sha256=<hex>` of the body under key. */
export function sign(body: string, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}
