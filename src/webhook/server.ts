// The webhook endpoint for forge issue events: POST /webhooks/github and
// POST /webhooks/gitea. The signature is checked over the raw bytes before
// any parsing; only a verified `issues` event with a triggering action
// reaches onIssueEvent. Neither the secret nor a signature is ever logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { secrets, type Logger } from '../util/logger.ts';
import { PROVIDERS, parseIssuePayload, payloadText } from './events.ts';
import { verifySignature } from './signature.ts';
import type { IssueEvent, WebhookProvider } from './types.ts';

export type { IssueEvent, WebhookProvider, WebhookTarget } from './types.ts';
export { matchTargets, repositoryKey } from './match-targets.ts';
export { signBody, verifySignature } from './signature.ts';

/**
 * GitHub caps deliveries at 25 MB, but an issues payload is a few tens of kB;
 * 2 MiB leaves room for a 65,536-character body quoted twice (edited events
 * carry the old body too) while bounding what an unsigned sender can make us buffer.
 */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024;

export interface WebhookHandlerOptions {
  secret: string;
  onIssueEvent: (e: IssueEvent) => void;
  logger: Logger;
  maxBodyBytes?: number;
}

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => void;

const PROVIDER_BY_PATH = new Map(
  (Object.keys(PROVIDERS) as WebhookProvider[]).map((p) => [PROVIDERS[p].path, p]),
);

export function createWebhookHandler(opts: WebhookHandlerOptions): WebhookHandler {
  // An empty key would let anyone sign; refuse at start-up, not per request.
  if (!opts.secret) throw new Error('the webhook secret is empty: set --webhook-secret-file');
  secrets.add(opts.secret);
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = opts.logger;

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: String(err) }, 'webhook delivery failed');
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.end();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const provider = PROVIDER_BY_PATH.get(path);
    if (!provider) return reply(res, 404, 'not found');
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return reply(res, 405, 'method not allowed');
    }
    const conv = PROVIDERS[provider];
    const delivery = header(req, conv.deliveryHeader);
    const event = header(req, conv.eventHeader);
    const meta = { provider, delivery, event };

    const body = await readBody(req, limit);
    if (body === 'too-large') {
      log.warn({ ...meta, limit }, 'webhook body over the limit');
      // Close rather than read on: the sender already broke the limit.
      res.setHeader('Connection', 'close');
      return reply(res, 413, 'payload too large');
    }
    if (
      !verifySignature(opts.secret, body, req.headers[conv.signatureHeader], conv.signaturePrefix)
    ) {
      const present = req.headers[conv.signatureHeader] !== undefined;
      log.warn(
        { ...meta, signature: present ? 'mismatch' : 'missing' },
        'webhook signature rejected',
      );
      return reply(res, 401, 'invalid signature');
    }
    if (conv.pingEvent && event === conv.pingEvent) {
      log.info(meta, 'webhook ping');
      return reply(res, 200, 'pong');
    }
    if (event !== 'issues') {
      log.debug(meta, 'webhook event ignored');
      return reply(res, 204);
    }
    const text = payloadText(body, header(req, 'content-type'));
    const parsed = parseIssuePayload(provider, text ?? '');
    if (parsed.kind === 'malformed') {
      log.warn({ ...meta, why: parsed.why }, 'webhook payload malformed');
      return reply(res, 400, parsed.why);
    }
    if (parsed.kind === 'ignored') {
      log.debug({ ...meta, why: parsed.why }, 'webhook issue event ignored');
      return reply(res, 204);
    }
    const e = parsed.event;
    log.info(
      { ...meta, action: e.action, repository: e.repository.fullName, issue: e.number },
      'webhook issue event accepted',
    );
    opts.onIssueEvent(e);
    return reply(res, 202, 'accepted');
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function reply(res: ServerResponse, status: number, text?: string): void {
  if (text === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

/** The raw body, or 'too-large' as soon as it is known to exceed `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering; node:http discards the rest once the reply is sent.
        req.off('data', onData);
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A sender that hangs up mid-body leaves nothing to answer.
    req.on('close', () => {
      if (!req.complete) reject(new Error('the sender closed the connection mid-body'));
    });
  });
}
