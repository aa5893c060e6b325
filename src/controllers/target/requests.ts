// What humans ask for through the spec: a run now (the annotation) and a
// rollback (spec.rollback, once per id).
import { ANNOTATION_RUN_REQUESTED_AT } from '../../crds/index.ts';
import { requestedRunName } from '../../scheduling/run-name.ts';
import { REASON } from '../conditions.ts';
import { isTerminal } from '../types.ts';
import { note, type Ctx, type TargetEnv } from './context.ts';
import { createRun, makeRoom } from './runs.ts';

export async function runRequest(env: TargetEnv, ctx: Ctx): Promise<void> {
  const requested = ctx.target.metadata.annotations?.[ANNOTATION_RUN_REQUESTED_AT];
  if (!requested || requested === ctx.status.lastHandledRunRequest || ctx.stalled) return;
  if (!(await makeRoom(env, ctx, 'a requested run'))) return; // handled when the active run ends
  const name = requestedRunName(ctx.target.metadata.name, 'manual', requested);
  ctx.mustWrite = true;
  await createRun(env, ctx, name, {
    trigger: 'manual',
    scheduledTime: ctx.now.toISOString(),
    runRequest: requested,
  });
  ctx.status.lastHandledRunRequest = requested;
  void env.d.recorder.event(
    ctx.target,
    'Normal',
    REASON.RunRequested,
    `created run ${name} for request ${JSON.stringify(requested)}`,
  );
}

/** A new spec.rollback id becomes one rollback run; its outcome lands in status.rollback. */
export async function rollback(env: TargetEnv, ctx: Ctx): Promise<void> {
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
    env.d.metrics.rollbacksTotal.inc({
      namespace: ctx.target.metadata.namespace!,
      target: ctx.target.metadata.name,
      result: ok ? 'succeeded' : 'failed',
    });
    ctx.notifications.push(
      note(
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
  if (!(await makeRoom(env, ctx, `rollback ${rb.id}`))) return; // after the active run
  await createRun(env, ctx, name, {
    trigger: 'rollback',
    scheduledTime: ctx.now.toISOString(),
    rollback: rb,
  });
}
