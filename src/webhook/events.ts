// Per-forge delivery conventions (a registry map) and the parsing of an
// issues payload into an IssueEvent. Only called after the signature holds.
import type { IssueEvent, WebhookProvider } from './types.ts';

export interface ProviderConvention {
  path: string;
  /** Lower-case header names, as node:http exposes them. */
  signatureHeader: string;
  signaturePrefix: string;
  eventHeader: string;
  deliveryHeader: string;
  /** An event answered 200 with no action (the forge's connectivity check). */
  pingEvent?: string;
  /** The forge's action mapped to IssueEvent.action, for the actions that trigger. */
  triggerActions: Record<string, string>;
}

export const PROVIDERS: Record<WebhookProvider, ProviderConvention> = {
  github: {
    path: '/webhooks/github',
    signatureHeader: 'x-hub-signature-256',
    signaturePrefix: 'sha256=',
    eventHeader: 'x-github-event',
    deliveryHeader: 'x-github-delivery',
    pingEvent: 'ping',
    triggerActions: {
      opened: 'opened',
      labeled: 'labeled',
      reopened: 'reopened',
      edited: 'edited',
    },
  },
  gitea: {
    path: '/webhooks/gitea',
    signatureHeader: 'x-gitea-signature',
    signaturePrefix: '',
    eventHeader: 'x-gitea-event',
    deliveryHeader: 'x-gitea-delivery',
    // Gitea sends label changes as event "issues" with action label_updated.
    triggerActions: {
      opened: 'opened',
      label_updated: 'labeled',
      reopened: 'reopened',
      edited: 'edited',
    },
  },
};

export type ParsedIssue =
  | { kind: 'trigger'; event: IssueEvent }
  | { kind: 'ignored'; why: string }
  | { kind: 'malformed'; why: string };

/** The payload text: JSON directly, or the `payload` field of a form post (both forges offer it). */
export function payloadText(body: Buffer, contentType: string | undefined): string | undefined {
  const text = body.toString('utf8');
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded'))
    return new URLSearchParams(text).get('payload') ?? undefined;
  return text;
}

export function parseIssuePayload(provider: WebhookProvider, text: string): ParsedIssue {
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return { kind: 'malformed', why: 'body is not JSON' };
  }
  if (!isObject(payload)) return { kind: 'malformed', why: 'body is not a JSON object' };
  const action = payload.action;
  if (typeof action !== 'string') return { kind: 'malformed', why: 'action is missing' };
  const mapped = PROVIDERS[provider].triggerActions[action];
  if (!mapped) return { kind: 'ignored', why: `action ${action} does not trigger` };
  const issue = payload.issue;
  const repo = payload.repository;
  if (!isObject(issue) || !isObject(repo))
    return { kind: 'malformed', why: 'issue or repository is missing' };
  // Gitea marks pull requests inside issue payloads; only issues trigger.
  if (issue.pull_request) return { kind: 'ignored', why: 'a pull request, not an issue' };
  const number = typeof issue.number === 'number' ? issue.number : payload.number;
  if (typeof number !== 'number' || !Number.isInteger(number))
    return { kind: 'malformed', why: 'issue number is missing' };
  if (typeof repo.full_name !== 'string' || !repo.full_name)
    return { kind: 'malformed', why: 'repository.full_name is missing' };
  const cloneUrls = [
    ...new Set(
      [repo.clone_url, repo.ssh_url, repo.html_url].filter(
        (u): u is string => typeof u === 'string' && u.length > 0,
      ),
    ),
  ];
  const labels = Array.isArray(issue.labels)
    ? issue.labels
        .map((l) => (isObject(l) ? l.name : undefined))
        .filter((n): n is string => typeof n === 'string')
    : [];
  return {
    kind: 'trigger',
    event: {
      provider,
      repository: { fullName: repo.full_name, cloneUrls },
      action: mapped,
      labels,
      number,
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
