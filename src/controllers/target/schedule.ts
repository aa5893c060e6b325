// The schedule step: the slot that is due (or missed), its run, and when to
// look again.
import { scheduledRunName } from '../../scheduling/run-name.ts';
import { decide } from '../../scheduling/schedule.ts';
import { REASON } from '../conditions.ts';
import { PREPARE_MS } from '../secret-checks.ts';
import { activeRuns, announceRun, paused, type Ctx, type TargetEnv } from './context.ts';
import { createRun, makeRoom } from './runs.ts';

/**
 * A slot's pass is timed this long after the slot: Node's timers can fire a
 * few ms early against the wall clock, and a pass that comes too early only
 * waits again for the same slot. (The CronJob controller waits 100 ms.)
 */
const SLOT_MARGIN_MS = 5;

export async function schedule(env: TargetEnv, ctx: Ctx): Promise<void> {
  const { spec, metadata } = ctx.target;
  if (!ctx.schedule || ctx.stalled) return;
  const labels = { namespace: metadata.namespace!, target: metadata.name };
  if (paused(ctx)) {
    delete ctx.status.nextScheduleTime;
    env.d.metrics.nextRun.remove(labels);
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
    announceRun(env, ctx, scheduledRunName(metadata.name, d.slot), 'schedule');
  } else if (d.kind === 'missed') {
    void env.d.recorder.event(
      ctx.target,
      'Warning',
      REASON.MissedSchedule,
      `missed the slot ${d.slot.toISOString()} by ${d.lateBySeconds}s, more than startingDeadlineSeconds (${spec.startingDeadlineSeconds}); skipped it`,
    );
  } else if (d.kind === 'run') {
    const name = scheduledRunName(metadata.name, d.slot);
    const already = started(d.slot);
    if (!already && !(await makeRoom(env, ctx, `slot ${d.slot.toISOString()}`))) {
      const blocking = activeRuns(ctx)
        .map((r) => r.metadata.name)
        .join(', ');
      void env.d.recorder.event(
        ctx.target,
        'Normal',
        REASON.RunSkipped,
        `slot ${d.slot.toISOString()} waits: run ${blocking} is still active (concurrencyPolicy Forbid)`,
      );
      // Re-evaluated when the active run ends; the slot still runs if that is within the deadline.
    } else {
      if (!already)
        ctx.startedSlot = await createRun(env, ctx, name, {
          trigger: 'schedule',
          scheduledTime: d.slot.toISOString(),
        });
      else announceRun(env, ctx, name, 'schedule');
      ctx.status.lastScheduleTime = d.slot.toISOString();
    }
  }
  if (d.next) {
    ctx.status.nextScheduleTime = d.next.toISOString();
    env.d.metrics.nextRun.set(labels, d.next.getTime() / 1000);
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
