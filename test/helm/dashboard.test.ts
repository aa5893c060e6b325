// The Grafana dashboard's queries against a real Prometheus (Debian's
// `prometheus`) scraping a /metrics endpoint that exports the metric contract
// of shared/api.md (names, types, labels namespace/target) and moves like an
// operator doing runs. Every panel's query must be valid PromQL and return
// data; the exposition itself must pass `promtool check metrics`.
//
// The endpoint is a stand-in built from the documented contract with
// prom-client, the library the operator uses: the operator's own /metrics
// is not written yet (see the report); swap it in when src/metrics exists.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHART, run } from './support.ts';

const dashboard = JSON.parse(
  readFileSync(join(CHART, 'dashboards', 'opencode-operator.json'), 'utf8'),
);
const dir = mkdtempSync(join(tmpdir(), 'opencode-prom-'));
let exporter: Server | undefined;
let prometheus: ChildProcess | undefined;
let promUrl = '';
let exporterUrl = '';

/** The documented metrics, moved a little on every scrape as runs would. */
function contractRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const l = ['namespace', 'target'] as const;
  const runs = new Counter({
    name: 'opencode_runs_total',
    help: 'finished runs',
    labelNames: [...l, 'result'],
    registers: [registry],
  });
  const improvements = new Counter({
    name: 'opencode_improvements_total',
    help: 'improvements committed',
    labelNames: [...l, 'type', 'priority'],
    registers: [registry],
  });
  const rollbacks = new Counter({
    name: 'opencode_rollbacks_total',
    help: 'rollbacks handled',
    labelNames: [...l, 'result'],
    registers: [registry],
  });
  const reconciles = new Counter({
    name: 'opencode_reconcile_total',
    help: 'reconciles',
    labelNames: ['result'],
    registers: [registry],
  });
  const hist = (name: string, help: string, buckets: number[], labels: readonly string[] = l) =>
    new Histogram({ name, help, labelNames: [...labels], buckets, registers: [registry] });
  const duration = hist(
    'opencode_run_duration_seconds',
    'run wall time',
    [30, 60, 120, 300, 600, 1200, 1800, 3600],
  );
  const toMain = hist(
    'opencode_time_to_main_seconds',
    'commit to main',
    [60, 300, 900, 3600, 14400, 43200, 86400, 259200],
  );
  const lag = hist('opencode_schedule_lag_seconds', 'slot to Job', [0.5, 1, 5, 15, 60, 300, 600]);
  const reconcileDuration = hist(
    'opencode_reconcile_duration_seconds',
    'reconcile time',
    [0.005, 0.01, 0.05, 0.1, 0.5, 1],
    [],
  );
  const gauge = (name: string, help: string, labels: readonly string[] = l) =>
    new Gauge({ name, help, labelNames: [...labels], registers: [registry] });
  const coverage = gauge('opencode_test_coverage_percent', 'coverage');
  const suspended = gauge('opencode_target_suspended', 'suspended');
  const stalled = gauge('opencode_target_stalled', 'stalled');
  const openPrs = gauge('opencode_open_pull_requests', 'open PRs');
  const nextRun = gauge('opencode_next_run_timestamp_seconds', 'next slot');
  const leader = gauge('opencode_leader', 'leader', []);
  leader.set(1);
  const targets = [
    { namespace: 'team-a', target: 'api-server' },
    { namespace: 'team-b', target: 'web' },
  ];
  let tick = 0;
  const move = () => {
    tick++;
    for (const [i, t] of targets.entries()) {
      runs.inc({ ...t, result: tick % 3 === 0 ? 'failed' : 'succeeded' });
      runs.inc({ ...t, result: 'no_change' }, 0);
      improvements.inc({ ...t, type: i ? 'documentation' : 'tests', priority: i ? 'P3' : 'P2' });
      rollbacks.inc({ ...t, result: 'succeeded' });
      duration.observe(t, 100 + 40 * ((tick + i) % 5));
      toMain.observe(t, 600 * (1 + ((tick + i) % 7)));
      lag.observe(t, 0.2 * (1 + (tick % 4)));
      coverage.set(t, 60 + i * 10 + tick * 0.1);
      suspended.set(t, i);
      stalled.set(t, 0);
      openPrs.set(t, 1 - i);
      nextRun.set(t, Math.floor(Date.now() / 1000) + 3600);
    }
    reconciles.inc({ result: 'success' });
    reconcileDuration.observe(0.02);
  };
  return Object.assign(registry, { move });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function query(expr: string): Promise<any> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return res.json();
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  const registry = contractRegistry() as Registry & { move: () => void };
  registry.move();
  exporter = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    registry.move();
    void registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType }).end(text);
    });
  });
  await new Promise<void>((r) => exporter!.listen(0, '127.0.0.1', r));
  exporterUrl = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;

  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: {scrape_interval: 1s, evaluation_interval: 1s}',
      'scrape_configs:',
      '  - job_name: opencode-operator-metrics',
      `    static_configs: [{targets: ['${exporterUrl}']}]`,
      '',
    ].join('\n'),
  );
  prometheus = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  await waitFor(async () => (await fetch(`${promUrl}/-/ready`)).ok, 30_000, 'Prometheus ready');
  // Enough scrapes for increase()/rate() over a 1m window to have two samples.
  await waitFor(
    async () => {
      const r = await query('count_over_time(up{job="opencode-operator-metrics"}[1m])');
      return Number(r.data.result[0]?.value[1] ?? 0) >= 5;
    },
    30_000,
    'five scrapes',
  );
}, 60_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await new Promise((r) => (exporter ? exporter.close(r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
});

/** Grafana's variables replaced as Grafana would with "All" and a 1m window. */
function substitute(expr: string): string {
  return expr
    .replaceAll('$namespace', '.*')
    .replaceAll('$target', '.*')
    .replaceAll('$window', '1m')
    .replaceAll('$__rate_interval', '1m');
}

const panels: { title: string; targets: { expr: string }[] }[] = dashboard.panels;
const panelQueries = panels.flatMap((p) => p.targets.map((t) => [p.title, t.expr] as const));

describe('dashboard', () => {
  test('has the panels the platform team asked for, each with the sidecar-ready uid', () => {
    const titles = panels.map((p) => p.title);
    for (const want of [
      'Improvements per week by type',
      'Test coverage per target',
      'Runs succeeded vs failed',
      'Time to main (p50, p90)',
      'Run duration (p50, p90)',
      'Schedule lag (p50, p90)',
      'Targets suspended',
      'Open pull requests',
    ])
      expect(titles).toContain(want);
    expect(dashboard.uid).toBe('opencode-operator');
  });

  test('the opencode_ families of the exposition pass promtool check metrics', async () => {
    const text = await (await fetch(`http://${exporterUrl}/metrics`)).text();
    // Only our families: prom-client's default nodejs_active_*_total gauges
    // fail promtool's lint on their own (see the report).
    const ours = text
      .split('\n')
      .filter((line) => /^(# (HELP|TYPE) )?opencode_/.test(line))
      .join('\n');
    expect(ours).toContain('# TYPE opencode_runs_total counter');
    const r = await run('promtool', ['check', 'metrics'], `${ours}\n`);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test.each(panelQueries)('panel "%s": %s returns data', async (_title, expr) => {
    const r = await query(substitute(expr));
    expect(r.status).toBe('success');
    expect(r.data.result.length).toBeGreaterThan(0);
    for (const s of r.data.result) expect(Number.isNaN(Number(s.value[1]))).toBe(false);
  });

  test('the namespace and target variables list the targets', async () => {
    const ns = await fetch(
      `${promUrl}/api/v1/label/namespace/values?match[]=opencode_target_suspended`,
    ).then((r) => r.json() as Promise<any>);
    expect(ns.data).toEqual(['team-a', 'team-b']);
  });
});
