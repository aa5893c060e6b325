// The Grafana dashboard against a real Prometheus (Debian's `prometheus`)
// scraping a running operator that has done runs: the Manager with the local
// executor (runner processes instead of pods: this control plane has no
// kubelet) improving a repository on the GitHub double. Three scheduled runs
// (two style fixes, one README section) are merged to main, and a rollback
// reverts the first. Every panel's query, with Grafana's default variable
// values, must then return data, and the operator's /metrics must pass
// `promtool check metrics`.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { LABEL_COUNTED } from '../../src/controllers/accounting.ts';
import { LocalExecutor } from '../../src/controllers/local-executor.ts';
import { OSV_SCANNER_ENV } from '../../src/runner/security/osv.ts';
import { ensureOsvScanner } from '../../tools/osv-scanner/build.ts';
import { writeAdvisoryDb } from '../support/advisory-db.ts';
import { JOB_ENV } from '../../src/contracts/job-env.ts';
import { ManualClock } from '../../src/kube/clock.ts';
import type { Manager } from '../../src/operator/manager.ts';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { sandbox, type Sandbox } from '../runner/support.ts';
import { createDoubleTarget, doubleForgeFactory } from '../support/forge-target.ts';
import { freePort } from '../controlplane/controlplane.ts';
import { installCrds, kubectlOk, useNamespace } from '../support/kube.ts';
import {
  type LogBuffer,
  getTarget,
  listRuns,
  moveClock,
  startManager,
} from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';
import { CHART, run } from './support.ts';

const dashboard = JSON.parse(
  readFileSync(join(CHART, 'dashboards', 'opencode-operator.json'), 'utf8'),
);
const ns = useNamespace('dashboard');
const TOKEN = 'ghp_dashboardRunsToken0123456789abcd';
const TARGET = 'lib';
const dir = mkdtempSync(join(tmpdir(), 'opencode-prom-'));
let gh: GitHubDouble;
let sb: Sandbox;
let clock: ManualClock;
let manager: Manager | undefined;
let logs: LogBuffer;
let prometheus: ChildProcess | undefined;
let promUrl = '';
let metricsUrl = '';
const runNames: string[] = [];

async function query(expr: string): Promise<any> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return res.json();
}

/** How many scrapes of the operator Prometheus has made so far. */
async function scrapes(): Promise<number> {
  const s = await query('sum(count_over_time(up{job="opencode-operator"}[1h]))');
  return Number(s.data?.result[0]?.value[1] ?? 0);
}

async function startPrometheus(target: string): Promise<void> {
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global: {scrape_interval: 1s, evaluation_interval: 1s}',
      'scrape_configs:',
      '  - job_name: opencode-operator',
      `    static_configs: [{targets: ['${target}']}]`,
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
  await waitFor(async () => (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok, {
    timeoutMs: 30_000,
    what: 'Prometheus ready',
  });
  await waitFor(async () => (await scrapes()) >= 2, { timeoutMs: 30_000, what: 'two scrapes' });
}

let lastSlot = 0;
/** Moves the clock to the target's next slot and waits until that run is counted into it. */
async function scheduledRun(): Promise<any> {
  // The operator's answer, not our guess: it never schedules before the target's creation.
  const next = await waitFor(
    async () => {
      const at = (await getTarget(ns(), TARGET)).status?.nextScheduleTime;
      return at && Date.parse(at) > lastSlot ? Date.parse(at) : undefined;
    },
    { what: 'the next slot' },
  );
  lastSlot = next;
  const slot = new Date(next);
  await moveClock(manager!, clock, new Date(slot.getTime() + 1500));
  const name = `${TARGET}-${slot.getTime() / 60_000}`;
  const counted = await waitFor(
    async () =>
      (await listRuns(ns())).find(
        (r) => r.metadata.name === name && r.metadata.labels?.[LABEL_COUNTED] === 'true',
      ),
    { timeoutMs: 120_000, what: `run ${name} counted` },
  ).catch(async (err: Error) => {
    const runs = (await listRuns(ns())).map((r) => [r.metadata.name, r.metadata.labels, r.status]);
    throw new Error(
      `${err.message}\nruns: ${JSON.stringify(runs)}\nlogs: ${logs.text.slice(-6000)}`,
    );
  });
  runNames.push(name);
  return counted;
}

beforeAll(async () => {
  await installCrds();
  gh = await startGitHubDouble({ token: TOKEN });
  sb = sandbox('node-coverage');
  // The runner clones https://github.com/acme/lib.git; git's own URL rewriting,
  // in the one config file a deployer may give the runner, sends it to the
  // bare repository the double serves.
  const gitConfig = join(sb.root, 'runner.gitconfig');
  writeFileSync(
    gitConfig,
    `[url "file://${sb.bare}"]\n\tinsteadOf = https://github.com/acme/${TARGET}.git\n`,
  );

  clock = new ManualClock(new Date());
  const h = startManager({
    clock,
    namespaces: [ns()],
    httpAddresses: ['127.0.0.1:0'],
    forgeFactory: doubleForgeFactory(gh),
    // The dependency scan runs for real, offline, so the security panel has a series.
    executor: ({ api, logger }) =>
      new LocalExecutor({
        core: api.core,
        logger,
        env: {
          [JOB_ENV.gitConfig]: gitConfig,
          [OSV_SCANNER_ENV]: ensureOsvScanner(),
          [JOB_ENV.advisoryDb]: writeAdvisoryDb(join(sb.root, 'advisory-db')),
        },
      }),
  });
  manager = h.manager;
  logs = h.logs;
  await h.started;
  metricsUrl = `http://127.0.0.1:${manager.httpPorts[0]}/metrics`;
  await startPrometheus(`127.0.0.1:${manager.httpPorts[0]}`);

  await createDoubleTarget(gh, {
    namespace: ns(),
    name: TARGET,
    token: TOKEN,
    repo: { bareRepoPath: sb.bare, allowAutoMerge: true },
    spec: {
      schedule: '* * * * *',
      model: { provider: 'builtin' },
      autoMerge: true,
      mergeMethod: 'merge',
      // No CI reports to the double: the gate merges without waiting for one.
      merge: { checkGracePeriod: '0', requireChecks: false },
      // One file per run: the two files with trailing blanks take a run each.
      policy: { maxFilesChanged: 1 },
      // A real check (a syntax check of every script), so the quality panel has a series.
      tests: {
        extraChecks: [
          {
            name: 'syntax',
            command: "find . -name '*.js' -not -path './node_modules/*' -exec node --check {} +",
          },
        ],
      },
      successfulRunsHistoryLimit: 5,
    },
  });
  for (let i = 0; i < 3; i++) await scheduledRun();
  await kubectlOk([
    'patch',
    '-n',
    ns(),
    'it',
    TARGET,
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { rollback: { id: 'undo-1', run: runNames[0] } } }),
  ]);
  await waitFor(
    async () => (await getTarget(ns(), TARGET)).status?.rollback?.lastHandledId === 'undo-1',
    { timeoutMs: 120_000, what: 'rollback handled' },
  );
  // Scrapes after the last change, so increase() sees it.
  const seen = await scrapes();
  await waitFor(async () => (await scrapes()) >= seen + 3, { timeoutMs: 30_000, what: 'scrapes' });
}, 600_000);

afterAll(async () => {
  await manager?.stop();
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus!.once('exit', r));
    prometheus.kill('SIGTERM');
    await exited;
  }
  await gh?.close();
  sb?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Grafana's variables as a user first sees them: All, All, and the default window (1d). */
function substitute(expr: string): string {
  const window = dashboard.templating.list.find((v: any) => v.name === 'window').current.value;
  return expr
    .replaceAll('$namespace', '.*')
    .replaceAll('$target', '.*')
    .replaceAll('$window', window)
    .replaceAll('$__rate_interval', '1m');
}

const panels: { title: string; targets: { expr: string }[] }[] = dashboard.panels;
const panelQueries = panels.flatMap((p) => p.targets.map((t) => [p.title, t.expr] as const));

describe('dashboard on a running operator that has done runs', () => {
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
      'Circuit breaker open (stopped after repeated failures)',
      'Automatic reverts (main turned red)',
      'Pull requests waiting for approval',
      'Quality findings per target',
      'Vulnerable dependencies by severity',
    ])
      expect(titles).toContain(want);
    expect(dashboard.uid).toBe('opencode-operator');
  });

  test('the runs happened: merged to main, then one rolled back', async () => {
    const runs = await listRuns(ns());
    const byName = new Map(runs.map((r) => [r.metadata.name, r]));
    expect(runNames.map((n) => byName.get(n)?.status?.phase)).toEqual([
      'Succeeded',
      'Succeeded',
      'Succeeded',
    ]);
    expect(runNames.map((n) => byName.get(n)?.status?.improvement?.type)).toEqual([
      'style',
      'style',
      'documentation',
    ]);
    // Three improvement PRs merged; the revert of the first waits for a human.
    expect(gh.pulls('acme', TARGET).map((p) => [p.merged, p.title.startsWith('Revert')])).toEqual([
      [true, false],
      [true, false],
      [true, false],
      [false, true],
    ]);
    expect((await getTarget(ns(), TARGET)).status.rollback).toMatchObject({ result: 'Succeeded' });
    // One runner per run: each improvement recorded once, the first one reverted.
    const log = sb.show('develop', '.opencode/IMPROVEMENTS.md') ?? '';
    for (const name of runNames) expect(log.split(`**Run**: ${name}\n`)).toHaveLength(2);
    expect(log).toMatch(new RegExp(`\\*\\*Run\\*\\*: ${runNames[0]}\\n- \\*\\*Reverted\\*\\*`));
    expect(gh.violations).toEqual([]);
  });

  test("the operator's /metrics passes promtool check metrics", async () => {
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toContain('# TYPE opencode_runs_total counter');
    expect(text).toContain('opencode_operator_process_cpu_seconds_total');
    const r = await run('promtool', ['check', 'metrics'], text);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test.each(panelQueries)('panel "%s": %s returns data', async (_title, expr) => {
    const r = await query(substitute(expr));
    expect(r.status).toBe('success');
    expect(r.data.result.length).toBeGreaterThan(0);
    for (const s of r.data.result) expect(Number.isNaN(Number(s.value[1]))).toBe(false);
  });

  test('the panels show what the runs did', async () => {
    const byType = await query(
      substitute(panels.find((p) => p.title === 'Improvements per week by type')!.targets[0]!.expr),
    );
    const types = Object.fromEntries(
      byType.data.result.map((s: any) => [s.metric.type, Number(s.value[1])]),
    );
    expect(Object.keys(types).sort()).toEqual(['documentation', 'style']);
    expect(types.style).toBeGreaterThan(0);
    const coverage = await query(`opencode_test_coverage_percent{namespace="${ns()}"}`);
    const pct = Number(coverage.data.result[0].value[1]);
    expect(pct).toBeGreaterThan(50);
    expect(pct).toBeLessThan(100);
    const succeeded = await query(
      `sum(opencode_runs_total{namespace="${ns()}", result="succeeded"})`,
    );
    expect(Number(succeeded.data.result[0].value[1])).toBeGreaterThanOrEqual(4);
    // The repository pins no dependency: the scan completed and found nothing, per severity.
    const security = await query(
      substitute(
        panels.find((p) => p.title === 'Vulnerable dependencies by severity')!.targets[0]!.expr,
      ),
    );
    expect(
      Object.fromEntries(security.data.result.map((s: any) => [s.metric.severity, s.value[1]])),
    ).toEqual({ critical: '0', high: '0', medium: '0', low: '0', unknown: '0' });
  });

  test('the namespace and target variables list the target', async () => {
    const values = await fetch(
      `${promUrl}/api/v1/label/target/values?match[]=opencode_target_suspended`,
    ).then((r) => r.json() as Promise<any>);
    expect(values.data).toEqual([TARGET]);
  });
});
