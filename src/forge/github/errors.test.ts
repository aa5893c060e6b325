import { describe, expect, it } from '@jest/globals';
import { mapGitHubError } from './errors.ts';
import { ExternalServiceError } from '../../util/errors.ts';
import { secrets } from '../../util/logger.ts';

const httpError = (status: number, message: string, headers: Record<string, string> = {}) =>
  Object.assign(new Error(message), { status, response: { headers, data: { message } } });

describe('mapGitHubError', () => {
  it.each([
    [401, 'Bad credentials', {}, 'ForgeUnauthorized'],
    [403, 'Resource not accessible by integration', {}, 'ForgeForbidden'],
    [403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0' }, 'ForgeRateLimited'],
    [403, 'You have exceeded a secondary rate limit', { 'retry-after': '60' }, 'ForgeRateLimited'],
    [429, 'Too many requests', {}, 'ForgeRateLimited'],
    [404, 'Not Found', {}, 'ForgeNotFound'],
    [409, 'Head branch was modified', {}, 'ForgeConflict'],
    [405, 'Pull Request is not mergeable', {}, 'ForgeValidationFailed'],
    [422, 'Validation Failed', {}, 'ForgeValidationFailed'],
    [500, 'fetch failed', {}, 'ForgeUnavailable'],
    [503, 'Service Unavailable', {}, 'ForgeUnavailable'],
  ])('HTTP %i %s → %s', (status, message, headers, reason) => {
    const mapped = mapGitHubError(httpError(status, message, headers), 'list issues');
    expect(mapped).toBeInstanceOf(ExternalServiceError);
    expect(mapped.service).toBe('github');
    expect(mapped.reason).toBe(reason);
    expect(mapped.status).toBe(status);
    expect(mapped.message).toContain('list issues');
    expect(mapped.message).toContain(message);
  });

  it('maps a network failure without status to ForgeUnavailable', () => {
    const mapped = mapGitHubError(new TypeError('fetch failed'), 'get pull request');
    expect(mapped.reason).toBe('ForgeUnavailable');
  });

  it('maps GraphQL error arrays', () => {
    const gql = Object.assign(new Error('Request failed'), {
      errors: [{ type: 'UNPROCESSABLE', message: 'Auto merge is not allowed for this repository' }],
    });
    const mapped = mapGitHubError(gql, 'enable auto-merge');
    expect(mapped.reason).toBe('ForgeRequestFailed');
    expect(mapped.message).toContain('Auto merge is not allowed');
    const limited = Object.assign(new Error('x'), { errors: [{ type: 'RATE_LIMITED' }] });
    expect(mapGitHubError(limited, 'q').reason).toBe('ForgeRateLimited');
  });

  it('scrubs registered secrets from the message', () => {
    const token = 'ghp_unitTestTokenValue123';
    secrets.add(token);
    const mapped = mapGitHubError(httpError(422, `bad value ${token}`), 'create issue');
    expect(mapped.message).not.toContain(token);
    expect(mapped.message).toContain('[REDACTED]');
  });

  it('passes an already mapped error through unchanged', () => {
    const first = mapGitHubError(httpError(404, 'Not Found'), 'a');
    expect(mapGitHubError(first, 'b')).toBe(first);
  });
});
