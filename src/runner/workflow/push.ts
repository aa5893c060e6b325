// Pushing without ever overwriting someone else's work: a plain push (never
// forced); when the remote branch moved, fetch, rebase our unpushed commits
// on top, re-run the tests when the incoming commits touched more than the
// state files, and try again.
import { OperatorError } from '../../util/errors.ts';
import { testTree } from './test-step.ts';
import type { RunContext } from './context.ts';

export const PUSH_ATTEMPTS = 4;

export async function pushBranch(ctx: RunContext, branch: string): Promise<string> {
  const { git } = ctx;
  let lastError: unknown;
  for (let attempt = 1; attempt <= PUSH_ATTEMPTS; attempt++) {
    try {
      await git.push('HEAD', branch);
      ctx.pendingCommits = 0;
      ctx.remoteTip = await git.revParse('HEAD');
      return ctx.remoteTip;
    } catch (err) {
      lastError = err;
      ctx.log.warn({ branch, attempt, err: (err as Error).message }, 'push refused; rebasing');
    }
    await git.fetch();
    if (!(await git.remoteBranchExists(branch))) continue;
    const before = await git.revParse('HEAD');
    const incoming = await git.log(`HEAD..origin/${branch}`);
    if (!(await git.rebase(`origin/${branch}`)))
      throw new OperatorError(
        'PushFailed',
        `${branch} moved on the remote and our commits do not rebase cleanly onto it`,
      );
    const touched = await changedOutsideState(ctx, before, incoming.length);
    if (touched && ctx.testCommand) {
      const t = await testTree(ctx, await git.treeOf('HEAD'), 'rebased');
      if (!t.passed)
        throw new OperatorError(
          'PushFailed',
          `tests fail after rebasing onto the moved ${branch}; nothing was pushed`,
        );
    }
  }
  throw new OperatorError(
    'PushFailed',
    `push to ${branch} failed after ${PUSH_ATTEMPTS} attempts: ${(lastError as Error)?.message ?? ''}`,
  );
}

async function changedOutsideState(ctx: RunContext, before: string, incoming: number) {
  if (!incoming) return false;
  const files = await ctx.git.changedFiles(before, 'HEAD');
  return files.some((f) => !f.startsWith(`${ctx.spec.stateDir}/`));
}

/** Plain git with autoMerge: fast-forward main to the work branch (the only push to main, never forced). */
export async function fastForwardMain(ctx: RunContext): Promise<boolean> {
  const { git } = ctx;
  const main = ctx.spec.branches.main;
  await git.fetch();
  if (!(await git.isAncestor(`origin/${main}`, 'HEAD'))) {
    ctx.log.warn({ main }, 'main is not an ancestor of the work branch; not fast-forwarding');
    return false;
  }
  try {
    await git.push('HEAD', main);
    return true;
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'fast-forward of main refused');
    return false;
  }
}
