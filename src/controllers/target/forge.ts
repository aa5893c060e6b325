// The forge step: applies a finished forge check (priority issues, the merge
// gate's standing, merges, main's checks after a merge) and starts the next.
import { requestedRunName } from '../../scheduling/run-name.ts';
import { REASON } from '../conditions.ts';
import { ForgeChecks, parseInterval, type ForgeCheckResult } from '../forge-checks.ts';
import { selfHeal } from './auto-revert.ts';
import { activeRuns, paused, type Ctx, type TargetEnv } from './context.ts';
import { createRun, makeRoom } from './runs.ts';

/**
 * Forge checks run in their own lane (ForgeChecks), never inside a
 * reconcile: a slow or unreachable forge must not delay anyone's schedule.
 * This step applies a finished check and starts the next one when due.
 */
export async function forgeCheck(env: TargetEnv, ctx: Ctx): Promise<void> {
  const forge = env.d.forge;
  if (!forge || !ForgeChecks.applies(ctx.target) || ctx.stalled) return;
  const { namespace, name } = ctx.target.metadata as { namespace: string; name: string };
  const key = `${namespace}/${name}`;
  const done = forge.take(key);
  if (done) await applyForgeCheck(env, ctx, done);
  await startPriorityRun(env, ctx, !!done);
  const interval = parseInterval(ctx.target.spec.forgeCheckInterval ?? '5m');
  const last = Date.parse(ctx.status.forge?.lastCheckTime ?? '') || 0;
  const poked = env.d.forgePokes?.delete(key) ?? false;
  // The merge gate may ask for an earlier look (its grace period ends): kept in memory, the interval still bounds it.
  const recheck = env.forgeRecheck.get(key);
  const due = Math.min(last + interval, recheck ?? Infinity);
  if (!poked && ctx.now.getTime() < due) {
    ctx.requeueMs.push(due - ctx.now.getTime());
    return;
  }
  env.forgeRecheck.delete(key);
  forge.start(key, ctx.target, ctx.runs, ctx.now, () => env.d.onForgeCheckDone?.(namespace, name));
}

export async function applyForgeCheck(
  env: TargetEnv,
  ctx: Ctx,
  done: ForgeCheckResult,
): Promise<void> {
  ctx.mustWrite = true; // the check's result exists only in memory until written
  const state = { ...ctx.status.forge, lastCheckTime: done.startedAt.toISOString() };
  ctx.status.forge = state;
  if ('error' in done) {
    // Not a reason to stall: the forge may be down for a while. Said in status, retried next interval.
    state.message = done.error.slice(0, 1000);
    env.d.logger.warn(
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
    await env.d.api.patchStatus('improvementruns', run.metadata.namespace!, run.metadata.name, {
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
      void env.d.recorder.event(
        run,
        gate.state === 'Blocked' ? 'Warning' : 'Normal',
        reason,
        gate.message,
      );
  }
  for (const { run, mergedAt: at } of seen.merged) {
    if (gated.has(run.metadata.name)) continue;
    await env.d.api.patchStatus('improvementruns', run.metadata.namespace!, run.metadata.name, {
      status: { pullRequest: { merged: true, mergedAt: at } },
    });
  }
  await selfHeal(env, ctx, seen.afterMerge);
  if (seen.recheckAt)
    env.forgeRecheck.set(
      `${ctx.target.metadata.namespace}/${ctx.target.metadata.name}`,
      seen.recheckAt,
    );
  const handled = new Set(state.handledIssues ?? []);
  const waiting = seen.priorityIssues.filter((n) => !handled.has(n)).slice(0, MAX_WAITING);
  if (waiting.length) state.waitingIssues = waiting;
  else delete state.waitingIssues;
}

const MAX_WAITING = 16;

/**
 * Starts a run for the oldest priority issue still waiting, when there is
 * room. The queue is in status, so an issue that waits for an active run
 * starts as soon as that run ends, not at the next forge check.
 */
async function startPriorityRun(env: TargetEnv, ctx: Ctx, freshCheck: boolean): Promise<void> {
  const state = ctx.status.forge;
  const next = state?.waitingIssues?.[0];
  if (!state || next === undefined || paused(ctx)) return;
  // One issue at a time: a newer issue never replaces the run of an older one.
  if (activeRuns(ctx).some((r) => r.spec.trigger === 'priority-issue')) return;
  // Otherwise the concurrency policy decides, as for a slot.
  if (!(await makeRoom(env, ctx, `priority issue #${next}`))) {
    const blocking = activeRuns(ctx)
      .map((r) => r.metadata.name)
      .join(', ');
    const msg = `priority issue #${next} waits: run ${blocking} is still active (concurrencyPolicy Forbid)`;
    // Said once per forge check, not on every pass while the active run goes on.
    if (freshCheck) void env.d.recorder.event(ctx.target, 'Normal', REASON.RunSkipped, msg);
    return;
  }
  ctx.mustWrite = true;
  await createRun(env, ctx, requestedRunName(ctx.target.metadata.name, 'issue', String(next)), {
    trigger: 'priority-issue',
    scheduledTime: ctx.now.toISOString(),
    issue: next,
  });
  state.handledIssues = [...(state.handledIssues ?? []), next].slice(-64);
  const rest = state.waitingIssues!.slice(1);
  if (rest.length) state.waitingIssues = rest;
  else delete state.waitingIssues;
  const msg = `issue #${next} carries the priority label: started a run`;
  void env.d.recorder.event(ctx.target, 'Normal', REASON.PriorityIssue, msg);
}
