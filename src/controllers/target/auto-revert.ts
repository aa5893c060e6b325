// Self-heal's acting half: records what main's checks said on each watched
// merge commit, and reverts a merge that turned main red through a rollback
// run (the rules are in ../self-heal.ts).
import { requestedRunName } from '../../scheduling/run-name.ts';
import { REASON } from '../conditions.ts';
import type { ForgeObservation } from '../forge-checks.ts';
import { LABEL_AUTO_REVERT, mayAutoRevert } from '../self-heal.ts';
import type { ImprovementRun } from '../types.ts';
import { openCircuit } from './circuit.ts';
import { note, type Ctx, type TargetEnv } from './context.ts';
import { createRun, makeRoom } from './runs.ts';

/**
 * Records what main's checks said on each watched merge commit, and
 * reverts the ones that turned it red: one rollback run per commit (its
 * name is derived from the commit), within policy.autoRevert.maxPerDay; the
 * circuit breaker then opens, so a human looks before the next run.
 */
export async function selfHeal(
  env: TargetEnv,
  ctx: Ctx,
  looks: ForgeObservation['afterMerge'],
): Promise<void> {
  const { namespace } = ctx.target.metadata as { namespace: string };
  for (const { run, sha, judgement } of looks) {
    const before = run.status?.pullRequest?.afterMerge;
    if (judgement.revert && !(await autoRevert(env, ctx, run, sha))) continue; // retried at the next check
    if (before?.state === judgement.state && before.message === judgement.message) continue;
    await env.d.api.patchStatus('improvementruns', namespace, run.metadata.name, {
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

/** Creates the rollback run for sha (once); false when it has to wait for an active run to end. */
export async function autoRevert(
  env: TargetEnv,
  ctx: Ctx,
  run: ImprovementRun,
  sha: string,
): Promise<boolean> {
  const { target, status, now } = ctx;
  const rollbackRun = requestedRunName(target.metadata.name, 'rollback', `auto-revert:${sha}`);
  if (status.autoReverts?.some((a) => a.commit === sha)) return true;
  const labels = { namespace: target.metadata.namespace!, target: target.metadata.name };
  const short = sha.slice(0, 7);
  const maxPerDay = target.spec.policy?.autoRevert?.maxPerDay ?? 1;
  if (!mayAutoRevert(status.autoReverts, now, maxPerDay)) {
    const message = `main turned red with ${short} (run ${run.metadata.name}), but ${maxPerDay} automatic revert(s) in 24 hours is the cap (policy.autoRevert.maxPerDay): a human has to revert it`;
    void env.d.recorder.event(target, 'Warning', REASON.AutoRevertCapped, message);
    ctx.notifications.push(
      note(ctx, 'AutoRevert', 'warning', message, { id: sha, run: run.metadata.name }),
    );
    openCircuit(env, ctx, message);
    return true;
  }
  if (!ctx.runs.some((r) => r.metadata.name === rollbackRun)) {
    if (!(await makeRoom(env, ctx, `automatic revert of ${short}`))) return false;
    await createRun(
      env,
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
  env.d.metrics.autoReverts.inc(labels);
  const message = `main turned red with ${short} (run ${run.metadata.name}): run ${rollbackRun} reverts it through a pull request the merge gate merges`;
  void env.d.recorder.event(target, 'Warning', REASON.AutoRevert, message);
  ctx.notifications.push(
    note(ctx, 'AutoRevert', 'warning', message, { id: sha, run: run.metadata.name }),
  );
  openCircuit(
    env,
    ctx,
    `${message}; new runs wait for a human (kubectl improve resume ${target.metadata.name})`,
  );
  return true;
}
