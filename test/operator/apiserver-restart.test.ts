// The API server goes away under a running operator and comes back: the
// watches reconnect by themselves and scheduling carries on, no restart.
// This file starts its own control plane, so the shared one is untouched.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../src/crds/index.ts';
import { ManualClock } from '../../src/kube/clock.ts';
import { Manager } from '../../src/operator/manager.ts';
import { createLogger } from '../../src/util/logger.ts';
import { ControlPlane } from '../controlplane/controlplane.ts';
import { ENV } from '../support/env.ts';
import { kubectl } from '../support/kube.ts';
import { LogBuffer, moveClock } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';

let cp: ControlPlane;
let kc: KubeConfig;
let manager: Manager;
const logs = new LogBuffer();
const clock = new ManualClock(new Date());

beforeAll(async () => {
  cp = new ControlPlane({ binDir: process.env[ENV.binDir] });
  await cp.start();
  kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  const r = await kubectl(['apply', '-f', 'config/crd', '--kubeconfig', cp.kubeconfig]);
  expect(r.code).toBe(0);
  await kubectl([
    'wait',
    '--for=condition=Established',
    '-f',
    'config/crd',
    '--kubeconfig',
    cp.kubeconfig,
  ]);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'restart' } } });
  manager = new Manager({
    kc,
    clock,
    logger: createLogger({ destination: logs }),
    runnerImage: 'x',
    namespaces: ['restart'],
    reflectorTuning: { silenceMs: 5000 },
  });
  await manager.start();
}, 180_000);

afterAll(async () => {
  await manager?.stop();
  await cp?.stop();
});

test('scheduling continues after the API server restarts', async () => {
  const custom = kc.makeApiClient(CustomObjectsApi);
  await cp.restartApiServer(2000);
  const body = (name: string) => ({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ImprovementTarget',
    metadata: { name },
    spec: { repository: { url: 'https://github.com/acme/a.git' }, schedule: '* * * * *' },
  });
  // Created after the restart: only a reconnected watch can see it.
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: 'restart',
    plural: 'improvementtargets',
    body: body('after-restart'),
  });
  const get = async () =>
    (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: 'restart',
      plural: 'improvementtargets',
      name: 'after-restart',
    })) as any;
  const next = await waitFor(async () => (await get()).status?.nextScheduleTime, {
    timeoutMs: 60_000,
    what: 'the operator to see the new target',
  });
  await moveClock(manager, clock, new Date(Date.parse(next) + 1000));
  await waitFor(
    async () => {
      const runs = (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: 'restart',
        plural: 'improvementruns',
      })) as any;
      return runs.items.length === 1;
    },
    { timeoutMs: 30_000, what: 'a run after the restart' },
  );
  const stats = manager.targets.stats;
  expect(stats.errors + stats.watches).toBeGreaterThan(1); // it did reconnect
  expect(logs.text).toContain('list/watch failed; retrying');
  // Its recovery reset the queue's backoff (manager.ts: onRecover → forgetAll).
  expect(logs.text).toContain('list/watch recovered');
});
