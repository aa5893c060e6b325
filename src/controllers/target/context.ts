// What the target reconciler's steps share: their dependencies, the pass's
// context, and the small helpers more than one step uses.
import type { ImprovementTargetStatus } from '../../crds/index.ts';
import type { KubeApi } from '../../kube/api.ts';
import type { Clock } from '../../kube/clock.ts';
import type { Recorder } from '../../kube/events.ts';
import type { Reflector } from '../../kube/reflector.ts';
import type { OperatorMetrics } from '../../metrics/metrics.ts';
import type { Notifier } from '../../notify/notifier.ts';
import type { Notification, NotifyEvent } from '../../notify/payload.ts';
import type { ParsedSchedule, ScheduleCache } from '../../scheduling/schedule.ts';
import type { Logger } from '../../util/logger.ts';
import { announceRunCreated } from '../run-created.ts';
import type { ForgeChecks } from '../forge-checks.ts';
import type { SecretChecks } from '../secret-checks.ts';
import { isTerminal, type ImprovementRun, type ImprovementTarget } from '../types.ts';

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

/** What lives across passes: the dependencies and the reconciler's own memory. */
export interface TargetEnv {
  d: TargetReconcilerDeps;
  schedules: ScheduleCache;
  secrets: SecretChecks;
  /** When the merge gate asked to look at a target's forge again (ms), sooner than its interval. */
  forgeRecheck: Map<string, number>;
}

/** One pass over one target: what the steps read, and the status they build. */
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

export type Step = (env: TargetEnv, ctx: Ctx) => Promise<void>;

export function activeRuns(ctx: Ctx): ImprovementRun[] {
  return ctx.runs.filter((r) => !isTerminal(r) && !r.metadata.deletionTimestamp);
}

/** No new run starts by itself: spec.suspend, or an open circuit breaker. (A human's run-now still does.) */
export function paused(ctx: Ctx): boolean {
  return !!ctx.target.spec.suspend || !!ctx.status.circuit?.open;
}

/**
 * One notification, its id stable for the fact it reports: the event, the
 * target and the run (or another key), so whoever sends it twice sends the same id.
 */
export function note(
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

/** The run's RunCreated Event (once per run, whoever records it: see run-created.ts). */
export function announceRun(env: TargetEnv, ctx: Ctx, name: string, trigger: string): void {
  announceRunCreated(env.d.recorder, ctx.target, name, trigger);
}
