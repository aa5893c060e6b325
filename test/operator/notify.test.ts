// Webhook notifications against the real API server, with a local HTTP
// receiver: at least once with retries (it fails twice, then succeeds, and
// exactly one delivery is counted), the same event id on every attempt, a
// generic body whose HMAC the receiver checks, a Slack-compatible body, the
// events filter, and no secret in any payload.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Manager } from '../../src/operator/manager.ts';
import { installCrds, useNamespace } from '../support/kube.ts';
import { clients, createTarget, failedRun, getTarget, startManager } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';

const ns = useNamespace('notify');
const HOOK_TOKEN = 'T0KEN-in-the-url-5f2a9c';
const SIGNING_KEY = 'hmac-signing-key-8d1e77';

interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number;
}
let server: Server;
let base: string;
const received: Received[] = [];
/** Answers 500 to the first `failFirst` requests on the generic path. */
let failFirst = 2;
let manager: Manager;
let logs: { text: string } | undefined;

beforeAll(async () => {
  await installCrds();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const status = req.url?.startsWith('/generic') && failFirst-- > 0 ? 500 : 200;
      received.push({ path: req.url ?? '', headers: req.headers, body, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const h = startManager({
    namespaces: [ns()],
    notifyDelivery: { retries: 4, minTimeoutMs: 50, maxTimeoutMs: 200, requestTimeoutMs: 2000 },
  });
  manager = h.manager;
  logs = h.logs;
  await h.started;
});
afterAll(async () => {
  await manager?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

const failRun = (target: any, name: string, message: string) =>
  failedRun(ns(), target, name, message);

const metric = async (result: string, webhook: string) => {
  const text = await manager.metrics.registry.getSingleMetricAsString(
    'opencode_notifications_total',
  );
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('opencode_notifications_total{') &&
        l.includes(`namespace="${ns()}"`) &&
        l.includes(`webhook="${webhook}"`) &&
        l.includes(`result="${result}"`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('notifications', () => {
  test('a failed run reaches both webhooks at least once, signed, retried, counted once, and without secrets', async () => {
    await clients().core.createNamespacedSecret({
      namespace: ns(),
      body: {
        metadata: { name: 'hooks' },
        stringData: {
          generic: `${base}/generic/${HOOK_TOKEN}`,
          slack: `${base}/slack/${HOOK_TOKEN}`,
          key: SIGNING_KEY,
        },
      },
    });
    const target = await createTarget(ns(), 'api', {
      schedule: '0 0 1 1 *',
      policy: { maxConsecutiveFailures: 2 },
      notify: {
        webhooks: [
          {
            name: 'ops',
            urlSecretRef: { name: 'hooks', key: 'generic' },
            signingSecretRef: { name: 'hooks', key: 'key' },
          },
          {
            name: 'chat',
            format: 'slack',
            urlSecretRef: { name: 'hooks', key: 'slack' },
            events: ['CircuitOpen'],
          },
        ],
      },
    });
    await failRun(target, 'api-manual-1', 'tests failed: 2 of 40');
    await waitFor(async () => (await metric('delivered', 'ops')) === 1, {
      what: 'the first RunFailed delivered',
    }).catch((e) => {
      throw new Error(
        `${e}\n${JSON.stringify(received)}\n${logs?.text
          .split('\n')
          .filter((l) => /notif|api-manual/.test(l))
          .slice(-20)
          .join('\n')}`,
      );
    });
    await manager.notifier.idle();
    const first = received.filter((r) => r.path.startsWith('/generic'));
    // Failed twice (500), then delivered: three attempts, one id, one delivery counted.
    expect(first.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(new Set(first.map((r) => r.headers['x-opencode-event-id']))).toEqual(
      new Set([`RunFailed/${ns()}/api/api-manual-1`]),
    );
    expect(await metric('retried', 'ops')).toBe(2);
    expect(await metric('delivered', 'ops')).toBe(1);
    expect(await metric('failed', 'ops')).toBe(0);
    const body = JSON.parse(first[2]!.body);
    expect(body).toMatchObject({
      id: `RunFailed/${ns()}/api/api-manual-1`,
      event: 'RunFailed',
      severity: 'warning',
      namespace: ns(),
      target: 'api',
      run: 'api-manual-1',
      message: 'TestsFailed: tests failed: 2 of 40',
      source: 'opencode-operator',
    });
    // The receiver checks the HMAC over the exact bytes; another key does not verify.
    for (const r of first) {
      const got = Buffer.from(String(r.headers['x-opencode-signature-256']));
      const want = Buffer.from(
        `sha256=${createHmac('sha256', SIGNING_KEY).update(r.body).digest('hex')}`,
      );
      expect(got.length === want.length && timingSafeEqual(got, want)).toBe(true);
      const forged = `sha256=${createHmac('sha256', 'not-the-key').update(r.body).digest('hex')}`;
      expect(r.headers['x-opencode-signature-256']).not.toBe(forged);
    }
    // The Slack webhook wants only CircuitOpen: nothing yet.
    expect(received.filter((r) => r.path.startsWith('/slack'))).toEqual([]);

    // A second failure: RepeatedFailures and the circuit opening; Slack hears about the circuit only.
    await failRun(target, 'api-manual-2', 'tests failed again');
    await waitFor(async () => (await getTarget(ns(), 'api')).status?.circuit?.open, {
      what: 'circuit open',
    });
    await waitFor(async () => received.some((r) => r.path.startsWith('/slack')), {
      what: 'the Slack message',
    });
    await waitFor(async () => (await metric('delivered', 'ops')) === 4, {
      what: 'RunFailed, RepeatedFailures and CircuitOpen delivered',
    });
    await manager.notifier.idle();
    const events = received
      .filter((r) => r.path.startsWith('/generic') && r.status === 200)
      .map((r) => JSON.parse(r.body).event)
      .sort();
    expect(events).toEqual(['CircuitOpen', 'RepeatedFailures', 'RunFailed', 'RunFailed']);
    const slack = received.filter((r) => r.path.startsWith('/slack'));
    expect(slack).toHaveLength(1);
    expect(JSON.parse(slack[0]!.body)).toEqual({
      text: expect.stringMatching(
        new RegExp(`^:warning: \\*CircuitOpen\\* ${ns()}/api: 2 runs failed in a row`),
      ),
    });
    expect(slack[0]!.headers['x-opencode-signature-256']).toBeUndefined();
    // No secret in any payload or header value.
    for (const r of received) {
      const all = `${r.body} ${JSON.stringify(r.headers)}`;
      expect(all).not.toContain(HOOK_TOKEN);
      expect(all).not.toContain(SIGNING_KEY);
    }
  });
});
