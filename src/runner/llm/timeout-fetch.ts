import { setTimeout as sleep } from 'node:timers/promises';

/** Pauses before each retry of a request that never got an answer. */
const RETRY_DELAYS_MS = [250, 1000];

/**
 * fetch with an overall deadline, combined with any caller signal. A request
 * that got no answer at all because the connection failed (a kept-alive
 * socket the server had just closed, a server restarting) is sent again, at
 * most twice: a chat request has no side effect to repeat. A timeout or an
 * abort is not retried, nor a body that cannot be sent twice.
 */
export function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    const resendable =
      init?.body === undefined || init?.body === null || typeof init.body === 'string';
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetch(input, { ...init, signal });
      } catch (err) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined || !resendable || signal.aborted || !isSocketFailure(err))
          throw err;
        await sleep(delay, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) throw err;
      }
    }
  };
}

/** The connection failed before any answer (not a timeout, not an abort). */
function isSocketFailure(err: unknown): boolean {
  const name = (err as { name?: string }).name ?? '';
  return isConnectionError(err) && !['TimeoutError', 'AbortError'].includes(name);
}

/** True for errors that mean "could not reach the server" rather than "it answered". */
export function isConnectionError(err: unknown): boolean {
  // Duck-typed: fetch's errors may come from another realm (a vm context).
  if (typeof err !== 'object' || err === null || !('message' in err)) return false;
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  const cause = e.cause;
  return (
    e.message === 'fetch failed' ||
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ETIMEDOUT',
      'UND_ERR_SOCKET',
    ].includes(cause?.code ?? '')
  );
}
