// Reconciles one ImprovementTarget as a short list of named steps sharing
// one context, followed by one status write (Flux's shape): validate the
// spec, count finished runs, prune history, honour a run-now request, run
// the schedule, then summarise into phase, conditions and metrics.
import {
  ANNOTATION_RUN_REQUESTED_AT,
  API_VERSION,
  LABEL_TARGET,
  RUN,
  type ImprovementTargetStatus,
} from '../crds/index.ts';
import { isAlreadyExists, isConflict, isNotFound, type KubeApi } from '../kube/api.ts';
import type { Clock } from '../kube/clock.ts';
import type { Recorder } from '../kube/events.ts';
import type { Reflector } from '../kube/reflector.ts';
import type { OperatorMetrics } from '../metrics/metrics.ts';
import { requestedRunName, scheduledRunName } from '../scheduling/run-name.ts';
import {
  decide,
  isScheduleError,
  parseSchedule,
  type ParsedSchedule,
} from '../scheduling/schedule.ts';
import type { Logger } from '../util/logger.ts';
import { account, LABEL_COUNTED, runsToPrune } from './accounting.ts';
import { CONDITION, REASON, setCondition } from './conditions.ts';
import type { WorkResult } from './queue.ts';
import { isTerminal, type ImprovementRun, type ImprovementTarget } from './types.ts';

export interface TargetReconcilerDeps {
  api: KubeApi;
  targets: Reflector<ImprovementTarget>;
  runs: Reflector<ImprovementRun>;
  clock: Clock;
  metrics: OperatorMetrics;
  recorder: Recorder;
  logger: Logger;
}

interface Ctx {
  target: ImprovementTarget;
  prior: ImprovementTargetStatus | undefined;
  status: ImprovementTargetStatus;
  now: Date;
  runs: ImprovementRun[];
  schedule?: ParsedSchedule;
  stalled?: { reason: string; message: string };
  newlyCounted: ImprovementRun[];
  requeueMs: number[];
}

type Step = (ctx: Ctx) => Promise<void>;

/** Secrets are not watched (the operator may only get them): re-check a missing one on this period. */
const SECRET_RECHECK_MS = 30_000;

export class TargetReconciler {
  private readonly d: TargetReconcilerDeps;
  private readonly steps: Array<[string, Step]>;

  constructor(deps: TargetReconcilerDeps) {
    this.d = deps;
    this.steps = [
      ['validate', (c) => this.validate(c)],
      ['account', (c) => this.accountRuns(c)],
      ['prune', (c) => this.prune(c)],
      ['runRequest', (c) => this.runRequest(c)],
      ['schedule', (c) => this.schedule(c)],
      ['summarise', (c) => this.summarise(c)],
    ];
  }

  async reconcile(namespace: string, name: string): Promise<WorkResult> {
    const target = this.d.targets.get(`${namespace}/${name}`);
    if (!target || target.metadata.deletionTimestamp) {
      this.d.metrics.forgetTarget(namespace, name);
      return;
    }
    const ctx: Ctx = {
      target,
      prior: target.status,
      status: structuredClone(target.status ?? {}),
      now: this.d.clock.now(),
      runs: this.d.runs.list(
        (r) => r.metadata.namespace === namespace && r.spec.targetRef.name === name,
      ),
      newlyCounted: [],
      requeueMs: [],
    };
    for (const [, step] of this.steps) await step(ctx);
    await this.writeStatus(ctx);
    await this.afterCounted(ctx);
    const next = ctx.requeueMs.filter((ms) => ms >= 0);
    return next.length ? { requeueAfterMs: Math.min(...next) } : undefined;
  }

  private async validate(ctx: Ctx): Promise<void> {
    const { spec, metadata } = ctx.target;
    const parsed = parseSchedule(spec.schedule, spec.timeZone ?? 'Etc/UTC');
    if (isScheduleError(parsed)) {
      ctx.stalled = { reason: parsed.reason, message: `spec.${parsed.field}: ${parsed.message}` };
      return;
    }
    ctx.schedule = parsed;
    const refs = [
      ['spec.repository.credentialsSecretRef', spec.repository.credentialsSecretRef],
      ['spec.model.apiKeySecretRef', spec.model?.apiKeySecretRef],
    ] as const;
    for (const [field, ref] of refs) {
      if (!ref) continue;
      try {
        const secret = await this.d.api.core.readNamespacedSecret({
          name: ref.name,
          namespace: metadata.namespace!,
        });
        if (!secret.data?.[ref.key] && !secret.stringData?.[ref.key]) {
          ctx.stalled = {
            reason: REASON.SecretKeyNotFound,
            message: `${field}: Secret ${ref.name} has no key "${ref.key}"; add it or change ${field}.key`,
          };
        }
      } catch (err) {
        if (!isNotFound(err)) throw err;
        ctx.stalled = {
          reason: REASON.SecretNotFound,
          message: `${field}: Secret ${ref.name} not found in namespace ${metadata.namespace}; create it or fix ${field}.name`,
        };
      }
      if (ctx.stalled) {
        ctx.requeueMs.push(SECRET_RECHECK_MS);
        return;
      }
    }
  }

  private async accountRuns(ctx: Ctx): Promise<void> {
    const res = account(ctx.status, ctx.runs);
    ctx.status = res.status;
    ctx.newlyCounted = res.newlyCounted;
  }

  private async prune(ctx: Ctx): Promise<void> {
    const { spec, metadata } = ctx.target;
    const victims = runsToPrune(ctx.runs, ctx.prior, {
      successful: spec.successfulRunsHistoryLimit ?? 3,
      failed: spec.failedRunsHistoryLimit ?? 3,
    });
    for (const run of victims) {
      await this.d.api
        .deleteCustom('improvementruns', metadata.namespace!, run.metadata.name)
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
    }
  }

  private active(ctx: Ctx): ImprovementRun[] {
    return ctx.runs.filter((r) => !isTerminal(r) && !r.metadata.deletionTimestamp);
  }

  /** Makes room for a new run under the concurrency policy; false means wait. */
  private async makeRoom(ctx: Ctx, why: string): Promise<boolean> {
    const active = this.active(ctx);
    if (!active.length) return true;
    if (ctx.target.spec.concurrencyPolicy !== 'Replace') return false;
    for (const run of active) {
      await this.d.api
        .deleteCustom('improvementruns', run.metadata.namespace!, run.metadata.name)
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      void this.d.recorder.event(
        ctx.target,
        'Normal',
        REASON.RunReplaced,
        `deleted active run ${run.metadata.name} to make room for ${why} (concurrencyPolicy Replace)`,
      );
    }
    ctx.runs = ctx.runs.filter((r) => !active.includes(r));
    return true;
  }

  private async runRequest(ctx: Ctx): Promise<void> {
    const requested = ctx.target.metadata.annotations?.[ANNOTATION_RUN_REQUESTED_AT];
    if (!requested || requested === ctx.status.lastHandledRunRequest || ctx.stalled) return;
    if (!(await this.makeRoom(ctx, 'a requested run'))) return; // handled when the active run ends
    const name = requestedRunName(ctx.target.metadata.name, 'manual', requested);
    await this.createRun(ctx, name, {
      trigger: 'manual',
      scheduledTime: ctx.now.toISOString(),
      runRequest: requested,
    });
    ctx.status.lastHandledRunRequest = requested;
    void this.d.recorder.event(
      ctx.target,
      'Normal',
      REASON.RunRequested,
      `created run ${name} for request ${JSON.stringify(requested)}`,
    );
  }

  private async schedule(ctx: Ctx): Promise<void> {
    const { spec, metadata } = ctx.target;
    if (!ctx.schedule || ctx.stalled) return;
    const labels = { namespace: metadata.namespace!, target: metadata.name };
    if (spec.suspend) {
      delete ctx.status.nextScheduleTime;
      this.d.metrics.nextRun.remove(labels);
      return;
    }
    const lastScheduleTime = ctx.status.lastScheduleTime
      ? new Date(ctx.status.lastScheduleTime)
      : undefined;
    const createdAt = new Date(metadata.creationTimestamp ?? ctx.now);
    const d = decide({
      schedule: ctx.schedule,
      now: ctx.now,
      lastScheduleTime,
      createdAt,
      startingDeadlineSeconds: spec.startingDeadlineSeconds ?? 600,
    });
    if (d.kind === 'missed') {
      void this.d.recorder.event(
        ctx.target,
        'Warning',
        REASON.MissedSchedule,
        `missed the slot ${d.slot.toISOString()} by ${d.lateBySeconds}s, more than startingDeadlineSeconds (${spec.startingDeadlineSeconds}); skipped it`,
      );
    } else if (d.kind === 'run') {
      const name = scheduledRunName(metadata.name, d.slot);
      const already = ctx.runs.some((r) => r.metadata.name === name);
      if (!already && !(await this.makeRoom(ctx, `slot ${d.slot.toISOString()}`))) {
        const blocking = this.active(ctx)
          .map((r) => r.metadata.name)
          .join(', ');
        void this.d.recorder.event(
          ctx.target,
          'Normal',
          REASON.RunSkipped,
          `slot ${d.slot.toISOString()} waits: run ${blocking} is still active (concurrencyPolicy Forbid)`,
        );
        // Re-evaluated when the active run ends; the slot still runs if that is within the deadline.
      } else {
        if (!already)
          await this.createRun(ctx, name, {
            trigger: 'schedule',
            scheduledTime: d.slot.toISOString(),
          });
        ctx.status.lastScheduleTime = d.slot.toISOString();
      }
    }
    if (d.next) {
      ctx.status.nextScheduleTime = d.next.toISOString();
      this.d.metrics.nextRun.set(labels, d.next.getTime() / 1000);
      ctx.requeueMs.push(d.next.getTime() - ctx.now.getTime() + 50);
    }
  }

  private async createRun(ctx: Ctx, name: string, spec: Record<string, unknown>): Promise<void> {
    const { metadata } = ctx.target;
    const body = {
      apiVersion: API_VERSION,
      kind: RUN.kind,
      metadata: {
        name,
        namespace: metadata.namespace,
        labels: { [LABEL_TARGET]: metadata.name },
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'ImprovementTarget',
            name: metadata.name,
            uid: metadata.uid!,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { targetRef: { name: metadata.name }, ...spec },
    };
    try {
      const created = await this.d.api.createCustom<ImprovementRun>(
        'improvementruns',
        metadata.namespace!,
        body,
      );
      ctx.runs.push(created);
      void this.d.recorder.event(
        ctx.target,
        'Normal',
        REASON.RunCreated,
        `created run ${name} (${String(spec.trigger)})`,
      );
    } catch (err) {
      // AlreadyExists is the lock: another replica or an earlier attempt made it.
      if (!isAlreadyExists(err)) throw err;
    }
  }

  private async summarise(ctx: Ctx): Promise<void> {
    const { target, status, now } = ctx;
    const gen = target.metadata.generation;
    const labels = { namespace: target.metadata.namespace!, target: target.metadata.name };
    const active = this.active(ctx)
      .map((r) => r.metadata.name)
      .sort();
    status.activeRuns = active.slice(0, 16);
    if (!active.length) delete status.activeRuns;
    let c = status.conditions;
    if (ctx.stalled) {
      c = setCondition(c, { type: CONDITION.Stalled, status: 'True', ...ctx.stalled }, now, gen);
      c = setCondition(c, { type: CONDITION.Ready, status: 'False', ...ctx.stalled }, now, gen);
      if (
        ctx.prior?.conditions?.find((x) => x.type === CONDITION.Stalled)?.message !==
        ctx.stalled.message
      ) {
        void this.d.recorder.event(target, 'Warning', ctx.stalled.reason, ctx.stalled.message);
      }
    } else {
      c = setCondition(c, { type: CONDITION.Stalled, reason: '', message: '' }, now);
      c = target.spec.suspend
        ? setCondition(
            c,
            {
              type: CONDITION.Ready,
              status: 'True',
              reason: REASON.Suspended,
              message: 'suspended: no new scheduled runs (spec.suspend)',
            },
            now,
            gen,
          )
        : setCondition(
            c,
            {
              type: CONDITION.Ready,
              status: 'True',
              reason: REASON.Scheduled,
              message: status.nextScheduleTime
                ? `next run ${status.nextScheduleTime}`
                : 'no upcoming slot',
            },
            now,
            gen,
          );
    }
    c = setCondition(
      c,
      active.length
        ? {
            type: CONDITION.Running,
            status: 'True',
            reason: REASON.RunActive,
            message: `active: ${active.join(', ')}`,
          }
        : {
            type: CONDITION.Running,
            status: 'False',
            reason: REASON.Idle,
            message: 'no run is active',
          },
      now,
      gen,
    );
    status.conditions = c;
    status.phase = ctx.stalled
      ? 'Stalled'
      : active.length
        ? 'Running'
        : target.spec.suspend
          ? 'Suspended'
          : 'Idle';
    status.observedGeneration = gen;
    this.d.metrics.suspended.set(labels, target.spec.suspend ? 1 : 0);
    this.d.metrics.stalled.set(labels, ctx.stalled ? 1 : 0);
    this.d.metrics.consecutiveFailures.set(labels, status.consecutiveFailures ?? 0);
    if (status.coverage?.current !== undefined)
      this.d.metrics.coverage.set(labels, status.coverage.current);
    if (status.lastSuccessfulTime)
      this.d.metrics.lastSuccess.set(labels, Date.parse(status.lastSuccessfulTime) / 1000);
    if (status.openPullRequests !== undefined)
      this.d.metrics.openPullRequests.set(labels, status.openPullRequests);
  }

  private async writeStatus(ctx: Ctx): Promise<void> {
    if (JSON.stringify(ctx.status) === JSON.stringify(ctx.prior ?? {})) return;
    try {
      await this.d.api.replaceStatus('improvementtargets', { ...ctx.target, status: ctx.status });
    } catch (err) {
      if (isConflict(err)) ctx.newlyCounted = []; // stale cache: the next reconcile redoes it all
      throw err;
    }
  }

  /** After the counts are saved: label the runs, emit their Events and metrics. */
  private async afterCounted(ctx: Ctx): Promise<void> {
    const labels = { namespace: ctx.target.metadata.namespace!, target: ctx.target.metadata.name };
    for (const run of ctx.newlyCounted) {
      const s = run.status!;
      await this.d.api
        .patchCustom('improvementruns', run.metadata.namespace!, run.metadata.name, {
          metadata: { labels: { [LABEL_COUNTED]: 'true' } },
        })
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      const result =
        s.phase === 'Succeeded' ? 'succeeded' : s.phase === 'NoChange' ? 'no_change' : 'failed';
      this.d.metrics.runsTotal.inc({ ...labels, result });
      if (s.phase === 'Succeeded' && s.improvement)
        this.d.metrics.improvementsTotal.inc({
          ...labels,
          type: s.improvement.type,
          priority: s.improvement.priority,
        });
      if (s.startTime && s.completionTime)
        this.d.metrics.runDuration.observe(
          labels,
          Math.max(0, (Date.parse(s.completionTime) - Date.parse(s.startTime)) / 1000),
        );
      const reason =
        s.phase === 'Succeeded'
          ? REASON.RunSucceeded
          : s.phase === 'NoChange'
            ? REASON.RunNoChange
            : REASON.RunFailed;
      const detail = s.failure
        ? `${s.failure.reason}: ${s.failure.message}`
        : s.improvement
          ? `${s.improvement.priority} ${s.improvement.type}: ${s.improvement.title}`
          : (s.phase ?? '');
      void this.d.recorder.event(
        ctx.target,
        s.phase === 'Failed' ? 'Warning' : 'Normal',
        reason,
        `run ${run.metadata.name}: ${detail}`,
      );
    }
  }
}
