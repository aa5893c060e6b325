// Step 9, on fail: the work tree is already restored; append the failure to
// STATE.md, commit and push only that, and after maxConsecutiveFailures in a
// row ask a human through an issue with the question label. The count is the
// operator's (it sees every strategy's runs); STATE.md's only for a runner
// started by hand.
import { readState, updateState } from '../state/index.ts';
import type { RunContext } from './context.ts';
import { pushBranch } from './push.ts';

export const HELP_ISSUE_TITLE = 'OpenCode needs help: repeated failed improvement runs';

export async function recordFailure(
  ctx: RunContext,
  reason: string,
  message: string,
): Promise<{
  consecutiveFailures: number;
  askedHuman: boolean;
  questionIssue?: { number: number; url: string };
}> {
  const { git, spec, deps } = ctx;
  await git.restore();
  await ctx.state.update('state', (t) =>
    updateState(t, {
      date: ctx.today,
      status: `Last run failed: ${reason}`,
      failure: `${ctx.input.run.name}: ${reason}: ${message}`,
      result: 'failure',
    }),
  );
  const before = ctx.input.target.consecutiveFailures;
  const consecutiveFailures =
    before !== undefined
      ? before + 1
      : readState((await ctx.state.readRaw('state')) ?? '').consecutiveFailures;
  await git.add([ctx.state.path('state')]);
  await git.commit(`chore(opencode): log failed run ${ctx.input.run.name}`.slice(0, 100));
  ctx.pendingCommits++;
  // Autonomous branches start from main and are per improvement: the log
  // goes to the work branch only with strategy develop.
  if (spec.branches.strategy === 'develop') await pushBranch(ctx, ctx.branch);

  if (consecutiveFailures < spec.policy.maxConsecutiveFailures || !deps.forge.capabilities.issues)
    return { consecutiveFailures, askedHuman: false };
  const issue = await deps.forge.openOrCommentIssue({
    title: HELP_ISSUE_TITLE,
    labels: [spec.labels.question],
    body: [
      `The last ${consecutiveFailures} improvement runs on \`${spec.branches.work}\` failed.`,
      '',
      `Latest: run \`${ctx.input.run.name}\`: **${reason}**: ${message}`,
      '',
      `See \`${ctx.state.path('state')}\` (Failure Log) on \`${spec.branches.work}\`. A human may need to fix the tests, adjust \`spec.policy\`, or suspend the target.`,
    ].join('\n'),
  });
  return {
    consecutiveFailures,
    askedHuman: true,
    questionIssue: { number: issue.number, url: issue.url },
  };
}

/** Pushes commits made before the run decided to change nothing (the state initialization). */
export async function pushPendingState(ctx: RunContext): Promise<void> {
  if (ctx.pendingCommits === 0 || ctx.input.dryRun) return;
  if (ctx.spec.branches.strategy !== 'develop') return;
  await pushBranch(ctx, ctx.branch);
}
