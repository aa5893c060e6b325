// The operator's Prometheus metrics; their names are public API (dashboards
// and alerts use them). One instance per operator, with its own registry: no
// module-level state.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { SEVERITIES } from '../crds/index.ts';

const TARGET = ['namespace', 'target'] as const;

export class OperatorMetrics {
  readonly registry = new Registry();

  readonly runsTotal = new Counter({
    name: 'opencode_runs_total',
    help: 'Finished runs by result (succeeded, no_change, failed).',
    labelNames: [...TARGET, 'result'],
    registers: [this.registry],
  });
  readonly improvementsTotal = new Counter({
    name: 'opencode_improvements_total',
    help: 'Improvements committed, by type and priority.',
    labelNames: [...TARGET, 'type', 'priority'],
    registers: [this.registry],
  });
  readonly runDuration = new Histogram({
    name: 'opencode_run_duration_seconds',
    help: 'Run wall time, from start to completion.',
    labelNames: TARGET,
    buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
    registers: [this.registry],
  });
  readonly coverage = new Gauge({
    name: 'opencode_test_coverage_percent',
    help: 'Latest test coverage of the work branch.',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly qualityFindings = new Gauge({
    name: 'opencode_quality_findings',
    help: 'Findings of the extra checks (lint, type check) on the work branch at the latest run that measured them.',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly securityFindings = new Gauge({
    name: 'opencode_security_findings',
    help: 'Vulnerable dependencies of the work branch by advisory severity, from the latest run whose dependency scan completed.',
    labelNames: [...TARGET, 'severity'],
    registers: [this.registry],
  });
  readonly timeToMain = new Histogram({
    name: 'opencode_time_to_main_seconds',
    help: 'Time from improvement commit to merged in main.',
    labelNames: TARGET,
    buckets: [600, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400],
    registers: [this.registry],
  });
  readonly rollbacksTotal = new Counter({
    name: 'opencode_rollbacks_total',
    help: 'Rollbacks handled, by result.',
    labelNames: [...TARGET, 'result'],
    registers: [this.registry],
  });
  readonly autoReverts = new Counter({
    name: 'opencode_auto_reverts_total',
    help: 'Automatic reverts started because main turned red with a bot merge (self-heal).',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly notifications = new Counter({
    name: 'opencode_notifications_total',
    help: 'Webhook notification attempts by result: delivered, retried (an attempt failed, another follows), failed (given up).',
    labelNames: [...TARGET, 'webhook', 'result'],
    registers: [this.registry],
  });
  readonly suspended = new Gauge({
    name: 'opencode_target_suspended',
    help: '1 while the target is suspended.',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly circuitOpen = new Gauge({
    name: 'opencode_circuit_open',
    help: '1 while the target stopped itself after policy.maxConsecutiveFailures failed runs in a row.',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly approvalsWaiting = new Gauge({
    name: 'opencode_approvals_waiting',
    help: 'Pull requests waiting for a human to approve them (policy.requireApproval).',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly stalled = new Gauge({
    name: 'opencode_target_stalled',
    help: '1 while the target is Stalled (its spec cannot be acted on).',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly openPullRequests = new Gauge({
    name: 'opencode_open_pull_requests',
    help: 'Open pull requests by the bot.',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly consecutiveFailures = new Gauge({
    name: 'opencode_consecutive_failed_runs',
    help: 'Failed runs in a row, reset by a run that did not fail.',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'opencode_last_successful_run_timestamp_seconds',
    help: 'When the last run succeeded (unix seconds).',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly nextRun = new Gauge({
    name: 'opencode_next_run_timestamp_seconds',
    help: 'Next scheduled slot (unix seconds).',
    labelNames: TARGET,
    registers: [this.registry],
  });
  readonly scheduleLag = new Histogram({
    name: 'opencode_schedule_lag_seconds',
    help: 'Delay from the scheduled slot to the Job being created.',
    labelNames: TARGET,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly reconcileTotal = new Counter({
    name: 'opencode_reconcile_total',
    help: 'Reconciles by controller and result (success, error, requeue).',
    labelNames: ['controller', 'result'],
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'opencode_reconcile_duration_seconds',
    help: 'Reconcile duration by controller.',
    labelNames: ['controller'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'opencode_leader',
    help: '1 while this replica is the leader.',
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics !== false) {
      collectDefaultMetrics({
        register: this.registry,
        prefix: 'opencode_operator_',
        // The event-loop delay monitor wakes the process at this interval. At
        // prom-client's 10 ms it alone kept an idle operator at 0.8% of a core;
        // 100 ms costs 0.1% and still sees every stall worth a metric.
        eventLoopMonitoringPrecision: 100,
      });
      // prom-client names these gauges *_total, which Prometheus reserves for
      // counters (promtool check metrics refuses them): leave them out.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ]) {
        this.registry.removeSingleMetric(`opencode_operator_${name}`);
      }
    }
  }

  /** Targets deleted since the last sweep of the counters and histograms. */
  private readonly forgotten = new Set<string>();
  private sweepTimer: NodeJS.Timeout | undefined;

  /**
   * Drops every series of a deleted target, so dashboards do not show ghosts
   * and a fleet that churns does not grow the registry. Gauges go at once.
   * Counters and histograms carry more labels (result, type, webhook) whose
   * values are not all known here, so they are swept from what the registry
   * holds: once per second at most, for every target deleted meanwhile, which
   * keeps deleting N targets linear in the series (not N scans).
   */
  forgetTarget(namespace: string, target: string): void {
    const labels = { namespace, target };
    for (const m of [
      this.coverage,
      this.qualityFindings,
      this.suspended,
      this.circuitOpen,
      this.approvalsWaiting,
      this.stalled,
      this.openPullRequests,
      this.nextRun,
      this.consecutiveFailures,
      this.lastSuccess,
    ])
      m.remove(labels);
    for (const severity of SEVERITIES) this.securityFindings.remove({ ...labels, severity });
    this.forgotten.add(`${namespace}/${target}`);
    this.sweepTimer ??= setTimeout(() => void this.sweep(), SWEEP_DELAY_MS).unref();
  }

  /** Removes the counter and histogram series of the targets forgotten so far; resolves when done. */
  async sweep(): Promise<void> {
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    const gone = new Set(this.forgotten);
    this.forgotten.clear();
    if (!gone.size) return;
    for (const m of [
      this.runsTotal,
      this.improvementsTotal,
      this.runDuration,
      this.timeToMain,
      this.rollbacksTotal,
      this.autoReverts,
      this.notifications,
      this.scheduleLag,
    ] as (Counter<string> | Histogram<string>)[]) {
      const removed = new Set<string>();
      for (const { labels } of (await m.get()).values) {
        if (!gone.has(`${labels.namespace}/${labels.target}`)) continue;
        // A histogram reports each bucket with its `le`; the series is the rest.
        const { le: _bucket, ...series } = labels;
        const key = JSON.stringify(series);
        if (removed.has(key)) continue;
        removed.add(key);
        m.remove(series as Record<string, string>);
      }
    }
  }
}

const SWEEP_DELAY_MS = 1000;
