// The webhook handler behind a real node:http server on 127.0.0.1, fed
// deliveries shaped like GitHub's (validated against its OpenAPI description)
// and Gitea's, signed the way each forge signs them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, SecretRegistry } from '../../src/util/logger.ts';
import { createWebhookHandler, matchTargets, type IssueEvent } from '../../src/webhook/server.ts';
import { githubOpenApi } from '../doubles/github/openapi.ts';

const SECRET = 'whsec-test-0f3c9a77d2';
const LIMIT = 64 * 1024;

/** An example payload from GitHub's OpenAPI description (components.examples). */
function publishedExample(name: string): unknown {
  const file = createRequire(import.meta.url).resolve(
    '@octokit/openapi/generated/api.github.com.json',
  );
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    components: { examples: Record<string, { value: unknown }> };
  };
  const example = doc.components.examples[name];
  if (!example) throw new Error(`GitHub's description has no example ${name}`);
  return example.value;
}

const hmac = (body: string | Buffer, secret = SECRET) =>
  createHmac('sha256', secret).update(body).digest('hex');

function githubIssuePayload(action: string): Record<string, any> {
  const api = githubOpenApi();
  const payload = api.sample(`webhook-issues-${action}`) as Record<string, any>;
  payload.action = action;
  // The sampler leaves the issue author null, which closed events do not allow.
  payload.issue.user ??= { ...(api.sample('simple-user') as object), gravatar_id: '' };
  payload.issue.number = 42;
  payload.issue.labels = [
    { ...(api.sample('label') as object), name: 'opencode:priority' },
    { ...(api.sample('label') as object), name: 'bug' },
  ];
  Object.assign(payload.repository, {
    full_name: 'Octo-Org/Widget',
    clone_url: 'https://github.com/Octo-Org/Widget.git',
    ssh_url: 'git@github.com:Octo-Org/Widget.git',
    html_url: 'https://github.com/Octo-Org/Widget',
  });
  const problems = api.validateComponent(`webhook-issues-${action}`, payload);
  if (problems.length) throw new Error(`test payload off GitHub's schema:\n${problems.join('\n')}`);
  return payload;
}

// Gitea's api.IssuePayload: action, number, issue, repository, sender.
function giteaIssuePayload(action: string): Record<string, any> {
  const repository = {
    id: 3,
    owner: { id: 1, login: 'team' },
    name: 'service',
    full_name: 'team/service',
    html_url: 'http://gitea.local:3000/team/service',
    ssh_url: 'ssh://git@gitea.local:2222/team/service.git',
    clone_url: 'http://gitea.local:3000/team/service.git',
  };
  return {
    action,
    number: 5,
    issue: {
      id: 17,
      number: 5,
      title: 'Flaky retry logic',
      state: 'open',
      labels: [{ id: 2, name: 'opencode:priority', color: 'e11d21' }],
      pull_request: null,
      repository: { id: 3, name: 'service', owner: 'team', full_name: 'team/service' },
    },
    repository,
    sender: { id: 1, login: 'team' },
  };
}

interface Reply {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

let server: Server;
let base: { host: string; port: number };
let events: IssueEvent[];
let logText: string;

function send(opts: {
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  chunks?: Buffer[];
}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const req = request(
      { ...base, path: opts.path, method: opts.method ?? 'POST', headers: opts.headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          settled = true;
          resolve({ status: res.statusCode ?? 0, text, headers: res.headers });
        });
      },
    );
    // A server that answers 413 early may close while we still write: only
    // an error before any answer fails the request.
    req.on('error', (err) => {
      if (!settled) reject(err);
    });
    if (opts.chunks) {
      for (const c of opts.chunks) req.write(c);
      req.end();
    } else req.end(opts.body);
  });
}

function github(event: string, body: string, signature?: string): Promise<Reply> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'GitHub-Hookshot/test',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  };
  if (signature !== undefined) headers['X-Hub-Signature-256'] = signature;
  return send({ path: '/webhooks/github', headers, body });
}

function gitea(event: string, body: string, signature?: string): Promise<Reply> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'X-Gitea-Event': event,
    'X-Gitea-Event-Type': event === 'issues' ? 'issue_label' : event,
    'X-Gitea-Delivery': 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
  };
  if (signature !== undefined) headers['X-Gitea-Signature'] = signature;
  return send({ path: '/webhooks/gitea', headers, body });
}

beforeAll(async () => {
  // A registry of its own, so the log assertions see a leak rather than its redaction.
  const logger = createLogger({
    level: 'debug',
    registry: new SecretRegistry(),
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        logText += chunk.toString('utf8');
        done();
      },
    }),
  });
  const handler = createWebhookHandler({
    secret: SECRET,
    logger,
    maxBodyBytes: LIMIT,
    onIssueEvent: (e) => events.push(e),
  });
  server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  events = [];
  logText = '';
});

describe('GitHub deliveries', () => {
  it('a validly signed issues event is accepted and handed over parsed', async () => {
    const body = JSON.stringify(githubIssuePayload('labeled'));
    const reply = await github('issues', body, `sha256=${hmac(body)}`);
    expect(reply.status).toBe(202);
    expect(events).toEqual([
      {
        provider: 'github',
        repository: {
          fullName: 'Octo-Org/Widget',
          cloneUrls: [
            'https://github.com/Octo-Org/Widget.git',
            'git@github.com:Octo-Org/Widget.git',
            'https://github.com/Octo-Org/Widget',
          ],
        },
        action: 'labeled',
        labels: ['opencode:priority', 'bug'],
        number: 42,
      },
    ]);
    expect(logText).toContain('webhook issue event accepted');
  });

  it.each(['opened', 'reopened', 'edited'])('action %s triggers', async (action) => {
    const body = JSON.stringify(githubIssuePayload(action));
    expect((await github('issues', body, `sha256=${hmac(body)}`)).status).toBe(202);
    expect(events.map((e) => e.action)).toEqual([action]);
  });

  it('closed and unlabeled issues, and other events, are answered 204 without a trigger', async () => {
    for (const action of ['closed', 'unlabeled']) {
      const body = JSON.stringify(githubIssuePayload(action));
      expect((await github('issues', body, `sha256=${hmac(body)}`)).status).toBe(204);
    }
    const push = JSON.stringify({ ref: 'refs/heads/main' });
    expect((await github('push', push, `sha256=${hmac(push)}`)).status).toBe(204);
    expect(events).toEqual([]);
  });

  it('ping, GitHub’s published example, is answered 200', async () => {
    const body = JSON.stringify(publishedExample('ping'));
    const reply = await github('ping', body, `sha256=${hmac(body)}`);
    expect(reply.status).toBe(200);
    expect(events).toEqual([]);
  });

  it('a form-encoded delivery is verified over its raw bytes and read from payload', async () => {
    const payload = JSON.stringify(githubIssuePayload('opened'));
    const body = new URLSearchParams({ payload }).toString();
    const reply = await send({
      path: '/webhooks/github',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-GitHub-Event': 'issues',
        'X-Hub-Signature-256': `sha256=${hmac(body)}`,
      },
      body,
    });
    expect(reply.status).toBe(202);
    expect(events.map((e) => e.number)).toEqual([42]);
  });

  it('bad, missing and malformed signatures are refused with 401 and nothing triggered', async () => {
    const body = JSON.stringify(githubIssuePayload('opened'));
    const good = hmac(body);
    const tampered = body.replace('"number":42', '"number":43');
    expect(tampered).not.toBe(body);
    const cases: Array<[string, string, string | undefined]> = [
      ['wrong secret', body, `sha256=${hmac(body, 'not-the-secret')}`],
      ['missing header', body, undefined],
      ['empty header', body, ''],
      ['truncated signature', body, `sha256=${good.slice(0, 40)}`],
      ['no sha256= prefix', body, good],
      ['sha1 form', body, `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`],
      ['body modified after signing', tampered, `sha256=${good}`],
    ];
    for (const [name, sent, signature] of cases) {
      const reply = await github('issues', sent, signature);
      expect([name, reply.status]).toEqual([name, 401]);
    }
    expect(events).toEqual([]);
    // The log says why, never with what.
    expect(logText).toContain('webhook signature rejected');
    expect(logText).not.toContain(SECRET);
    expect(logText).not.toContain(good);
    expect(logText).not.toContain(good.slice(0, 40));
  });

  it('a ping with a bad signature is refused too', async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.' });
    expect((await github('ping', body, `sha256=${hmac(body, 'nope-nope')}`)).status).toBe(401);
  });
});

describe('Gitea deliveries', () => {
  it('a validly signed label_updated issues event is accepted as labeled', async () => {
    const body = JSON.stringify(giteaIssuePayload('label_updated'));
    const reply = await gitea('issues', body, hmac(body));
    expect(reply.status).toBe(202);
    expect(events).toEqual([
      {
        provider: 'gitea',
        repository: {
          fullName: 'team/service',
          cloneUrls: [
            'http://gitea.local:3000/team/service.git',
            'ssh://git@gitea.local:2222/team/service.git',
            'http://gitea.local:3000/team/service',
          ],
        },
        action: 'labeled',
        labels: ['opencode:priority'],
        number: 5,
      },
    ]);
  });

  it('opened triggers; a pull request in an issues event does not', async () => {
    const opened = JSON.stringify(giteaIssuePayload('opened'));
    expect((await gitea('issues', opened, hmac(opened))).status).toBe(202);
    const pr = giteaIssuePayload('opened');
    pr.issue.pull_request = { merged: false };
    const prBody = JSON.stringify(pr);
    expect((await gitea('issues', prBody, hmac(prBody))).status).toBe(204);
    expect(events.map((e) => e.action)).toEqual(['opened']);
  });

  it('bad, missing, GitHub-style and truncated signatures are refused with 401', async () => {
    const body = JSON.stringify(giteaIssuePayload('opened'));
    const good = hmac(body);
    for (const signature of [
      hmac(body, 'not-the-secret'),
      undefined,
      `sha256=${good}`,
      good.slice(0, 63),
    ])
      expect((await gitea('issues', body, signature)).status).toBe(401);
    expect((await gitea('issues', body.replace('"number":5', '"number":6'), good)).status).toBe(
      401,
    );
    expect(events).toEqual([]);
    expect(logText).not.toContain(SECRET);
    expect(logText).not.toContain(good);
  });
});

describe('HTTP edges', () => {
  it('a body over the limit is refused with 413 before any signature check', async () => {
    const body = JSON.stringify({ ...githubIssuePayload('opened'), pad: 'x'.repeat(LIMIT) });
    const declared = await github('issues', body, `sha256=${hmac(body)}`);
    expect(declared.status).toBe(413);
    // Chunked, with no Content-Length to go by: counted while it streams.
    const chunked = await send({
      path: '/webhooks/gitea',
      headers: { 'X-Gitea-Event': 'issues', 'X-Gitea-Signature': hmac(body) },
      chunks: [Buffer.from(body.slice(0, LIMIT / 2)), Buffer.from(body.slice(LIMIT / 2))],
    });
    expect(chunked.status).toBe(413);
    expect(events).toEqual([]);
  });

  it('a body exactly at the limit is read', async () => {
    const base = JSON.stringify({ ...giteaIssuePayload('opened'), pad: '' });
    const body = base.replace('"pad":""', `"pad":"${'y'.repeat(LIMIT - base.length)}"`);
    expect(Buffer.byteLength(body)).toBe(LIMIT);
    expect((await gitea('issues', body, hmac(body))).status).toBe(202);
  });

  it('wrong method → 405 with Allow, unknown path → 404', async () => {
    const get = await send({ path: '/webhooks/github', method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await send({ path: '/webhooks/gitlab', body: '{}' })).status).toBe(404);
    expect((await send({ path: '/webhooks', body: '{}' })).status).toBe(404);
    // A query string does not change the route.
    const body = JSON.stringify(githubIssuePayload('opened'));
    const reply = await send({
      path: '/webhooks/github?source=test',
      headers: { 'X-GitHub-Event': 'issues', 'X-Hub-Signature-256': `sha256=${hmac(body)}` },
      body,
    });
    expect(reply.status).toBe(202);
  });

  it('a signed but unparseable issues payload is a 400, not a trigger', async () => {
    const body = '{"action":"opened","issue":';
    expect((await github('issues', body, `sha256=${hmac(body)}`)).status).toBe(400);
    expect(events).toEqual([]);
  });

  it('a failing onIssueEvent answers 500 so the forge shows a failed delivery', async () => {
    const failing = createServer(
      createWebhookHandler({
        secret: SECRET,
        logger: createLogger({ level: 'silent' }),
        onIssueEvent: () => {
          throw new Error('queue closed');
        },
      }),
    );
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    try {
      const body = JSON.stringify(giteaIssuePayload('opened'));
      const reply = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: (failing.address() as AddressInfo).port,
            path: '/webhooks/gitea',
            method: 'POST',
            headers: { 'X-Gitea-Event': 'issues', 'X-Gitea-Signature': hmac(body) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect(reply).toBe(500);
    } finally {
      failing.closeAllConnections();
      await new Promise<void>((r) => failing.close(() => r()));
    }
  });

  it('an empty secret is refused at start-up', () => {
    expect(() =>
      createWebhookHandler({
        secret: '',
        onIssueEvent: () => undefined,
        logger: createLogger({ level: 'silent' }),
      }),
    ).toThrow(/webhook secret is empty/);
  });
});

describe('matchTargets on delivered events', () => {
  const targets = [
    {
      namespace: 'a',
      name: 'widget-https',
      spec: { repository: { url: 'https://github.com/octo-org/widget' } },
    },
    {
      namespace: 'b',
      name: 'widget-ssh',
      spec: { repository: { url: 'git@github.com:Octo-Org/widget.git' } },
    },
    {
      namespace: 'a',
      name: 'gadget',
      spec: { repository: { url: 'https://github.com/octo-org/gadget' } },
    },
    {
      namespace: 'c',
      name: 'service',
      spec: { repository: { url: 'http://gitea.local:3000/Team/Service.git' } },
    },
  ];

  it('finds the targets of a GitHub event and of a Gitea event', async () => {
    const gh = JSON.stringify(githubIssuePayload('opened'));
    await github('issues', gh, `sha256=${hmac(gh)}`);
    const gt = JSON.stringify(giteaIssuePayload('opened'));
    await gitea('issues', gt, hmac(gt));
    expect(events).toHaveLength(2);
    expect(matchTargets(events[0]!, targets).map((t) => t.name)).toEqual([
      'widget-https',
      'widget-ssh',
    ]);
    expect(matchTargets(events[1]!, targets).map((t) => t.name)).toEqual(['service']);
  });
});
