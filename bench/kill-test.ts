// Benchmark: the kill test. Targets on `* * * * *` while the operator is
// SIGKILLed again and again and the API server restarts now and then; a
// stand-in runner finishes every run (Succeeded) as soon as its Job exists.
// At the end it checks what the four findings of the first chaos run were
// about, and prints the figures:
//   1. no finished run's status is overwritten (a Succeeded run stays so);
//   2. every run is counted exactly once (totals.succeeded = runs finished);
//   3. every run has its RunCreated Event, also when its creator died;
//   4. how late slots run, overall and just after an API server restart.
// It also counts lost slots (a minute with no run), runs for slots that were
// never due, and Jobs per run.
//
//   node bench/kill-test.ts [--targets 10] [--minutes 5] [--kill-every 7]
//                           [--api-restart-every 2] [--replicas 1]
// --api-restart-every M: every M-th slot the API server goes down 2 s before
// it, for 3 s, so that slot falls into the outage.
// --replicas 2 runs two operators with leader election (a killed leader is
// replaced when its Lease expires, so slots run later, not twice).
// Run on demand; it is not part of the test suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { DEFAULT_RUNNER_SERVICE_ACCOUNT } from '../src/controllers/job-builder.ts';
import { GROUP, VERSION } from '../src/crds/index.ts';
import type { ImprovementRun, ImprovementTarget } from '../src/controllers/types.ts';
import { ControlPlane } from '../test/controlplane/controlplane.ts';
import { installCrds } from './support.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '10' },
    minutes: { type: 'string', default: '5' },
    'kill-every': { type: 'string', default: '7' },
    'api-restart-every': { type: 'string', default: '2' },
    replicas: { type: 'string', default: '1' },
  },
});
const N = Number(values.targets);
const MINUTES = Number(values.minutes);
const KILL_EVERY_S = Number(values['kill-every']);
const API_EVERY_SLOTS = Number(values['api-restart-every']);
const REPLICAS = Number(values.replicas);
const NS = 'bench-kill';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN;
};

function startOperator(cp: ControlPlane): ChildProcess {
  return spawn(
    join(root, 'node_modules/.bin/node'),
    [
      join(root, 'src/cli/operator.ts'),
      '--namespaces',
      NS,
      '--kubeconfig',
      cp.kubeconfig,
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
      ...(REPLICAS > 1 ? ['--leader-elect', '--leader-election-namespace', NS] : []),
      '--log-level',
      'warn',
    ],
    { stdio: 'ignore' },
  );
}

async function main(): Promise<void> {
  const cp = new ControlPlane();
  await cp.start();
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const operators: ChildProcess[] = [];
  const list = async <T>(plural: string): Promise<T[]> =>
    (
      (await custom.listNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural,
      })) as { items: T[] }
    ).items;
  try {
    installCrds(cp);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedServiceAccount({
      namespace: NS,
      body: { metadata: { name: DEFAULT_RUNNER_SERVICE_ACCOUNT } },
    });
    const createdAt = Date.now();
    for (let i = 0; i < N; i++)
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: 'improvementtargets',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'ImprovementTarget',
          metadata: { name: `t${i}` },
          spec: {
            repository: { provider: 'git', url: 'https://github.com/acme/x.git' },
            schedule: '* * * * *',
            startingDeadlineSeconds: 300,
            // Keeps every run, so each one can be checked at the end.
            successfulRunsHistoryLimit: 1000,
          },
        },
      });
    for (let r = 0; r < REPLICAS; r++) operators.push(startOperator(cp));

    // The stand-in runner: each run whose Job exists ends Succeeded, once.
    const finished = new Set<string>();
    const jobSeen = new Map<string, number>();
    const jobsPerRun = new Map<string, number>();
    let stop = false;
    const runner = (async () => {
      while (!stop) {
        try {
          const jobs = (await batch.listNamespacedJob({ namespace: NS })).items;
          for (const j of jobs) {
            const name = j.metadata!.name!;
            jobsPerRun.set(name, 1);
            if (!jobSeen.has(name))
              jobSeen.set(name, Date.parse(String(j.metadata!.creationTimestamp)));
            if (finished.has(name)) continue;
            const t = new Date().toISOString();
            await custom.patchNamespacedCustomObjectStatus(
              {
                group: GROUP,
                version: VERSION,
                namespace: NS,
                plural: 'improvementruns',
                name,
                body: { status: { phase: 'Succeeded', startTime: t, completionTime: t } },
              },
              setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
            );
            finished.add(name);
          }
        } catch {
          // The API server is restarting: look again.
        }
        await sleep(500);
      }
    })();

    // Chaos: SIGKILL an operator every few seconds (restarted at once); restart the API server now and then.
    const started = Date.now();
    const end = started + MINUTES * 60_000;
    /** When each outage began and when the API server answered again. */
    const apiRestarts: Array<{ down: number; up: number }> = [];
    let kills = 0;
    const slotAfter = (t: number) => Math.floor(t / 60_000) * 60_000 + 60_000;
    let nextApi = slotAfter(started) + (API_EVERY_SLOTS - 1) * 60_000 - 2000;
    while (Date.now() < end) {
      const wait = KILL_EVERY_S * 1000 * (0.5 + Math.random());
      if (Date.now() + wait >= nextApi) {
        await sleep(nextApi - Date.now());
        const down = Date.now();
        await cp.restartApiServer(3000);
        apiRestarts.push({ down, up: Date.now() });
        nextApi = slotAfter(Date.now()) + (API_EVERY_SLOTS - 1) * 60_000 - 2000;
        continue;
      }
      await sleep(wait);
      const i = Math.floor(Math.random() * operators.length);
      operators[i]!.kill('SIGKILL');
      kills++;
      operators[i] = startOperator(cp);
    }
    // No more chaos: let the last slot run and everything settle.
    await sleep(75_000);
    const settled = Date.now();
    stop = true;
    await runner;

    const all = await list<ImprovementRun>('improvementruns');
    // The last slot that had a few seconds to run before the settling ended; later runs are outside the window.
    const lastSlot = Math.floor((settled - 5000) / 60_000) * 60_000;
    const runs = all.filter(
      (r) => r.spec.trigger !== 'schedule' || Date.parse(r.spec.scheduledTime ?? '') <= lastSlot,
    );
    const targets = await list<ImprovementTarget>('improvementtargets');
    const created = new Set(
      (await core.listNamespacedEvent({ namespace: NS })).items
        .filter((e) => e.reason === 'RunCreated')
        .map((e) => /created run (\S+)/.exec(e.message ?? '')?.[1]),
    );

    // Slots: every whole minute from the first slot after start to the last before the end.
    // A window wide enough for every target; each one's own first slot is checked below.
    const firstSlot = Math.floor(createdAt / 60_000) * 60_000;
    const slots: number[] = [];
    for (let s = firstSlot; s <= lastSlot; s += 60_000) slots.push(s);
    const bySlot = new Map<string, ImprovementRun>();
    for (const r of runs)
      if (r.spec.trigger === 'schedule')
        bySlot.set(`${r.spec.targetRef.name}@${Date.parse(r.spec.scheduledTime ?? '')}`, r);
    let lost = 0;
    let due = 0;
    const lags: number[] = [];
    const lagsAfterApi: number[] = [];
    const lagsAfterUp: number[] = [];
    for (const t of targets)
      for (const s of slots) {
        // CronJob semantics: the first slot is the first minute strictly after the target was created.
        const born = Date.parse(String(t.metadata.creationTimestamp));
        if (s <= born) continue;
        due++;
        const run = bySlot.get(`${t.metadata.name}@${s}`);
        if (!run) {
          lost++;
          continue;
        }
        const job = jobSeen.get(run.metadata.name);
        if (job === undefined) continue;
        const lag = (job - s) / 1000;
        lags.push(lag);
        const outage = apiRestarts.find((a) => s >= a.down && s <= a.up);
        if (outage) {
          lagsAfterApi.push(lag);
          lagsAfterUp.push((job - outage.up) / 1000);
        }
      }
    const bornOf = new Map(
      targets.map((t) => [t.metadata.name, Date.parse(String(t.metadata.creationTimestamp))]),
    );
    const extra = runs.filter((r) => {
      if (r.spec.trigger !== 'schedule') return false;
      const slot = Date.parse(r.spec.scheduledTime ?? '');
      return slot % 60_000 !== 0 || slot <= (bornOf.get(r.spec.targetRef.name) ?? Infinity);
    }).length;
    const overwritten = runs.filter(
      (r) => finished.has(r.metadata.name) && r.status?.phase !== 'Succeeded',
    ).length;
    const counted = targets.reduce((n, t) => n + (t.status?.totals?.succeeded ?? 0), 0);
    const noEvent = runs.filter((r) => !created.has(r.metadata.name)).length;

    const line = (label: string, value: string | number) =>
      console.log(`  ${label.padEnd(52)}${value}`);
    console.log(
      `kill test: ${N} targets on * * * * *, ${MINUTES} min, ${REPLICAS} replica(s)${REPLICAS > 1 ? ' with leader election' : ''}`,
    );
    line('SIGKILLs of an operator', kills);
    line('API server restarts (from 2 s before a slot)', apiRestarts.length);
    line(
      '  down for (s, each)',
      apiRestarts.map((a) => ((a.up - a.down) / 1000).toFixed(1)).join(', '),
    );
    line('target-slots due', due);
    line('runs', runs.length);
    line('lost slots (no run)', lost);
    line('runs for slots never due', extra);
    line('Jobs per run (max)', Math.max(0, ...jobsPerRun.values()));
    line('1. finished runs overwritten', overwritten);
    line('2. runs finished / counted in totals', `${finished.size} / ${counted}`);
    line('3. runs without a RunCreated Event', noEvent);
    line(
      '4. slot to Job, p50 / p99 / max (s)',
      `${quantile(lags, 0.5).toFixed(1)} / ${quantile(lags, 0.99).toFixed(1)} / ${Math.max(...lags).toFixed(1)}`,
    );
    const triple = (xs: number[]) =>
      xs.length
        ? `${quantile(xs, 0.5).toFixed(1)} / ${quantile(xs, 0.99).toFixed(1)} / ${Math.max(...xs).toFixed(1)} (${xs.length} slots)`
        : 'no slot';
    line('   slots inside an outage: slot to Job (s)', triple(lagsAfterApi));
    line('   ... and API server back to Job (s)', triple(lagsAfterUp));
  } finally {
    for (const o of operators) o.kill('SIGKILL');
    await cp.stop();
  }
}

await main();
