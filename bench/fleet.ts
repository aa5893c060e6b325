// Benchmark: a fleet of N targets on one operator, on the test control plane.
//
//   1. sync: N targets exist (nothing due) before the operator starts; the
//      time from its start until every target has its first status;
//   2. idle: RSS, V8 heap and CPU over --idle-minutes with nothing due, and
//      the API requests the operator made meanwhile;
//   3. restart: a new operator process takes over targets that all have their
//      status already (what an upgrade or a rescheduled pod does); the time
//      until it has reconciled every target, and the writes it made;
//   4. steady state (--steady-minutes > 0): every target moves to
//      --schedule (hashed, so the slots spread) with history limits of 1, a
//      stand-in runner ends each run Succeeded as soon as its Job exists, and
//      kube-controller-manager's garbage collector removes the Jobs of pruned
//      runs. RSS and heap are sampled every minute; they must not grow.
//
//   node bench/fleet.ts [--targets 10000] [--idle-minutes 5]
//                       [--steady-minutes 0] [--schedule 'H/20 * * * *']
//                       [--cpu-prof-dir DIR] [--apiserver-pprof-dir DIR]
// Run on demand; it is not part of the test suite.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from '@kubernetes/client-node';
import { DEFAULT_RUNNER_SERVICE_ACCOUNT } from '../src/controllers/job-builder.ts';
import { GROUP, VERSION } from '../src/crds/index.ts';
import { ControlPlane } from '../test/controlplane/controlplane.ts';
import {
  apiRequests,
  apiserverProfile,
  bulk,
  cpuSeconds,
  installCrds,
  requestDiff,
} from './support.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: '10000' },
    'idle-minutes': { type: 'string', default: '5' },
    'steady-minutes': { type: 'string', default: '0' },
    schedule: { type: 'string', default: 'H/20 * * * *' },
    // Writes a V8 CPU profile of the operator into this directory (node --cpu-prof).
    'cpu-prof-dir': { type: 'string' },
    // Also fetches a kube-apiserver CPU profile (its /debug/pprof) over the sync.
    'apiserver-pprof-dir': { type: 'string' },
  },
});
const N = Number(values.targets);
const IDLE_MIN = Number(values['idle-minutes']);
const STEADY_MIN = Number(values['steady-minutes']);
const NS = 'bench-fleet';
const NEVER = '0 0 1 1 *'; // due once a year: nothing comes due while the benchmark runs

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  )?.[1];
  return Number(kb) * 1024;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The values of a metric's series in the operator's /metrics whose line includes `match`. */
async function scrapeAll(port: number, name: string, match = ''): Promise<number[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && l.includes(match))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

/** A gauge of the operator's own /metrics (prom-client's default process metrics). */
const scrape = async (port: number, name: string) => (await scrapeAll(port, name))[0] ?? NaN;

/** The sum of a counter's series whose labels include `match` (e.g. `controller="target"`). */
const scrapeSum = async (port: number, name: string, match: string) =>
  (await scrapeAll(port, name, match)).reduce((a, b) => a + b, 0);

/** Stops the operator (SIGTERM) and resolves once it has exited. */
async function stopOperator(op: ChildProcess | undefined): Promise<void> {
  const exited = new Promise((r) => (op && op.exitCode === null ? op.once('exit', r) : r(0)));
  op?.kill('SIGTERM');
  await exited; // a CPU profile is written on exit
}

/**
 * Calls onEvent for every watch event on path until until() is true. A watch
 * that ends (client-node closes a quiet one, the server times it out) is
 * started again; it replays every object as ADDED, so handlers must ignore
 * repeats.
 */
async function watchUntil(
  kc: KubeConfig,
  path: string,
  onEvent: (
    type: string,
    obj: { metadata: { name: string }; status?: { nextScheduleTime?: string } },
  ) => void,
  until: () => boolean,
): Promise<void> {
  while (!until()) {
    await new Promise<void>((resolve) => {
      let ctl: AbortController | undefined;
      const poll = setInterval(() => until() && ctl?.abort(), 500);
      const end = () => (clearInterval(poll), resolve());
      void new Watch(kc).watch(path, {}, onEvent, end).then((c) => (ctl = c), end);
    });
    if (!until()) await sleep(200);
  }
}

/** Resolves when every target has a status written by the operator (its nextScheduleTime). */
async function awaitFirstStatus(kc: KubeConfig): Promise<void> {
  const done = new Set<string>();
  await watchUntil(
    kc,
    `/apis/${GROUP}/${VERSION}/namespaces/${NS}/improvementtargets`,
    (_type, obj) => {
      if (obj.status?.nextScheduleTime) done.add(obj.metadata.name);
    },
    () => done.size >= N,
  );
}

function startOperator(kubeconfig: string, metricsPort: number): ChildProcess {
  const prof = values['cpu-prof-dir'];
  return spawn(
    join(root, 'node_modules/.bin/node'),
    [
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
      join(root, 'src/cli/operator.ts'),
      ...['--namespaces', NS, '--kubeconfig', kubeconfig],
      ...['--metrics-bind-address', `127.0.0.1:${metricsPort}`],
      ...['--health-probe-bind-address', '127.0.0.1:0', '--log-level', 'warn'],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

interface Sample {
  minute: number;
  rss: number;
  heap: number;
  finished: number;
  runs: number;
}

async function main(): Promise<void> {
  const pprofDir = values['apiserver-pprof-dir'];
  const cp = new ControlPlane({ apiServerArgs: pprofDir ? ['--profiling=true'] : [] });
  await cp.start();
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  let op: ChildProcess | undefined;
  try {
    installCrds(cp);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    await core.createNamespacedServiceAccount({
      namespace: NS,
      body: { metadata: { name: DEFAULT_RUNNER_SERVICE_ACCOUNT } },
    });
    const t0 = Date.now();
    await bulk(
      Array.from({ length: N }, (_, i) => `t${i}`),
      16,
      (name) =>
        custom.createNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: NS,
          plural: 'improvementtargets',
          body: {
            apiVersion: `${GROUP}/${VERSION}`,
            kind: 'ImprovementTarget',
            metadata: { name },
            spec: {
              repository: { provider: 'git', url: `https://github.com/acme/${name}.git` },
              schedule: NEVER,
            },
          },
        }),
    );
    console.log(`created ${N} targets in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // 1. Sync.
    let port = await freePort();
    const synced = awaitFirstStatus(kc);
    const cpBefore = Object.fromEntries(
      Object.entries(cp.pids()).map(([name, p]) => [name, cpuSeconds(p)]),
    );
    const syncReqs = apiRequests(cp);
    const start = Date.now();
    // About the first 60 s of the sync at 10,000 targets.
    const pprof = pprofDir
      ? apiserverProfile(cp, join(pprofDir, `apiserver-sync-${N}.pprof`), Math.max(20, N * 0.006))
      : undefined;
    op = startOperator(cp.kubeconfig, port);
    let pid = op.pid!;
    await synced;
    const syncS = (Date.now() - start) / 1000;
    await pprof;
    const syncCpu = cpuSeconds(pid);
    const syncHwm = procStatus(pid, 'VmHWM');
    const cpSync = Object.entries(cp.pids())
      .map(([name, p]) => `${name} ${(cpuSeconds(p) - (cpBefore[name] ?? 0)).toFixed(1)} s`)
      .join(', ');
    console.log(
      `sync: every target has its first status ${syncS.toFixed(1)} s after the operator started ` +
        `(operator CPU ${syncCpu.toFixed(1)} s, peak RSS ${mib(syncHwm)}; meanwhile ${cpSync}); ` +
        `API requests: ${requestDiff(syncReqs, apiRequests(cp))}`,
    );

    // 2. Idle. Nothing scrapes meanwhile; one scrape at the end is measured on its own,
    // since its cost grows with the per-target series and Prometheus adds it every interval.
    await sleep(30_000); // let the last writes and the first GCs settle
    const idleFrom = { cpu: cpuSeconds(pid), at: Date.now(), reqs: apiRequests(cp) };
    const idleRss: number[] = [];
    for (let m = 0; m < IDLE_MIN; m++) {
      await sleep(60_000);
      idleRss.push(procStatus(pid, 'VmRSS'));
    }
    const idleCpu = cpuSeconds(pid) - idleFrom.cpu;
    const idleWall = (Date.now() - idleFrom.at) / 1000;
    const idleReqs = requestDiff(idleFrom.reqs, apiRequests(cp));
    const beforeScrape = cpuSeconds(pid);
    const idleHeap = [await scrape(port, 'opencode_operator_nodejs_heap_size_used_bytes')];
    await sleep(1000);
    const scrapeCpu = cpuSeconds(pid) - beforeScrape;
    console.log(
      `idle over ${IDLE_MIN} min: RSS ${idleRss.map(mib).join(' → ')}; heap used ` +
        `${mib(idleHeap[0]!)}; CPU ${idleCpu.toFixed(2)} s = ` +
        `${((100 * idleCpu) / idleWall).toFixed(2)}% of a core; one /metrics scrape ` +
        `${scrapeCpu.toFixed(2)} CPU-s; API requests: ${idleReqs}`,
    );

    // 3. Restart.
    await stopOperator(op);
    port = await freePort();
    const restartReqs = apiRequests(cp);
    const restartAt = Date.now();
    op = startOperator(cp.kubeconfig, port);
    pid = op.pid!;
    // Polled every 5 s: a scrape of 10,000 targets' series costs the operator most of a CPU-second.
    for (;;) {
      await sleep(5000);
      const done = await scrapeSum(port, 'opencode_reconcile_total', 'controller="target"').catch(
        () => 0,
      );
      if (done >= N) break;
    }
    const restartS = (Date.now() - restartAt) / 1000;
    const restartWrites = requestDiff(restartReqs, apiRequests(cp));
    console.log(
      `restart: a new operator reconciled every target within ${restartS.toFixed(0)} s ` +
        `(polled every 5 s; CPU ${cpuSeconds(pid).toFixed(1)} s); API requests: ${restartWrites}`,
    );

    // 4. Steady state.
    const samples: Sample[] = [];
    if (STEADY_MIN > 0) {
      // Only its garbage collector (Jobs of pruned runs), and no leader election: under
      // this load its 4 s lease would lapse and it would exit.
      await cp.startControllerManager(['--controllers=garbagecollector', '--leader-elect=false']);
      let finished = 0;
      let stop = false;
      const pending = new Set<string>();
      const seenJobs = new Set<string>();
      const jobs = watchUntil(
        kc,
        `/apis/batch/v1/namespaces/${NS}/jobs`,
        (type, job) => {
          if (type !== 'ADDED' || seenJobs.has(job.metadata.name)) return;
          seenJobs.add(job.metadata.name);
          pending.add(job.metadata.name);
        },
        () => stop,
      );
      const runner = (async () => {
        while (!stop) {
          const batch = [...pending];
          pending.clear();
          await bulk(batch, 8, async (name) => {
            const t = new Date().toISOString();
            try {
              await custom.patchNamespacedCustomObjectStatus(
                {
                  ...{ group: GROUP, version: VERSION, namespace: NS },
                  ...{ plural: 'improvementruns', name },
                  body: { status: { phase: 'Succeeded', startTime: t, completionTime: t } },
                },
                setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
              );
              finished++;
            } catch {
              // pruned or replaced before its runner got to it
            }
          });
          await sleep(250);
        }
      })();
      await bulk(
        Array.from({ length: N }, (_, i) => `t${i}`),
        16,
        (name) =>
          custom.patchNamespacedCustomObject(
            {
              ...{ group: GROUP, version: VERSION, namespace: NS },
              ...{ plural: 'improvementtargets', name },
              body: {
                spec: {
                  schedule: values.schedule,
                  successfulRunsHistoryLimit: 1,
                  failedRunsHistoryLimit: 1,
                },
              },
            },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
      );
      console.log(`steady state: every target on "${values.schedule}", history limits 1`);
      for (let m = 1; m <= STEADY_MIN; m++) {
        await sleep(60_000);
        const runs = (await custom.listNamespacedCustomObject({
          ...{ group: GROUP, version: VERSION, namespace: NS },
          plural: 'improvementruns',
          limit: 1,
        })) as { metadata: { remainingItemCount?: number }; items: unknown[] };
        const s: Sample = {
          minute: m,
          rss: procStatus(pid, 'VmRSS'),
          heap: await scrape(port, 'opencode_operator_nodejs_heap_size_used_bytes'),
          finished,
          runs: (runs.metadata.remainingItemCount ?? 0) + runs.items.length,
        };
        samples.push(s);
        console.log(
          `  minute ${m}: RSS ${mib(s.rss)}, heap used ${mib(s.heap)}, runs finished ${s.finished}, runs existing ${s.runs}`,
        );
      }
      stop = true;
      await Promise.all([runner, jobs]);
    }

    console.log(`\nfleet of ${N} targets, one operator`);
    console.log(`  sync                 ${syncS.toFixed(1)} s to every first status`);
    console.log(
      `  RSS after sync       ${mib(idleRss[0] ?? NaN)} (peak during sync ${mib(syncHwm)})`,
    );
    console.log(
      `  heap used idle       ${mib(Math.min(...idleHeap))}-${mib(Math.max(...idleHeap))}`,
    );
    console.log(
      `  idle CPU             ${((100 * idleCpu) / idleWall).toFixed(2)}% of a core (${(idleCpu / (idleWall / 60)).toFixed(2)} CPU-s per minute), not scraped`,
    );
    console.log(`  one /metrics scrape  ${scrapeCpu.toFixed(2)} CPU-s`);
    console.log(`  idle API requests    ${idleReqs}`);
    console.log(`  restart              every target reconciled within ${restartS.toFixed(0)} s`);
    if (samples.length) {
      const third = Math.max(1, Math.floor(samples.length / 3));
      const avg = (xs: Sample[]) => xs.reduce((a, s) => a + s.rss, 0) / xs.length;
      console.log(
        `  steady state         ${samples.at(-1)!.finished} runs finished in ${STEADY_MIN} min; RSS first third ${mib(avg(samples.slice(0, third)))}, last third ${mib(avg(samples.slice(-third)))}, peak ${mib(procStatus(pid, 'VmHWM'))}`,
      );
    }
  } finally {
    await stopOperator(op);
    await cp.stop();
  }
}

await main();
