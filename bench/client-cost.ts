// Benchmark: the operator's own CPU per API request, through client-node's
// generated client and through the lean path (src/kube/rest.ts), for the
// writes a scheduled run makes. Both create the same objects on the same
// test control plane; the figure is this process's user+system CPU divided
// by the number of requests.
//
//   node bench/client-cost.ts [--n 500] [--concurrency 8]
// Run on demand; it is not part of the test suite.
import { parseArgs } from 'node:util';
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION } from '../src/crds/index.ts';
import { withConnectionReuse } from '../src/kube/connection-reuse.ts';
import { KubeRest } from '../src/kube/rest.ts';
import { ControlPlane } from '../test/controlplane/controlplane.ts';
import { installCrds } from './support.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
  },
});
const n = Number(values.n);
const concurrency = Number(values.concurrency);

async function bulk(count: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < count) await fn(i++);
    }),
  );
}

/** CPU milliseconds of this process per call of fn over `count` calls, and the wall time. */
async function measure(count: number, fn: (i: number) => Promise<unknown>) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await bulk(count, fn);
  const cpu = process.cpuUsage(cpu0);
  return { cpuMs: (cpu.user + cpu.system) / 1000 / count, wallS: (performance.now() - t0) / 1000 };
}

const run = (name: string) => ({
  apiVersion: API_VERSION,
  kind: 'ImprovementRun',
  metadata: { name, labels: { 'opencode.dev/target': 'bench' } },
  spec: {
    targetRef: { name: 'bench' },
    trigger: 'schedule',
    scheduledTime: new Date().toISOString(),
  },
});

const cp = new ControlPlane();
await cp.start();
try {
  installCrds(cp);
  const kc = withConnectionReuse(new KubeConfig());
  kc.loadFromFile(cp.kubeconfig);
  const ns = 'client-cost';
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  const custom = kc.makeApiClient(CustomObjectsApi);
  const rest = new KubeRest(kc);
  const path = `/apis/${GROUP}/${VERSION}/namespaces/${ns}/improvementruns`;

  // Warm both paths (connections, JIT) before measuring.
  await bulk(50, (i) =>
    custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns,
      plural: 'improvementruns',
      body: run(`warm-a-${i}`),
    }),
  );
  await bulk(50, (i) => rest.post(path, run(`warm-b-${i}`)));

  const rows: Array<[string, { cpuMs: number; wallS: number }]> = [];
  rows.push([
    'client-node create',
    await measure(n, (i) =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: 'improvementruns',
        body: run(`a-${i}`),
      }),
    ),
  ]);
  rows.push(['lean create', await measure(n, (i) => rest.post(path, run(`b-${i}`)))]);
  rows.push([
    'client-node merge patch',
    await measure(n, (i) =>
      custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: ns,
          plural: 'improvementruns',
          name: `a-${i}`,
          body: { metadata: { labels: { patched: 'yes' } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    ),
  ]);
  rows.push([
    'lean merge patch',
    await measure(n, (i) =>
      rest.patch(`${path}/b-${i}`, { metadata: { labels: { patched: 'yes' } } }),
    ),
  ]);
  console.log(`${n} requests each, ${concurrency} at a time`);
  console.log('  path                      our CPU ms/request   wall s');
  for (const [name, r] of rows)
    console.log(
      `  ${name.padEnd(26)}${r.cpuMs.toFixed(2).padStart(10)}   ${r.wallS.toFixed(2).padStart(14)}`,
    );
} finally {
  await cp.stop();
}
