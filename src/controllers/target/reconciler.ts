// Reconciles one ImprovementTarget as a list of named steps (a file each in
// this folder) sharing one context, followed by one status write (Flux's
// shape): validate the spec, count finished runs, trip or reset the circuit
// breaker, prune history, honour run-now and rollback requests, run the
// schedule, apply the forge's news, then summarise into phase, conditions
// and metrics. The status is written however the pass ends: a step that
// throws leaves a Ready=False condition naming it, not a stale Ready=True.
import { ScheduleCache } from '../../scheduling/schedule.ts';
import { RetryableError, errorMessage } from '../../util/errors.ts';
import { CONDITION, REASON, setCondition } from '../conditions.ts';
import type { WorkResult } from '../../kube/work-queue.ts';
import { RUNS_BY_TARGET } from '../indexes.ts';
import { SecretChecks } from '../secret-checks.ts';
import { circuitBreaker } from './circuit.ts';
import type { Ctx, Step, TargetEnv, TargetReconcilerDeps } from './context.ts';
import { accountRuns, afterCounted, prune } from './counting.ts';
import { forgeCheck } from './forge.ts';
import { rollback, runRequest } from './requests.ts';
import { schedule } from './schedule.ts';
import { writeStatus } from './status.ts';
import { summarise } from './summarise.ts';
import { validate } from './validate.ts';

export type { Ctx, TargetReconcilerDeps } from './context.ts';

const STEPS: Array<[string, Step]> = [
  ['validate', validate],
  ['account', accountRuns],
  ['circuit', circuitBreaker],
  ['prune', prune],
  ['runRequest', runRequest],
  ['rollback', rollback],
  ['schedule', schedule],
  ['forge', forgeCheck],
  ['summarise', summarise],
];

export class TargetReconciler {
  private readonly env: TargetEnv;
  /** Targets whose last pass deferred its status write: the next pass writes, whatever the queue. */
  private readonly deferred = new Set<string>();

  constructor(deps: TargetReconcilerDeps) {
    this.env = {
      d: deps,
      schedules: new ScheduleCache(),
      secrets: new SecretChecks(deps.api),
      forgeRecheck: new Map(),
    };
  }

  async reconcile(namespace: string, name: string): Promise<WorkResult> {
    const { d } = this.env;
    const key = `${namespace}/${name}`;
    const target = d.targets.get(key);
    if (!target || target.metadata.deletionTimestamp) {
      d.metrics.forgetTarget(namespace, name);
      this.deferred.delete(key);
      return;
    }
    const ctx: Ctx = {
      target,
      prior: target.status,
      status: structuredClone(target.status ?? {}),
      now: d.clock.now(),
      runs: d.runs.byIndex(RUNS_BY_TARGET, key),
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
    for (const [label, step] of STEPS) {
      try {
        await timed(label, () => step(this.env, ctx));
      } catch (err) {
        await this.recordFailure(ctx, label, err);
        throw err;
      }
    }
    if (this.deferred.delete(key) || !this.mayDefer(ctx)) {
      await timed('writeStatus', () => writeStatus(this.env, ctx));
    } else {
      this.deferred.add(key);
      d.logger.debug({ target: key, ms: timings }, 'started a slot; status write deferred');
      return { deferred: true };
    }
    await timed('afterCounted', () => afterCounted(this.env, ctx));
    if (ctx.notifications.length) d.notifier?.notify(ctx.target, ctx.notifications);
    d.logger.debug({ target: key, ms: timings }, 'reconciled target');
    const next = ctx.requeueMs.filter((ms) => ms >= 0);
    return next.length ? { requeueAfterMs: Math.min(...next) } : undefined;
  }

  /**
   * The deferred status write of a pass a step ended: Ready=False with the
   * step and the error, unless the error only means "retry with fresh data"
   * (a conflict), whose next pass writes everything anyway. Best effort: the
   * step's own error is what the queue retries.
   */
  private async recordFailure(ctx: Ctx, step: string, err: unknown): Promise<void> {
    if (err instanceof RetryableError) return;
    // Only the failure is recorded: what the pass counted or decided is redone by the next one
    // (run names are the locks, so nothing it created is created twice).
    ctx.status = {
      ...structuredClone(ctx.prior ?? {}),
      conditions: setCondition(
        ctx.prior?.conditions,
        {
          type: CONDITION.Ready,
          status: 'False',
          reason: REASON.ReconcileFailed,
          message: `step ${step} failed: ${errorMessage(err)}`.slice(0, 2000),
        },
        ctx.now,
        ctx.target.metadata.generation,
      ),
    };
    ctx.newlyCounted = ctx.newlyMerged = [];
    await writeStatus(this.env, ctx).catch((e: unknown) =>
      this.env.d.logger.debug({ err: errorMessage(e) }, 'status write after a failed step failed'),
    );
  }

  private mayDefer(ctx: Ctx): boolean {
    return (
      !!ctx.startedSlot &&
      !ctx.mustWrite &&
      !ctx.newlyCounted.length &&
      !ctx.newlyMerged.length &&
      (this.env.d.othersWaiting?.() ?? false)
    );
  }
}
