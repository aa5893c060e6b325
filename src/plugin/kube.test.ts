import { expect, test } from '@jest/globals';
import { ApiException } from '@kubernetes/client-node';
import { withRetryAfter } from './kube.ts';

const fails = (errors: unknown[], value = 'ok') => {
  let calls = 0;
  const call = async () => {
    const e = errors[calls++];
    if (e) throw e;
    return value;
  };
  return { call, calls: () => calls };
};
const apiError = (code: number, headers: Record<string, string> = {}) =>
  new ApiException(code, 'x', '{}', headers);

test('a 429 with Retry-After is retried after the delay', async () => {
  const f = fails([apiError(429, { 'retry-after': '0.1' }), apiError(429, { 'retry-after': '0' })]);
  const started = Date.now();
  expect(await withRetryAfter(f.call)).toBe('ok');
  expect(f.calls()).toBe(3);
  expect(Date.now() - started).toBeGreaterThanOrEqual(190);
});

test('errors without Retry-After, and client errors, are not retried', async () => {
  const noHeader = fails([apiError(429)]);
  await expect(withRetryAfter(noHeader.call)).rejects.toMatchObject({ code: 429 });
  expect(noHeader.calls()).toBe(1);
  const notFound = fails([apiError(404, { 'retry-after': '1' })]);
  await expect(withRetryAfter(notFound.call)).rejects.toMatchObject({ code: 404 });
  expect(notFound.calls()).toBe(1);
});

test('gives up after the last attempt with the last error', async () => {
  const f = fails(Array.from({ length: 5 }, () => apiError(503, { 'retry-after': '0.1' })));
  await expect(withRetryAfter(f.call, 3)).rejects.toMatchObject({ code: 503 });
  expect(f.calls()).toBe(3);
});
