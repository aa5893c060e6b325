// Runs the real operator (Manager) in the test process against the test
// API server, with a clock the test moves.
import { Writable } from 'node:stream';
import {
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../../src/crds/index.ts';
import type { ManualClock } from '../../src/kube/clock.ts';
import { Manager, type ManagerOptions } from '../../src/operator/manager.ts';
import { createLogger } from '../../src/util/logger.ts';
import { kubeConfig, kubectlOk } from './kube.ts';

export class LogBuffer extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

export function startManager(
  opts: Partial<ManagerOptions> & { clock?: ManualClock; namespaces: string[] },
) {
  const logs = new LogBuffer();
  const m = new Manager({
    kc: kubeConfig(),
    logger: createLogger({ level: 'debug', destination: logs }),
    runnerImage: 'ghcr.io/opencode-operator/opencode-operator:test',
    reflectorTuning: { resyncMs: 60_000, silenceMs: 20_000 },
    ...opts,
  });
  return { manager: m, logs, started: m.start() };
}

export const clients = () => {
  const kc = kubeConfig();
  return {
    custom: kc.makeApiClient(CustomObjectsApi),
    batch: kc.makeApiClient(BatchV1Api),
    core: kc.makeApiClient(CoreV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
  };
};

export async function listRuns(namespace: string): Promise<any[]> {
  const res = (await clients().custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'improvementruns',
  })) as any;
  return res.items;
}

export async function getTarget(namespace: string, name: string): Promise<any> {
  return clients().custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'improvementtargets',
    name,
  });
}

export async function createTarget(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): Promise<any> {
  return clients().custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'improvementtargets',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ImprovementTarget',
      metadata: { name, annotations },
      spec: { repository: { url: 'https://github.com/acme/demo.git' }, ...spec },
    },
  });
}

/** An ImprovementRun owned by the target, made by the test (as an operator that has since died would have). */
export async function createOwnedRun(
  namespace: string,
  target: { metadata: { name: string; uid: string } },
  name: string,
  spec: Record<string, unknown>,
): Promise<any> {
  return clients().custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'improvementruns',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ImprovementRun',
      metadata: {
        name,
        labels: { 'opencode.dev/target': target.metadata.name },
        ownerReferences: [
          {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'ImprovementTarget',
            name: target.metadata.name,
            uid: target.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { targetRef: { name: target.metadata.name }, ...spec },
    },
  });
}

/** Writes a run's status as its runner does: a merge patch on the status subresource. */
export async function patchRunStatus(
  namespace: string,
  name: string,
  status: Record<string, unknown>,
): Promise<void> {
  await kubectlOk([
    'patch',
    '-n',
    namespace,
    'ir',
    name,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status }),
  ]);
}

/** A run owned by target that ended Failed (TestsFailed), as its runner reports it. */
export async function failedRun(
  namespace: string,
  target: { metadata: { name: string; uid: string } },
  name: string,
  message = 'tests failed',
  at = new Date(),
): Promise<void> {
  await createOwnedRun(namespace, target, name, { trigger: 'manual' });
  await patchRunStatus(namespace, name, {
    phase: 'Failed',
    startTime: at.toISOString(),
    completionTime: at.toISOString(),
    failure: { reason: 'TestsFailed', message },
  });
}

export async function listJobs(namespace: string): Promise<any[]> {
  return (await clients().batch.listNamespacedJob({ namespace })).items;
}

export async function events(namespace: string, reason?: string): Promise<any[]> {
  const items = (await clients().core.listNamespacedEvent({ namespace })).items;
  return reason ? items.filter((e) => e.reason === reason) : items;
}

/** Waits until the manager has nothing in flight, then moves the clock: no timer is registered late. */
export async function moveClock(manager: Manager, clock: ManualClock, to: Date): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!manager.idle && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  clock.set(to);
}

/** The next minute boundary after the real time now (slots are whole minutes). */
export function nextMinute(from = new Date()): Date {
  return new Date(Math.floor(from.getTime() / 60000) * 60000 + 60000);
}
