// The plugin against what the real operator writes: the "why" line follows
// the operator's status, and `kubectl improve run` is a request it honours.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ANNOTATION_RUN_REQUESTED_AT } from '../../src/crds/index.ts';
import { ManualClock } from '../../src/kube/clock.ts';
import type { Manager } from '../../src/operator/manager.ts';
import { installCrds, useNamespace } from '../support/kube.ts';
import { createTarget, getTarget, listRuns, startManager } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';
import { plugin } from './helpers.ts';

const ns = useNamespace('plugin-op');
let manager: Manager | undefined;

beforeAll(async () => {
  await installCrds();
  // The clock stands still: only watch events make the operator act.
  const h = startManager({ clock: new ManualClock(new Date()), namespaces: [ns()] });
  manager = h.manager;
  await h.started;
});
afterAll(async () => manager?.stop());

const improve = (...args: string[]) => plugin(['-n', ns(), ...args]);
const whyLine = (out: string) => out.match(/^(Acting|Not acting): +(.*)$/m)?.slice(1);

test('waiting, suspended, run requested and active, as the operator reports them', async () => {
  await createTarget(ns(), 'live', { schedule: '0 * * * *' });
  const next = await waitFor(async () => (await getTarget(ns(), 'live')).status?.nextScheduleTime, {
    what: 'nextScheduleTime',
  });
  expect(whyLine((await improve('status', 'live')).stdout)).toEqual([
    'Not acting',
    expect.stringMatching(new RegExp(`^waiting for the next slot at ${next} \\(in [0-9hms ]+\\)$`)),
  ]);

  expect((await improve('suspend', 'live')).code).toBe(0);
  await waitFor(async () => (await getTarget(ns(), 'live')).status?.phase === 'Suspended', {
    what: 'phase Suspended',
  });
  const suspended = await improve('status', 'live');
  expect(suspended.stdout).toMatch(/^Phase: +Suspended$/m);
  expect(suspended.stdout).toMatch(/^ {2}Ready +True +Suspended /m);
  expect(whyLine(suspended.stdout)?.[1]).toMatch(/^suspended: /);

  // A run request is honoured while suspended; the operator echoes the value.
  expect((await improve('run', 'live')).code).toBe(0);
  const requested = (await getTarget(ns(), 'live')).metadata.annotations[
    ANNOTATION_RUN_REQUESTED_AT
  ];
  const run = await waitFor(async () => (await listRuns(ns()))[0], { what: 'the manual run' });
  expect(run.spec).toMatchObject({ trigger: 'manual', runRequest: requested });
  await waitFor(
    async () => (await getTarget(ns(), 'live')).status?.activeRuns?.includes(run.metadata.name),
    { what: 'activeRuns' },
  );
  const active = await improve('status', 'live');
  expect(whyLine(active.stdout)).toEqual([
    'Acting',
    `a run is active: ${run.metadata.name}; suspended, so no new run starts after it`,
  ]);
  expect(active.stdout).toMatch(/^Run request: +requested (\S+), last handled \1$/m);
  expect(active.stdout).toMatch(new RegExp(`^ {2}${run.metadata.name} +manual +`, 'm'));
});

test('a spec the operator cannot act on: the Stalled message is the reason', async () => {
  await createTarget(ns(), 'badzone', { schedule: '0 * * * *', timeZone: 'Mars/Olympus' });
  const stalled = await waitFor(
    async () =>
      (await getTarget(ns(), 'badzone')).status?.conditions?.find((c: any) => c.type === 'Stalled'),
    { what: 'Stalled' },
  );
  const r = await improve('status', 'badzone');
  expect(whyLine(r.stdout)).toEqual([
    'Not acting',
    `stalled (${stalled.reason}): ${stalled.message}`,
  ]);
  expect(stalled.message).toContain('spec.timeZone');
});
