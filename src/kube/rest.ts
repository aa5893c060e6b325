// The operator's hot path to the API server: the writes a scheduled run
// makes (ImprovementRun, Job, status, Events) as plain JSON over undici's
// request(), with the same authentication and the same pooled connection as
// client-node. client-node's generated pipeline (middleware, WHATWG fetch,
// re-reading the credentials on every call) costs about 1.7 ms of CPU per
// request; on a small control plane that CPU is taken from the API server in
// a burst of slots (bench/client-cost.ts prints both figures).
import type { KubeConfig } from '@kubernetes/client-node';
import { request, type Dispatcher } from 'undici';

/** An API server answer outside 2xx, classified like client-node's ApiException (`statusCode`). */
export class KubeHttpError extends Error {
  readonly statusCode: number;
  /** The Status reason (AlreadyExists, Conflict, NotFound…) when the server sent one. */
  readonly reason?: string;
  readonly retryAfterMs?: number;

  constructor(method: string, path: string, statusCode: number, body: string, retryAfter?: string) {
    let status: { message?: string; reason?: string } = {};
    try {
      status = JSON.parse(body) as typeof status;
    } catch {
      // not a Status object (a proxy's HTML error page): keep the status code
    }
    super(`${method} ${path}: HTTP ${statusCode}${status.message ? `: ${status.message}` : ''}`);
    this.name = 'KubeHttpError';
    this.statusCode = statusCode;
    this.reason = status.reason;
    const seconds = Number(retryAfter);
    if (retryAfter && Number.isFinite(seconds)) this.retryAfterMs = seconds * 1000;
  }
}

interface Auth {
  headers: Record<string, string>;
  dispatcher?: Dispatcher;
  expires: number;
}

/**
 * Credentials are resolved through client-node (tokens, exec plugins,
 * client certificates) and kept for AUTH_TTL_MS, as client-go keeps a token
 * file's content for a minute: a rotated token is picked up within that.
 */
const AUTH_TTL_MS = 10_000;

export type PatchType = 'merge' | 'json';
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export class KubeRest {
  private readonly kc: KubeConfig;
  private readonly origin: string;
  /** A server URL may carry a path (an API proxy): every request path goes under it. */
  private readonly prefix: string;
  private auth?: Promise<Auth>;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server);
    this.origin = url.origin;
    this.prefix = url.pathname.replace(/\/+$/, '');
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PUT', path, body);
  }

  patch<T>(path: string, body: unknown, type: PatchType = 'merge'): Promise<T> {
    return this.call<T>('PATCH', path, body, PATCH_CONTENT_TYPE[type]);
  }

  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('DELETE', path, body);
  }

  private async call<T>(
    method: Dispatcher.HttpMethod,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const auth = await this.credentials();
    const headers: Record<string, string> = { ...auth.headers, accept: 'application/json' };
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = contentType;
    }
    const res = await request(this.origin + this.prefix + path, {
      method,
      headers,
      body: payload,
      dispatcher: auth.dispatcher,
      headersTimeout: 60_000,
      bodyTimeout: 60_000,
    });
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const retryAfter = res.headers['retry-after'];
      throw new KubeHttpError(
        method,
        path,
        res.statusCode,
        text,
        Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      );
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  private credentials(): Promise<Auth> {
    const now = Date.now();
    const cached = this.auth;
    if (cached) {
      // Expired: the first caller refreshes, the others share its refresh.
      return cached.then((a) =>
        a.expires > now ? a : this.auth !== cached ? this.credentials() : this.refresh(now),
      );
    }
    return this.refresh(now);
  }

  private refresh(now: number): Promise<Auth> {
    const headers: Record<string, string> = {};
    let dispatcher: Dispatcher | undefined;
    // client-node's own authentication step, fed a minimal request context.
    const context = {
      setHeaderParam: (k: string, v: string) => (headers[k.toLowerCase()] = v),
      setDispatcher: (d: Dispatcher) => (dispatcher = d),
    };
    const p = this.kc
      .applySecurityAuthentication(context as never)
      .then(() => ({ headers, dispatcher, expires: now + AUTH_TTL_MS }));
    this.auth = p;
    // A failed refresh (an exec plugin error) must not stick: the next call tries again.
    p.catch(() => {
      if (this.auth === p) this.auth = undefined;
    });
    return p;
  }
}
