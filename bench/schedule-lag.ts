// Benchmark: N targets all due in the same minute. Measures the lag from the
// slot to each Job being created (seen through one watch, the same way for
// every contender) and the operator's peak RSS, and compares with two peers
// on the same API server:
//   - N CronJobs handled by kube-controller-manager (what users would pick instead);
//   - a raw loop creating N Jobs at the slot (the API server's own limit).
//
//   node bench/schedule-lag.ts [--n 100,1000] [--workers 8]
// Run on demand; it is not part of the test suite.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BatchV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  Watch,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../src/crds/index.ts';
import { ControlPlane } from '../test/controlplane/controlplane.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100,1000' },
    workers: { type: 'string', default: '16' },
  },
});
const sizes = values.n!.split(',').map(Number);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

/** Resolves with the local time each new Job in ns was first seen, once n have been. */
function watchJobs(
  kc: KubeConfig,
  ns: string,
  n: number,
): { done: Promise<number[]>; stop: () => void } {
  const seen = new Map<string, number>();
  let ctl: AbortController | undefined;
  let resolve!: (v: number[]) => void;
  const done = new Promise<number[]>((r) => (resolve = r));
  void new Watch(kc)
    .watch(
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      {},
      (type, obj) => {
        if (type !== 'ADDED' || seen.has(obj.metadata.name)) return;
        seen.set(obj.metadata.name, Date.now());
        if (seen.size >= n) resolve([...seen.values()]);
      },
      () => undefined,
    )
    .then((c) => (ctl = c));
  return { done, stop: () => ctl?.abort() };
}

async function nextSlotWithMargin(marginMs: number): Promise<number> {
  let slot = Math.ceil(Date.now() / 60000) * 60000;
  if (slot - Date.now() < marginMs) slot += 60000;
  return slot;
}

/** A daily schedule (UTC) that fires at exactly this slot, and at no minute before it. */
const cronAt = (slot: number) => {
  const d = new Date(slot);
  return `${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
};

async function bulk<T>(
  items: T[],
  concurrency: number,
  fn: (x: T) => Promise<unknown>,
): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

interface Result {
  p50: number;
  p99: number;
  max: number;
  rssMiB?: number;
}

async function ours(cp: ControlPlane, kc: KubeConfig, n: number): Promise<Result> {
  const ns = `bench-ours-${n}`;
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const proc = spawn(
    join(root, 'node_modules/.bin/node'),
    [
      join(root, 'src/cli/operator.ts'),
      '--namespaces',
      ns,
      '--kubeconfig',
      cp.kubeconfig,
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
      '--workers',
      values.workers!,
      '--log-level',
      'warn',
    ],
    { stdio: 'ignore' },
  );
  try {
    const slot = await nextSlotWithMargin(n >= 1000 ? 40_000 : 15_000);
    const names = Array.from({ length: n }, (_, i) => `t${i}`);
    await bulk(names, 16, (name) =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'improvementtargets',
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'ImprovementTarget',
          metadata: { name },
          spec: {
            repository: { url: 'https://github.com/acme/x.git' },
            schedule: cronAt(slot),
            timeZone: 'Etc/UTC',
            startingDeadlineSeconds: 300,
          },
        },
      }),
    );
    if (Date.now() > slot - 2000) throw new Error('setup ran past the slot; rerun');
    // client-node ends a watch after 30s without data: start it just before the slot.
    await sleep(slot - 3000 - Date.now());
    const w = watchJobs(kc, ns, n);
    const seen = await w.done;
    w.stop();
    const vmHwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1];
    const lags = seen.map((t) => (t - slot) / 1000);
    return {
      p50: pct(lags, 50),
      p99: pct(lags, 99),
      max: Math.max(...lags),
      rssMiB: vmHwm ? Number(vmHwm) / 1024 : undefined,
    };
  } finally {
    proc.kill('SIGTERM');
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

async function cronjobs(kc: KubeConfig, n: number): Promise<Result> {
  const ns = `bench-cron-${n}`;
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  try {
    const slot = await nextSlotWithMargin(n >= 1000 ? 40_000 : 15_000);
    await bulk(
      Array.from({ length: n }, (_, i) => `c${i}`),
      16,
      (name) =>
        batch.createNamespacedCronJob({
          namespace: ns,
          body: {
            metadata: { name },
            spec: {
              schedule: cronAt(slot),
              timeZone: 'Etc/UTC',
              startingDeadlineSeconds: 300,
              jobTemplate: {
                spec: {
                  template: {
                    spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox' }] },
                  },
                },
              },
            },
          },
        }),
    );
    if (Date.now() > slot - 2000) throw new Error('setup ran past the slot; rerun');
    // client-node ends a watch after 30s without data: start it just before the slot.
    await sleep(slot - 3000 - Date.now());
    const w = watchJobs(kc, ns, n);
    const seen = await w.done;
    w.stop();
    const lags = seen.map((t) => (t - slot) / 1000);
    return { p50: pct(lags, 50), p99: pct(lags, 99), max: Math.max(...lags) };
  } finally {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

async function rawLoop(kc: KubeConfig, n: number): Promise<Result> {
  const ns = `bench-raw-${n}`;
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  await core.createNamespace({ body: { metadata: { name: ns } } });
  try {
    const w = watchJobs(kc, ns, n);
    await sleep(500);
    const start = Date.now();
    await bulk(
      Array.from({ length: n }, (_, i) => `j${i}`),
      8,
      (name) =>
        batch.createNamespacedJob({
          namespace: ns,
          body: {
            metadata: { name },
            spec: {
              template: {
                spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox' }] },
              },
            },
          },
        }),
    );
    const seen = await w.done;
    w.stop();
    const lags = seen.map((t) => (t - start) / 1000);
    return { p50: pct(lags, 50), p99: pct(lags, 99), max: Math.max(...lags) };
  } finally {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
  }
}

const cp = new ControlPlane();
await cp.start();
try {
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  const { spawnSync } = await import('node:child_process');
  spawnSync(
    join(cp.binDir, 'kubectl'),
    ['--kubeconfig', cp.kubeconfig, 'apply', '-f', join(root, 'config/crd')],
    { stdio: 'ignore' },
  );
  spawnSync(
    join(cp.binDir, 'kubectl'),
    [
      '--kubeconfig',
      cp.kubeconfig,
      'wait',
      '--for=condition=Established',
      '-f',
      join(root, 'config/crd'),
    ],
    { stdio: 'ignore' },
  );
  await cp.startControllerManager();
  await sleep(5000);
  const rows: string[] = [];
  for (const n of sizes) {
    const raw = await rawLoop(kc, n);
    const cron = await cronjobs(kc, n);
    const op = await ours(cp, kc, n);
    const f = (x: number) => x.toFixed(2).padStart(7);
    rows.push(
      `N=${n}`,
      `  contender            p50 lag s   p99 lag s   max s   p99 vs CronJob   p99 vs raw`,
      `  raw Job loop         ${f(raw.p50)}     ${f(raw.p99)}  ${f(raw.max)}   ${(raw.p99 / cron.p99).toFixed(2).padStart(8)}x   ${'1.00'.padStart(8)}x`,
      `  CronJob controller   ${f(cron.p50)}     ${f(cron.p99)}  ${f(cron.max)}   ${'1.00'.padStart(8)}x   ${(cron.p99 / raw.p99).toFixed(2).padStart(8)}x`,
      `  opencode-operator    ${f(op.p50)}     ${f(op.p99)}  ${f(op.max)}   ${(op.p99 / cron.p99).toFixed(2).padStart(8)}x   ${(op.p99 / raw.p99).toFixed(2).padStart(8)}x`,
      `  operator peak RSS    ${op.rssMiB?.toFixed(0)} MiB`,
    );
    console.log(rows.slice(-6).join('\n'));
  }
  console.log('\n' + rows.join('\n'));
} finally {
  await cp.stop();
}
