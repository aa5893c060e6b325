// Reconciles one ImprovementTarget as a short list of named steps sharing
// one context, followed by one status write (Flux's shape): validate the
// spec, count finished runs, prune history, honour a run-now request, run
// the schedule, then summarise into phase, conditions and metrics.
import { isDeepStrictEqual } from 'node:util';
import {
  ANNOTATION_CIRCUIT_RESET,
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
  ScheduleCache,
  type ParsedSchedule,
} from '../scheduling/schedule.ts';
import type { Logger } from '../util/logger.ts';
import { RetryableError } from '../util/errors.ts';
import { account, LABEL_COUNTED, LABEL_MERGE_COUNTED, runsToPrune } from './accounting.ts';
import { nextCircuit } from './circuit-breaker.ts';
import { LABEL_AUTO_REVERT, mayAutoRevert } from './self-heal.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { Notification, NotifyEvent } from '../notify/payload.ts';
import {
  ForgeChecks,
  parseInterval,
  type ForgeCheckResult,
  type ForgeObservation,
} from './forge-checks.ts';
import { CONDITION, REASON, setCondition } from './conditions.ts';
import { PREPARE_MS, SecretChecks } from './secret-checks.ts';
import type { WorkResult } from './queue.ts';
import { isTerminal, type ImprovementRun, type ImprovementTarget } from './types.ts';

export interface TargetReconcilerDeps {
  api: KubeApi;
  /** Forge checks (priority issues, merges); absent: none are made. */
  forge?: ForgeChecks;
  /** Webhook notifications (spec.notify); absent: none are sent. */
  notifier?: Notifier;
  /** Targets a webhook asked to check their forge now (namespace/name). */
  forgePokes?: Set<string>;
  /** Called when a forge check started by this reconciler has finished (enqueue the target). */
  onForgeCheckDone?: (namespace: string, name: string) => void;
  /** Starts a run's execution right after creating it, saving a watch round trip on the way to the Job. */
  launch?: (target: ImprovementTarget, run: ImprovementRun) => Promise<void>;
  targets: Reflector<ImprovementTarget>;
  runs: Reflector<ImprovementRun>;
  /**
   * True while other reconciles wait in the queue's high lane. A reconcile
   * that only started a scheduled run then defers its status write until
   * they are done: in a burst (many targets on one slot) every Job is
   * created before the bookkeeping, whose loss is harmless (the run name is
   * the lock, and the next pass writes the same status).
   */
  othersWaiting?: () => boolean;
  clock: Clock;
  metrics: OperatorMetrics;
  recorder: Recorder;
  logger: Logger;
}

export interface Ctx {
  target: ImprovementTarget;
  prior: ImprovementTargetStatus | undefined;
  status: ImprovementTargetStatus;
  now: Date;
  runs: ImprovementRun[];
  schedule?: ParsedSchedule;
  stalled?: { reason: string; message: string };
  newlyCounted: ImprovementRun[];
  newlyMerged: ImprovementRun[];
  requeueMs: number[];
  /** This pass created a scheduled run (its status write may be deferred in a burst). */
  startedSlot?: boolean;
  /** This pass did something whose record must be written now (requests, rollbacks, forge results). */
  mustWrite?: boolean;
  /** Sent once the status that records their facts is written. */
  notifications: Notification[];
}

type Step = (ctx: Ctx) => Promise<void>;

/**
 * A slot's pass is timed this long after the slot: Node's timers can fire a
 * few ms early against the wall clock, and a pass that comes too early only
 * waits again for the same slot. (The CronJob controller waits 100 ms.)
 */
const SLOT_MARGIN_MS = 5;

/** Secrets are not watched (the operator may only get them): re-check a missing one on this period. */
const SECRET_RECHECK_MS = 30_000;

export class TargetReconciler {
  private readonly d: TargetReconcilerDeps;
  private readonly steps: Array<[string, Step]>;
  private readonly schedules = new ScheduleCache();
  private readonly secrets: SecretChecks;
  /** Targets whose last pass deferred its status write: the next pass writes, whatever the queue. */
  private readonly deferred = new Set<string>();
  /** When the merge gate asked to look at a target's forge again (ms), sooner than its interval. */
  private readonly forgeRecheck = new Map<string, number>();

  constructor(deps: TargetReconcilerDeps) {
    this.d = deps;
    this.secrets = new SecretChecks(deps.api);
    this.steps = [
      ['validate', (c) => this.validate(c)],
      ['account', (c) => this.accountRuns(c)],
      ['circuit', (c) => this.circuitBreaker(c)],
      ['prune', (c) => this.prune(c)],
      ['runRequest', (c) => this.runRequest(c)],
      ['rollback', (c) => this.rollback(c)],
      ['schedule', (c) => this.schedule(c)],
      ['forge', (c) => this.forgeCheck(c)],
      ['summarise', (c) => this.summarise(c)],
    ];
  }

  async reconcile(namespace: string, name: string): Promise<WorkResult> {
    const target = this.d.targets.get(`${namespace}/${name}`);
    if (!target || target.metadata.deletionTimestamp) {
      this.d.metrics.forgetTarget(namespace, name);
      this.deferred.delete(`${namespace}/${name}`);
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
      newlyMerged: [],
      requeueMs: [],
      notifications: [],
    };
    const timings: Record<string, number> = {};
    const timed = async (label: string, fn: () => Promise<void>) => {
      const t0 = performance.now();
      await fn();
      timings[label] = Math.round(performance.now() - t0);
    };
    for (const [label, step] of this.steps) await timed(label, () => step(ctx));
    const key = `${namespace}/${name}`;
    if (this.deferred.delete(key) || !this.mayDefer(ctx)) {
      await timed('writeStatus', () => this.writeStatus(ctx));
    } else {
      this.deferred.add(key);
      this.d.logger.debug({ target: key, ms: timings }, 'started a slot; status write deferred');
      return { deferred: true };
    }
    await timed('afterCounted', () => this.afterCounted(ctx));
    if (ctx.notifications.length) this.d.notifier?.notify(ctx.target, ctx.notifications);
    this.d.logger.debug({ target: key, ms: timings }, 'reconciled target');
    const next = ctx.requeueMs.filter((ms) => ms >= 0);
    return next.length ? { requeueAfterMs: Math.min(...next) } : undefined;
  }

  private mayDefer(ctx: Ctx): boolean {
    return (
      !!ctx.startedSlot &&
      !ctx.mustWrite &&
      !ctx.newlyCounted.length &&
      !ctx.newlyMerged.length &&
      (this.d.othersWaiting?.() ?? false)
    );
  }

  private async validate(ctx: Ctx): Promise<void> {
    const { spec, metadata } = ctx.target;
    const parsed = this.schedules.parse(spec.schedule, spec.timeZone ?? 'Etc/UTC');
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
      const found = await this.secrets.check(metadata.namespace!, ref.name, ref.key, ctx.now);
      if (found === 'no-key') {
        ctx.stalled = {
          reason: REASON.SecretKeyNotFound,
          message: `${field}: Secret ${ref.name} has no key "${ref.key}"; add it or change ${field}.key`,
        };
      } else if (found === 'missing') {
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
    ctx.newlyMerged = res.newlyMerged;
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
    ctx.mustWrite = true;
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

  /** A new spec.rollback id becomes one rollback run; its outcome lands in status.rollback. */
  private async rollback(ctx: Ctx): Promise<void> {
    const rb = ctx.target.spec.rollback;
    if (!rb || rb.id === ctx.status.rollback?.lastHandledId || ctx.stalled) return;
    const name = requestedRunName(ctx.target.metadata.name, 'rollback', rb.id);
    ctx.mustWrite = true;
    const existing = ctx.runs.find((r) => r.metadata.name === name);
    if (existing) {
      if (!isTerminal(existing)) return;
      const ok = existing.status?.phase === 'Succeeded';
      const failure = existing.status?.failure;
      ctx.status.rollback = {
        lastHandledId: rb.id,
        result: ok ? 'Succeeded' : 'Failed',
        message: ok
          ? `rolled back by run ${name}`
          : `${failure?.reason ?? existing.status?.phase}: ${failure?.message ?? 'see run ' + name}`,
        time: existing.status?.completionTime ?? ctx.now.toISOString(),
      };
      this.d.metrics.rollbacksTotal.inc({
        namespace: ctx.target.metadata.namespace!,
        target: ctx.target.metadata.name,
        result: ok ? 'succeeded' : 'failed',
      });
      ctx.notifications.push(
        this.note(
          ctx,
          'RollbackDone',
          ok ? 'info' : 'warning',
          `rollback ${rb.id}: ${ctx.status.rollback.message}`,
          {
            id: rb.id,
            run: name,
          },
        ),
      );
      return;
    }
    if (!(await this.makeRoom(ctx, `rollback ${rb.id}`))) return; // after the active run
    await this.createRun(ctx, name, {
      trigger: 'rollback',
      scheduledTime: ctx.now.toISOString(),
      rollback: rb,
    });
  }

  /**
   * Forge checks run in their own lane (ForgeChecks), never inside a
   * reconcile: a slow or unreachable forge must not delay anyone's schedule.
   * This step applies a finished check and starts the next one when due.
   */
  private async forgeCheck(ctx: Ctx): Promise<void> {
    const forge = this.d.forge;
    if (!forge || !ForgeChecks.applies(ctx.target) || ctx.stalled) return;
    const { namespace, name } = ctx.target.metadata as { namespace: string; name: string };
    const key = `${namespace}/${name}`;
    const done = forge.take(key);
    if (done) await this.applyForgeCheck(ctx, done);
    const interval = parseInterval(ctx.target.spec.forgeCheckInterval ?? '5m');
    const last = Date.parse(ctx.status.forge?.lastCheckTime ?? '') || 0;
    const poked = this.d.forgePokes?.delete(key) ?? false;
    // The merge gate may ask for an earlier look (its grace period ends): kept in memory, the interval still bounds it.
    const recheck = this.forgeRecheck.get(key);
    const due = Math.min(last + interval, recheck ?? Infinity);
    if (!poked && ctx.now.getTime() < due) {
      ctx.requeueMs.push(due - ctx.now.getTime());
      return;
    }
    this.forgeRecheck.delete(key);
    forge.start(key, ctx.target, ctx.runs, ctx.now, () =>
      this.d.onForgeCheckDone?.(namespace, name),
    );
  }

  private async applyForgeCheck(ctx: Ctx, done: ForgeCheckResult): Promise<void> {
    ctx.mustWrite = true; // the check's result exists only in memory until written
    const state = { ...ctx.status.forge, lastCheckTime: done.startedAt.toISOString() };
    ctx.status.forge = state;
    if ('error' in done) {
      // Not a reason to stall: the forge may be down for a while. Said in status, retried next interval.
      state.message = done.error.slice(0, 1000);
      this.d.logger.warn(
        { target: ctx.target.metadata.name, err: state.message },
        'forge check failed',
      );
      return;
    }
    delete state.message;
    const seen = done.observation;
    ctx.status.openPullRequests = seen.openPullRequests;
    // The gate's standing, on each run it concerns; written when it changed. Only pullRequest's own fields are sent.
    const mergedBy = new Map(seen.merged.map((m) => [m.run.metadata.name, m]));
    const gated = new Set<string>();
    for (const { run, gate } of seen.gates) {
      gated.add(run.metadata.name);
      const before = run.status?.pullRequest?.gate;
      const m = mergedBy.get(run.metadata.name);
      const at = m?.mergedAt;
      if (
        !at &&
        before?.state === gate.state &&
        before.message === gate.message &&
        before.headSha === gate.headSha
      )
        continue;
      await this.d.api.patchStatus('improvementruns', run.metadata.namespace!, run.metadata.name, {
        status: {
          pullRequest: {
            gate,
            ...(at ? { merged: true, mergedAt: at } : {}),
            ...(m?.mergeCommitSha ? { mergeCommitSha: m.mergeCommitSha } : {}),
          },
        },
      });
      const reason = {
        Updating: REASON.MergeUpdating,
        AutoMergeEnabled: REASON.MergeAutoMergeEnabled,
        Blocked: REASON.MergeBlocked,
      }[gate.state as string];
      if (reason && before?.state !== gate.state)
        void this.d.recorder.event(
          run,
          gate.state === 'Blocked' ? 'Warning' : 'Normal',
          reason,
          gate.message,
        );
    }
    for (const { run, mergedAt: at } of seen.merged) {
      if (gated.has(run.metadata.name)) continue;
      await this.d.api.patchStatus('improvementruns', run.metadata.namespace!, run.metadata.name, {
        status: { pullRequest: { merged: true, mergedAt: at } },
      });
    }
    await this.selfHeal(ctx, seen.afterMerge);
    if (seen.recheckAt)
      this.forgeRecheck.set(
        `${ctx.target.metadata.namespace}/${ctx.target.metadata.name}`,
        seen.recheckAt,
      );
    const handled = new Set(state.handledIssues ?? []);
    const next = seen.priorityIssues.find((n) => !handled.has(n));
    const priorityActive = this.active(ctx).some((r) => r.spec.trigger === 'priority-issue');
    if (next === undefined || this.paused(ctx) || priorityActive) return;
    await this.createRun(ctx, requestedRunName(ctx.target.metadata.name, 'issue', String(next)), {
      trigger: 'priority-issue',
      scheduledTime: ctx.now.toISOString(),
      issue: next,
    });
    state.handledIssues = [...(state.handledIssues ?? []), next].slice(-64);
    const msg = `issue #${next} carries the priority label: started a run`;
    void this.d.recorder.event(ctx.target, 'Normal', REASON.PriorityIssue, msg);
  }

  /**
   * Records what main's checks said on each watched merge commit, and
   * reverts the ones that turned it red: one rollback run per commit (its
   * name is derived from the commit), within policy.autoRevert.maxPerDay; the
   * circuit breaker then opens, so a human looks before the next run.
   */
  private async selfHeal(ctx: Ctx, looks: ForgeObservation['afterMerge']): Promise<void> {
    const { namespace } = ctx.target.metadata as { namespace: string };
    for (const { run, sha, judgement } of looks) {
      const before = run.status?.pullRequest?.afterMerge;
      if (judgement.revert && !(await this.autoRevert(ctx, run, sha))) continue; // retried at the next check
      if (before?.state === judgement.state && before.message === judgement.message) continue;
      await this.d.api.patchStatus('improvementruns', namespace, run.metadata.name, {
        status: {
          pullRequest: {
            afterMerge: {
              state: judgement.state,
              message: judgement.message,
              checkedAt: ctx.now.toISOString(),
            },
          },
        },
      });
    }
  }

  /** Creates the rollback run for sha (once); false when it has to wait (an active run, the cap). */
  private async autoRevert(ctx: Ctx, run: ImprovementRun, sha: string): Promise<boolean> {
    const { target, status, now } = ctx;
    const rollbackRun = requestedRunName(target.metadata.name, 'rollback', `auto-revert:${sha}`);
    if (status.autoReverts?.some((a) => a.commit === sha)) return true;
    const labels = { namespace: target.metadata.namespace!, target: target.metadata.name };
    const short = sha.slice(0, 7);
    const maxPerDay = target.spec.policy?.autoRevert?.maxPerDay ?? 1;
    if (!mayAutoRevert(status.autoReverts, now, maxPerDay)) {
      const message = `main turned red with ${short} (run ${run.metadata.name}), but ${maxPerDay} automatic revert(s) in 24 hours is the cap (policy.autoRevert.maxPerDay): a human has to revert it`;
      void this.d.recorder.event(target, 'Warning', REASON.AutoRevertCapped, message);
      ctx.notifications.push(
        this.note(ctx, 'AutoRevert', 'warning', message, { id: sha, run: run.metadata.name }),
      );
      this.openCircuit(ctx, message);
      return true;
    }
    if (!ctx.runs.some((r) => r.metadata.name === rollbackRun)) {
      if (!(await this.makeRoom(ctx, `automatic revert of ${short}`))) return false;
      await this.createRun(
        ctx,
        rollbackRun,
        {
          trigger: 'rollback',
          scheduledTime: now.toISOString(),
          rollback: { id: `auto-revert-${sha.slice(0, 12)}`, commit: sha },
        },
        { [LABEL_AUTO_REVERT]: 'true' },
      );
    }
    status.autoReverts = [
      ...(status.autoReverts ?? []),
      { run: run.metadata.name, commit: sha, rollbackRun, time: now.toISOString() },
    ].slice(-32);
    ctx.mustWrite = true;
    this.d.metrics.autoReverts.inc(labels);
    const message = `main turned red with ${short} (run ${run.metadata.name}): run ${rollbackRun} reverts it through a pull request the merge gate merges`;
    void this.d.recorder.event(target, 'Warning', REASON.AutoRevert, message);
    ctx.notifications.push(
      this.note(ctx, 'AutoRevert', 'warning', message, { id: sha, run: run.metadata.name }),
    );
    this.openCircuit(
      ctx,
      `${message}; new runs wait for a human (kubectl improve resume ${target.metadata.name})`,
    );
    return true;
  }

  private openCircuit(ctx: Ctx, message: string): void {
    if (ctx.status.circuit?.open) return;
    const openedAt = ctx.now.toISOString();
    ctx.status.circuit = {
      ...ctx.status.circuit,
      open: true,
      reason: 'AutoRevert',
      message: message.slice(0, 1024),
      openedAt,
    };
    ctx.mustWrite = true;
    void this.d.recorder.event(ctx.target, 'Warning', REASON.CircuitOpen, message);
    ctx.notifications.push(this.note(ctx, 'CircuitOpen', 'warning', message, { id: openedAt }));
  }

  private async circuitBreaker(ctx: Ctx): Promise<void> {
    const { target, status } = ctx;
    const change = nextCircuit({
      target: target.metadata.name,
      circuit: status.circuit,
      consecutiveFailures: status.consecutiveFailures ?? 0,
      maxConsecutiveFailures: target.spec.policy?.maxConsecutiveFailures ?? 3,
      newFailure: ctx.newlyCounted.some((r) => r.status?.phase === 'Failed'),
      reset: target.metadata.annotations?.[ANNOTATION_CIRCUIT_RESET],
      now: ctx.now,
    });
    if (!change) return;
    status.circuit = change.circuit;
    if (change.resetFailures) status.consecutiveFailures = 0;
    ctx.mustWrite = true;
    if (change.event)
      void this.d.recorder.event(
        target,
        change.event.type,
        change.event.reason,
        change.event.message,
      );
    if (change.event?.reason === 'CircuitOpen')
      ctx.notifications.push(
        this.note(ctx, 'CircuitOpen', 'warning', change.event.message, {
          id: change.circuit.openedAt,
        }),
      );
  }

  /** No new run starts by itself: spec.suspend, or an open circuit breaker. (A human's run-now still does.) */
  private paused(ctx: Ctx): boolean {
    return !!ctx.target.spec.suspend || !!ctx.status.circuit?.open;
  }

  private async schedule(ctx: Ctx): Promise<void> {
    const { spec, metadata } = ctx.target;
    if (!ctx.schedule || ctx.stalled) return;
    const labels = { namespace: metadata.namespace!, target: metadata.name };
    if (this.paused(ctx)) {
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
    const started = (slot: Date) =>
      ctx.runs.some((r) => r.metadata.name === scheduledRunName(metadata.name, slot));
    if (d.kind === 'missed' && started(d.slot)) {
      // Its run exists: the slot was started, only its record was not written (a crash, a deferred write).
      ctx.status.lastScheduleTime = d.slot.toISOString();
      this.announceRun(ctx, scheduledRunName(metadata.name, d.slot), 'schedule');
    } else if (d.kind === 'missed') {
      void this.d.recorder.event(
        ctx.target,
        'Warning',
        REASON.MissedSchedule,
        `missed the slot ${d.slot.toISOString()} by ${d.lateBySeconds}s, more than startingDeadlineSeconds (${spec.startingDeadlineSeconds}); skipped it`,
      );
    } else if (d.kind === 'run') {
      const name = scheduledRunName(metadata.name, d.slot);
      const already = started(d.slot);
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
          ctx.startedSlot = await this.createRun(ctx, name, {
            trigger: 'schedule',
            scheduledTime: d.slot.toISOString(),
          });
        else this.announceRun(ctx, name, 'schedule');
        ctx.status.lastScheduleTime = d.slot.toISOString();
      }
    }
    if (d.next) {
      ctx.status.nextScheduleTime = d.next.toISOString();
      this.d.metrics.nextRun.set(labels, d.next.getTime() / 1000);
      const untilSlot = d.next.getTime() - ctx.now.getTime();
      // A target with Secrets is checked shortly before its slot, so the slot's pass finds the check fresh.
      const hasSecrets = !!(spec.repository.credentialsSecretRef ?? spec.model?.apiKeySecretRef);
      ctx.requeueMs.push(
        hasSecrets && untilSlot > PREPARE_MS + 1000
          ? untilSlot - PREPARE_MS
          : untilSlot + SLOT_MARGIN_MS,
      );
    }
  }

  /** Creates the run and launches it; false when it already existed (another pass or replica made it). */
  private async createRun(
    ctx: Ctx,
    name: string,
    spec: Record<string, unknown>,
    labels: Record<string, string> = {},
  ): Promise<boolean> {
    const { metadata } = ctx.target;
    const body = {
      apiVersion: API_VERSION,
      kind: RUN.kind,
      metadata: {
        name,
        namespace: metadata.namespace,
        labels: { ...labels, [LABEL_TARGET]: metadata.name },
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
      await this.d.launch?.(ctx.target, created);
      this.announceRun(ctx, name, String(spec.trigger));
      return true;
    } catch (err) {
      // AlreadyExists is the lock: another replica or an earlier attempt made it.
      if (!isAlreadyExists(err)) throw err;
      this.announceRun(ctx, name, String(spec.trigger));
      return false;
    }
  }

  /**
   * The run's RunCreated Event, once per run whoever calls: a successor that
   * adopts a run its predecessor created (and may have died before
   * announcing) announces it too, and the Event's id keeps it to one.
   */
  private announceRun(ctx: Ctx, name: string, trigger: string): void {
    void this.d.recorder.event(
      ctx.target,
      'Normal',
      REASON.RunCreated,
      `created run ${name} (${trigger})`,
      { id: `${REASON.RunCreated}/${name}` },
    );
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
    const waiting = new Map<
      number,
      NonNullable<ImprovementTargetStatus['awaitingApproval']>[number]
    >();
    for (const r of ctx.runs) {
      const pr = r.status?.pullRequest;
      if (
        pr?.number &&
        !pr.merged &&
        pr.gate?.state === 'AwaitingApproval' &&
        !waiting.has(pr.number)
      )
        waiting.set(pr.number, {
          run: r.metadata.name,
          pullRequest: pr.number,
          ...(pr.url ? { url: pr.url } : {}),
          ...(pr.gate.lastTransitionTime ? { since: pr.gate.lastTransitionTime } : {}),
        });
    }
    status.awaitingApproval = [...waiting.values()].slice(0, 16);
    if (!waiting.size) delete status.awaitingApproval;
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
      c = status.circuit?.open
        ? setCondition(
            c,
            {
              type: CONDITION.Ready,
              status: 'True',
              reason: REASON.CircuitOpen,
              message: status.circuit.message ?? 'the circuit breaker is open',
            },
            now,
            gen,
          )
        : target.spec.suspend
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
      status.circuit?.open
        ? {
            type: CONDITION.Suspended,
            status: 'True',
            reason: REASON.CircuitOpen,
            message: status.circuit.message ?? 'the circuit breaker is open',
          }
        : target.spec.suspend
          ? {
              type: CONDITION.Suspended,
              status: 'True',
              reason: REASON.Suspended,
              message: 'spec.suspend is true',
            }
          : {
              type: CONDITION.Suspended,
              status: 'False',
              reason: REASON.NotSuspended,
              message: 'runs start on schedule',
            },
      now,
      gen,
    );
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
        : this.paused(ctx)
          ? 'Suspended'
          : 'Idle';
    status.observedGeneration = gen;
    this.d.metrics.suspended.set(labels, this.paused(ctx) ? 1 : 0);
    this.d.metrics.circuitOpen.set(labels, status.circuit?.open ? 1 : 0);
    this.d.metrics.approvalsWaiting.set(labels, waiting.size);
    // A counter series from 0, so increase() (and the alert) sees the first revert.
    this.d.metrics.autoReverts.inc(labels, 0);
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
    // The API server returns keys sorted (Go maps); compare content, not key order.
    const plain = (x: unknown) => JSON.parse(JSON.stringify(x ?? {})) as unknown;
    if (isDeepStrictEqual(plain(ctx.status), plain(ctx.prior))) return;
    try {
      const saved = await this.d.api.replaceStatus<ImprovementTarget>('improvementtargets', {
        ...ctx.target,
        status: ctx.status,
      });
      // Write-through: the next reconcile must not start from the version we just replaced.
      this.d.targets.replaceIfUnchanged(saved, ctx.target.metadata.resourceVersion);
    } catch (err) {
      if (!isConflict(err)) throw err;
      // Our cache was stale; the next reconcile redoes everything from fresh data.
      ctx.newlyCounted = ctx.newlyMerged = [];
      throw new RetryableError(
        'Conflict',
        'status changed since it was read',
        100 + Math.floor(Math.random() * 200),
        { cause: err },
      );
    }
  }

  /** After the counts are saved: label the runs, emit their Events and metrics. */
  private async afterCounted(ctx: Ctx): Promise<void> {
    const labels = { namespace: ctx.target.metadata.namespace!, target: ctx.target.metadata.name };
    for (const run of ctx.newlyMerged) {
      await this.d.api
        .patchCustom('improvementruns', run.metadata.namespace!, run.metadata.name, {
          metadata: { labels: { [LABEL_MERGE_COUNTED]: 'true' } },
        })
        .catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      const pr = run.status!.pullRequest!;
      const committed = Date.parse(run.status?.completionTime ?? '');
      if (pr.mergedAt && committed)
        this.d.metrics.timeToMain.observe(
          labels,
          Math.max(0, (Date.parse(pr.mergedAt) - committed) / 1000),
        );
      void this.d.recorder.event(
        ctx.target,
        'Normal',
        REASON.PullRequestMerged,
        `pull request ${pr.url ?? `#${pr.number}`} of run ${run.metadata.name} reached ${ctx.target.spec.branches?.main ?? 'main'}`,
      );
    }
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
      if (s.phase === 'Failed')
        ctx.notifications.push(
          this.note(ctx, 'RunFailed', 'warning', detail, { run: run.metadata.name }),
        );
      if (s.questionIssue)
        ctx.notifications.push(
          this.note(
            ctx,
            'QuestionIssueOpened',
            'warning',
            `run ${run.metadata.name} asked a human in issue #${s.questionIssue.number}`,
            {
              id: String(s.questionIssue.number),
              run: run.metadata.name,
              url: s.questionIssue.url,
            },
          ),
        );
    }
    const last = ctx.newlyCounted.at(-1);
    const streak = ctx.status.consecutiveFailures ?? 0;
    if (last?.status?.phase === 'Failed' && streak >= 2)
      ctx.notifications.push(
        this.note(
          ctx,
          'RepeatedFailures',
          'warning',
          `${streak} runs failed in a row; the last: ${last.metadata.name}`,
          {
            run: last.metadata.name,
          },
        ),
      );
  }

  /**
   * One notification, its id stable for the fact it reports: the event, the
   * target and the run (or another key), so whoever sends it twice sends the same id.
   */
  private note(
    ctx: Ctx,
    event: NotifyEvent,
    severity: Notification['severity'],
    message: string,
    o: { id?: string; run?: string; url?: string },
  ): Notification {
    const { namespace, name } = ctx.target.metadata as { namespace: string; name: string };
    return {
      id: [event, namespace, name, o.id ?? o.run].filter(Boolean).join('/'),
      event,
      severity,
      namespace,
      target: name,
      ...(o.run ? { run: o.run } : {}),
      message: message.slice(0, 2000),
      ...(o.url ? { url: o.url } : {}),
      time: ctx.now.toISOString(),
    };
  }
}
