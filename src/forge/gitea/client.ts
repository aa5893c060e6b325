// A small client for Gitea's (and Forgejo's) REST API v1 over global fetch,
// with bounded retries on 5xx/network errors and one error mapping.
import { ExternalServiceError } from '../../util/errors.ts';
import { secrets, type Logger } from '../../util/logger.ts';
import { reasonForStatus } from '../github/errors.ts';
import { DEFAULT_USER_AGENT, type ForgeTuning } from '../config.ts';

export interface GiteaResponse<T> {
  status: number;
  data: T;
}

export class GiteaHttpError extends Error {
  readonly status: number | undefined;
  readonly headers: Record<string, string>;
  constructor(message: string, status: number | undefined, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'GiteaHttpError';
    this.status = status;
    this.headers = headers;
  }
}

export function mapGiteaError(err: unknown, operation: string): ExternalServiceError {
  if (err instanceof ExternalServiceError) return err;
  const status = err instanceof GiteaHttpError ? err.status : undefined;
  const headers = err instanceof GiteaHttpError ? err.headers : {};
  const upstream = err instanceof Error ? err.message : String(err);
  const reason = reasonForStatus(status, headers, upstream);
  return new ExternalServiceError(
    'gitea',
    reason,
    secrets.redact(`Gitea ${operation} failed${status ? ` (HTTP ${status})` : ''}: ${upstream}`),
    { cause: err, status },
  );
}

export class GiteaClient {
  private readonly apiBase: string;
  private readonly token: string | undefined;
  private readonly userAgent: string;
  private readonly tuning: ForgeTuning;
  private readonly log: Logger;

  constructor(opts: {
    baseUrl: string;
    token?: string;
    userAgent?: string;
    tuning?: ForgeTuning;
    logger: Logger;
  }) {
    // apiUrl may be the server base or already end in /api/v1.
    this.apiBase = `${opts.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '')}/api/v1`;
    this.token = opts.token;
    this.userAgent = opts.userAgent ?? DEFAULT_USER_AGENT;
    this.tuning = opts.tuning ?? {};
    this.log = opts.logger;
  }

  async request<T>(
    method: string,
    path: string,
    opts: { query?: Record<string, string | number | boolean | undefined>; body?: unknown } = {},
  ): Promise<GiteaResponse<T>> {
    const url = new URL(this.apiBase + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.userAgent,
    };
    if (this.token) headers.authorization = `token ${this.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const retries = this.tuning.retries ?? 2;
    const base = this.tuning.retryBaseMs ?? 1000;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        });
      } catch (err) {
        if (attempt < retries) {
          await delay((attempt + 1) ** 2 * base);
          continue;
        }
        throw new GiteaHttpError(`${method} ${url.pathname}: ${errorText(err)}`, undefined);
      }
      const text = await res.text();
      if (res.ok) return { status: res.status, data: (text ? JSON.parse(text) : null) as T };
      if (res.status >= 500 && attempt < retries) {
        this.log.debug({ status: res.status, attempt }, 'gitea request failed; retrying');
        await delay((attempt + 1) ** 2 * base);
        continue;
      }
      throw new GiteaHttpError(
        `${method} ${url.pathname}: ${upstreamMessage(text) || res.statusText}`,
        res.status,
        Object.fromEntries(res.headers),
      );
    }
  }
}

function upstreamMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200);
}

function errorText(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err instanceof Error ? err.message : String(err));
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
