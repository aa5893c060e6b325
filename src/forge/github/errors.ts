// Every GitHub failure becomes an ExternalServiceError('github', reason) here,
// in one place. Octokit already redacts the authorization header in its
// errors; messages are scrubbed of registered secrets once more anyway.
import { ExternalServiceError } from '../../util/errors.ts';
import { secrets } from '../../util/logger.ts';

export type ForgeErrorReason =
  | 'ForgeUnauthorized'
  | 'ForgeForbidden'
  | 'ForgeRateLimited'
  | 'ForgeNotFound'
  | 'ForgeConflict'
  | 'ForgeValidationFailed'
  | 'ForgeUnavailable'
  | 'ForgeRequestFailed';

interface HttpErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
  errors?: Array<{ type?: string; message?: string }>;
}

/** The reason for an HTTP status (shared with the Gitea forge). */
export function reasonForStatus(
  status: number | undefined,
  headers: Record<string, string | number | undefined> = {},
  message = '',
): ForgeErrorReason {
  if (status === undefined) return 'ForgeUnavailable';
  if (status === 401) return 'ForgeUnauthorized';
  if (status === 429) return 'ForgeRateLimited';
  if (status === 403) {
    const limited =
      String(headers['x-ratelimit-remaining'] ?? '') === '0' ||
      headers['retry-after'] !== undefined ||
      /rate limit/i.test(message);
    return limited ? 'ForgeRateLimited' : 'ForgeForbidden';
  }
  if (status === 404 || status === 410) return 'ForgeNotFound';
  if (status === 409) return 'ForgeConflict';
  if (status === 405 || status === 422) return 'ForgeValidationFailed';
  if (status >= 500) return 'ForgeUnavailable';
  return 'ForgeRequestFailed';
}

export function mapGitHubError(err: unknown, operation: string): ExternalServiceError {
  if (err instanceof ExternalServiceError) return err;
  const e = (err ?? {}) as HttpErrorLike;
  const upstream = upstreamMessage(e);
  // GraphQL answers 200 with an errors array: no status, but not an outage.
  const graphql = Array.isArray(e.errors) && e.status === undefined;
  const reason = graphql
    ? e.errors?.some((x) => x.type === 'RATE_LIMITED')
      ? 'ForgeRateLimited'
      : 'ForgeRequestFailed'
    : reasonForStatus(e.status, e.response?.headers, upstream);
  const status = e.status ? ` (HTTP ${e.status})` : '';
  return new ExternalServiceError(
    'github',
    reason,
    secrets.redact(`GitHub ${operation} failed${status}: ${upstream}`),
    { cause: err, status: e.status },
  );
}

function upstreamMessage(e: HttpErrorLike): string {
  const data = e.response?.data as { message?: unknown } | undefined;
  if (data && typeof data.message === 'string') return data.message;
  if (Array.isArray(e.errors) && e.errors[0]?.message) return e.errors[0].message;
  return e.message ?? 'unknown error';
}
