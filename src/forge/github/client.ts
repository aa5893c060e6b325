// The Octokit instance (throttling + bounded retries) and conditional GETs:
// list calls remember ETag and body per URL and send If-None-Match, so an
// unchanged list is answered 304 and costs no rate limit.
import { Octokit } from '@octokit/rest';
import { throttling } from '@octokit/plugin-throttling';
import { retry } from '@octokit/plugin-retry';
import type { Logger } from '../../util/logger.ts';
import { DEFAULT_USER_AGENT, type ForgeTuning } from '../config.ts';

const ThrottledOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof ThrottledOctokit>;

// Bottleneck-compatible limiter that runs jobs at once (used when write spacing is off).
const unspaced = {
  key: () => ({ schedule: (_opts: unknown, job: () => Promise<unknown>) => job() }),
};

export function createGitHubClient(opts: {
  baseUrl: string;
  token?: string;
  logger: Logger;
  userAgent?: string;
  tuning?: ForgeTuning;
}): GitHubClient {
  const { logger, tuning = {} } = opts;
  const base = tuning.retryBaseMs ?? 1000;
  const maxWait = tuning.maxRateLimitWaitSeconds ?? 60;
  // One retry after a rate limit, and only when the reset is near.
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      options: { method?: string; url?: string },
      _o: unknown,
      count: number,
    ) => {
      const retrying = count < 1 && retryAfter <= maxWait;
      logger.warn(
        { kind, retryAfter, method: options.method, url: options.url, retrying },
        'github rate limit hit',
      );
      return retrying;
    };
  return new ThrottledOctokit({
    auth: opts.token,
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
    log: {
      debug: (msg: string) => logger.debug({ octokit: true }, msg),
      info: (msg: string) => logger.debug({ octokit: true }, msg),
      warn: (msg: string) => logger.warn({ octokit: true }, msg),
      error: (msg: string) => logger.error({ octokit: true }, msg),
    },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: base,
      ...(tuning.spaceWrites === false ? { write: unspaced, notifications: unspaced } : {}),
    },
    retry: { retries: tuning.retries ?? 2, retryAfterBaseValue: base },
  } as ConstructorParameters<typeof ThrottledOctokit>[0]);
}

interface CachedEntry {
  etag: string;
  data: unknown;
}

/** Per-forge-instance ETag cache (instances, not module state: runs are concurrent). */
export class ConditionalGetter {
  private readonly entries = new Map<string, CachedEntry>();
  /** How many answers came from the cache after a 304 (for logs and tests). */
  notModified = 0;

  private readonly client: GitHubClient;

  constructor(client: GitHubClient) {
    this.client = client;
  }

  async get<T>(route: string, params: Record<string, unknown>): Promise<T> {
    const key = this.client.request.endpoint(route, params).url;
    const hit = this.entries.get(key);
    try {
      const res = await this.client.request(route, {
        ...params,
        headers: hit ? { 'if-none-match': hit.etag } : {},
      });
      const etag = res.headers.etag;
      if (etag) this.entries.set(key, { etag, data: res.data });
      return res.data as T;
    } catch (err) {
      // Octokit reports 304 as an error; the cached body is the answer.
      if (hit && (err as { status?: number }).status === 304) {
        this.notModified++;
        return hit.data as T;
      }
      throw err;
    }
  }

  /** Follows page=1..maxPages while pages come back full. */
  async list<T>(
    route: string,
    params: Record<string, unknown>,
    perPage = 100,
    maxPages = 10,
  ): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const items = await this.get<T[]>(route, { ...params, per_page: perPage, page });
      out.push(...items);
      if (items.length < perPage) break;
    }
    return out;
  }
}
