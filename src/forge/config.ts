// How a forge is configured: from spec.repository plus the token from env.
import type { Logger } from '../util/logger.ts';

export type ForgeProvider = 'github' | 'gitea' | 'git';

export interface ForgeTuning {
  /** Base delay unit for retries (ms); Octokit's default is 1000. Tests set it tiny. */
  retryBaseMs?: number;
  /** Retries after 5xx / network errors (bounded; default 2). */
  retries?: number;
  /** GitHub asks clients to space content-creating requests ~1 s apart; tests switch it off. */
  spaceWrites?: boolean;
  /** Wait at most this long (s) for a primary/secondary rate limit to reset before failing (default 60). */
  maxRateLimitWaitSeconds?: number;
}

export interface ForgeConfig {
  provider: ForgeProvider;
  repoUrl: string;
  /** GitHub: API root (https://api.github.com, https://ghe/api/v3). Gitea: server base URL. */
  apiUrl?: string;
  token?: string;
  logger: Logger;
  userAgent?: string;
  tuning?: ForgeTuning;
}

export const DEFAULT_USER_AGENT = 'opencode-operator';
