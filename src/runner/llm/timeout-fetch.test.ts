// fetchWithTimeout against a real loopback server that drops connections.
import { afterEach, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchWithTimeout } from './timeout-fetch.ts';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A server that drops the first `drops` requests' connections without answering. */
async function dropping(drops: number, delayMs = 0) {
  let seen = 0;
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen++;
      if (seen <= drops) return void req.socket.destroy();
      setTimeout(() => res.end(`ok ${body}`), delayMs);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/chat`;
  return { url, seen: () => seen };
}

describe('fetchWithTimeout', () => {
  test('a request whose connection dropped before any answer is sent again, with its body', async () => {
    const s = await dropping(2);
    const res = await fetchWithTimeout(10_000)(s.url, { method: 'POST', body: '{"m":1}' });
    expect(await res.text()).toBe('ok {"m":1}');
    expect(s.seen()).toBe(3);
  });

  test('gives up after two retries', async () => {
    const s = await dropping(5);
    await expect(fetchWithTimeout(10_000)(s.url, { method: 'POST', body: 'x' })).rejects.toThrow(
      'fetch failed',
    );
    expect(s.seen()).toBe(3);
  });

  test('a timeout is not retried', async () => {
    const s = await dropping(0, 2000);
    await expect(fetchWithTimeout(200)(s.url, { method: 'POST', body: 'x' })).rejects.toThrow();
    expect(s.seen()).toBe(1);
  });
});
