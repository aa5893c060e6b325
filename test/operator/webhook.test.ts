// A GitHub issue webhook, signed with the shared secret, makes the operator
// check the forge at once and start the priority run; a bad signature is
// refused with 401 and starts nothing.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ManualClock } from '../../src/kube/clock.ts';
import type { Manager } from '../../src/operator/manager.ts';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { createDoubleTarget, doubleForgeFactory } from '../support/forge-target.ts';
import { installCrds, useNamespace } from '../support/kube.ts';
import { listRuns, startManager } from '../support/operator.ts';
import { sleep, waitFor } from '../support/wait.ts';

const ns = useNamespace('hook');
const SECRET = 'whsec-opencode-test-0123456789';
const TOKEN = 'ghp_webhookTestToken0123456789abcd';
let gh: GitHubDouble;
let manager: Manager;

beforeAll(async () => {
  await installCrds();
  gh = await startGitHubDouble({ token: TOKEN });
  // The clock never moves: only the webhook can make a forge check happen after the first one.
  const h = startManager({
    clock: new ManualClock(new Date()),
    namespaces: [ns()],
    webhook: { address: '127.0.0.1:0', secret: SECRET },
    forgeFactory: doubleForgeFactory(gh),
  });
  manager = h.manager;
  await h.started;
  await createDoubleTarget(gh, {
    namespace: ns(),
    name: 'hooked',
    token: TOKEN,
    forgeCheckInterval: '1h',
  });
});
afterAll(async () => {
  await manager?.stop();
  await gh?.close();
});

function deliver(body: object, signature: string | undefined) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': 'issues',
    'x-github-delivery': 'd-1',
  };
  if (signature) headers['x-hub-signature-256'] = signature;
  return fetch(`http://127.0.0.1:${manager.webhookPort}/webhooks/github`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
}

test('a signed issue event starts the priority run now; a bad signature gets 401 and nothing', async () => {
  const number = gh.addIssue('acme', 'hooked', {
    title: 'Crash on empty input',
    labels: ['opencode-priority'],
  });
  const event = {
    action: 'labeled',
    issue: { number, labels: [{ name: 'opencode-priority' }] },
    repository: {
      full_name: 'acme/hooked',
      clone_url: 'https://github.com/acme/hooked.git',
      ssh_url: 'git@github.com:acme/hooked.git',
      html_url: 'https://github.com/acme/hooked',
    },
  };
  const bad = await deliver(
    event,
    'sha256=' + createHmac('sha256', 'wrong-secret').update(JSON.stringify(event)).digest('hex'),
  );
  expect(bad.status).toBe(401);
  await sleep(1000);
  expect((await listRuns(ns())).length).toBe(0);

  const good = await deliver(
    event,
    'sha256=' + createHmac('sha256', SECRET).update(JSON.stringify(event)).digest('hex'),
  );
  expect(good.status).toBe(202);
  const run = await waitFor(
    async () => (await listRuns(ns())).find((r) => r.spec.trigger === 'priority-issue'),
    { what: 'priority run after the webhook' },
  );
  expect(run.spec.issue).toBe(number);
});
