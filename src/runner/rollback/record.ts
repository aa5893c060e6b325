// The rollback's record in the state files on the work branch: each reverted
// IMPROVEMENTS.md entry gets a Reverted field (human text untouched) and
// STATE.md a Recent Changes line.
import { markRolledBack, updateState } from '../state/index.ts';
import type { RollbackSession, RollbackSpec } from './session.ts';
import type { RevertTarget } from './targets.ts';

export async function recordRollback(
  s: RollbackSession,
  rb: RollbackSpec,
  targets: RevertTarget[],
  summary: string,
  pr?: { number: number },
): Promise<void> {
  const { ctx } = s;
  const run = ctx.input.run.name;
  const created = await ctx.state.init(ctx.today);
  await ctx.state.update('improvements', (text) =>
    targets.reduce(
      (t, target) =>
        markRolledBack(t, target.sha, {
          date: ctx.today,
          run,
          rollbackId: rb.id,
          pr: target.onMain ? pr?.number : undefined,
        }),
      text,
    ),
  );
  await ctx.state.update('state', (t) =>
    updateState(t, {
      date: ctx.today,
      status: `Rolled back (${rb.id})`,
      recentChange: `${ctx.today}: rollback ${rb.id} by ${run}: ${summary}`,
      result: 'neutral',
    }),
  );
  await ctx.git.add([...created, ctx.state.path('improvements'), ctx.state.path('state')]);
  await ctx.git.commit(`chore(opencode): record rollback ${rb.id}`.slice(0, 100));
  ctx.pendingCommits++;
}
