// The operator as users run it: a process with flags, JSON logs, health and
// metrics endpoints, and a clean exit on SIGTERM that releases its Lease.
import { spawn } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, beforeAll } from '@jest/globals';
import { installCrds, repoRoot, useNamespace } from '../support/kube.ts';
import { clients, createTarget, getTarget } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';

const ns = useNamespace('cli');
const node = join(repoRoot, 'node_modules/.bin/node');

beforeAll(installCrds);

test('serves health and metrics, logs JSON, and on SIGTERM releases the Lease and exits 0', async () => {
  const proc = spawn(
    node,
    [
      join(repoRoot, 'src/cli/operator.ts'),
      '--namespaces',
      ns(),
      '--leader-elect',
      '--leader-election-namespace',
      ns(),
      '--metrics-bind-address',
      '127.0.0.1:0',
      '--health-probe-bind-address',
      '127.0.0.1:0',
    ],
    {
      env: { ...process.env, POD_NAME: 'cli-test-pod' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  try {
    const started = await waitFor(
      () =>
        out
          .split('\n')
          .map((l) => (l.startsWith('{') ? JSON.parse(l) : {}))
          .find((l) => l.msg === 'started'),
      { what: 'started log line' },
    );
    const [port] = started.ports as number[];
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: await res.text() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: 'ok' });
    await waitFor(async () => (await get('/readyz')).status === 200, { what: 'ready' });
    await createTarget(ns(), 'cli-target', { schedule: '0 * * * *', suspend: true });
    await waitFor(async () => (await getTarget(ns(), 'cli-target')).status?.phase === 'Suspended', {
      what: 'the process reconciles',
    });
    const metrics = (await get('/metrics')).body;
    expect(metrics).toContain(
      `opencode_target_suspended{namespace="${ns()}",target="cli-target"} 1`,
    );
    expect(metrics).toContain('opencode_leader 1');
    expect(metrics).toMatch(
      /opencode_reconcile_total\{controller="target",result="(success|requeue)"\} \d+/,
    );
    const promtool = spawnSync('promtool', ['check', 'metrics'], {
      input: metrics,
      encoding: 'utf8',
    });
    expect(promtool.error).toBeUndefined(); // promtool comes with Debian's prometheus package (the global setup installs it when missing)
    expect({ code: promtool.status, out: promtool.stdout + promtool.stderr }).toEqual({
      code: 0,
      out: '',
    });

    const lease = await clients().coordination.readNamespacedLease({
      name: 'opencode-operator',
      namespace: ns(),
    });
    expect(lease.spec?.holderIdentity).toBe('cli-test-pod');
    for (const line of out.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    const after = await clients().coordination.readNamespacedLease({
      name: 'opencode-operator',
      namespace: ns(),
    });
    expect(after.spec?.holderIdentity).toBeUndefined();
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
});

test('--help documents every option and bad input is refused with a clear message', () => {
  const help = spawnSync(node, [join(repoRoot, 'src/cli/operator.ts'), '--help'], {
    encoding: 'utf8',
  });
  expect(help.status).toBe(0);
  for (const flag of [
    '--namespaces',
    '--leader-elect',
    '--runner-image',
    '--executor',
    '--metrics-bind-address',
    '--health-probe-bind-address',
    '--log-level',
  ])
    expect(help.stdout).toContain(flag);
  const bad = spawnSync(node, [join(repoRoot, 'src/cli/operator.ts'), '--executor', 'docker'], {
    encoding: 'utf8',
  });
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toContain("argument 'docker' is invalid");
  const file = join(tmpdir(), 'nope.kubeconfig');
  writeFileSync(file, 'not: [a kubeconfig');
  const cfg = spawnSync(node, [join(repoRoot, 'src/cli/operator.ts'), '--kubeconfig', file], {
    encoding: 'utf8',
  });
  expect(cfg.status).toBe(1);
  expect(cfg.stderr).toMatch(/^opencode-operator: /);
});
