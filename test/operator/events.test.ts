// The Event recorder against the real API server: Events are written one at
// a time in the order they were recorded, repeats fold into one Event with a
// count, an Event with an id is recorded once across processes, and a
// backlog beyond its bound is dropped rather than piling up.
import { describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { realClock } from '../../src/kube/clock.ts';
import { EventRecorder } from '../../src/kube/events.ts';
import { KubeRest } from '../../src/kube/rest.ts';
import { createLogger } from '../../src/util/logger.ts';
import { kubeConfig, useNamespace } from '../support/kube.ts';
import { LogBuffer } from '../support/operator.ts';

const ns = useNamespace('events');
const core = () => kubeConfig().makeApiClient(CoreV1Api);

function recorder(maxPending?: number) {
  const logs = new LogBuffer();
  const r = new EventRecorder(
    new KubeRest(kubeConfig()),
    realClock,
    createLogger({ level: 'info', destination: logs }),
    {
      maxPending,
    },
  );
  return { r, logs };
}

const target = (name: string) => ({
  apiVersion: 'opencode.dev/v1alpha1',
  kind: 'ImprovementTarget',
  metadata: { name, namespace: ns(), uid: `uid-${name}` },
});

async function eventsOf(name: string) {
  const { items } = await core().listNamespacedEvent({
    namespace: ns(),
    fieldSelector: `involvedObject.name=${name}`,
  });
  // etcd revisions order writes: the resourceVersion at creation says who was written first.
  return items.sort(
    (a, b) => Number(a.metadata!.resourceVersion) - Number(b.metadata!.resourceVersion),
  );
}

describe('EventRecorder', () => {
  test('writes Events one at a time, in the order they were recorded', async () => {
    const { r } = recorder();
    const reasons = Array.from({ length: 12 }, (_, i) => `Step${i}`);
    await Promise.all(
      reasons.map((reason) => r.event(target('ordered'), 'Normal', reason, reason)),
    );
    expect((await eventsOf('ordered')).map((e) => e.reason)).toEqual(reasons);
  });

  test('folds repeats into one Event with a count', async () => {
    const { r } = recorder();
    for (let i = 0; i < 3; i++)
      void r.event(target('repeat'), 'Warning', 'SecretNotFound', 'no gh');
    await r.flush();
    const events = await eventsOf('repeat');
    expect(events.map((e) => [e.reason, e.count])).toEqual([['SecretNotFound', 3]]);
  });

  test('an Event with an id is recorded once, whichever recorder (process) tries', async () => {
    // Two recorders: an operator that created a run and its successor that adopted it.
    const first = recorder().r;
    const successor = recorder().r;
    const announce = (r: EventRecorder) =>
      r.event(target('adopted'), 'Normal', 'RunCreated', 'created run adopted-1 (schedule)', {
        id: 'RunCreated/adopted-1',
      });
    await announce(first);
    await announce(successor);
    await announce(successor);
    await announce(first);
    const events = await eventsOf('adopted');
    expect(events.map((e) => [e.reason, e.count])).toEqual([['RunCreated', 1]]);
    // Another id on the same object is another Event.
    await successor.event(target('adopted'), 'Normal', 'RunCreated', 'created run adopted-2', {
      id: 'RunCreated/adopted-2',
    });
    expect(await eventsOf('adopted')).toHaveLength(2);
  });

  test('drops what exceeds the backlog bound, and says so once', async () => {
    const { r, logs } = recorder(3);
    for (let i = 0; i < 6; i++) void r.event(target('flood'), 'Normal', `R${i}`, `m${i}`);
    await r.flush();
    expect((await eventsOf('flood')).map((e) => e.reason)).toEqual(['R0', 'R1', 'R2']);
    expect(logs.text.match(/event backlog full/g)).toHaveLength(1);
  });
});
