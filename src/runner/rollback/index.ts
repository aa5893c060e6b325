// A rollback run (spec.trigger: rollback): revert a commit, revert what a
// run committed, or reset the work branch to main. Everything is built and
// tested locally before the first push, so a missing target, a conflict or
// failing tests end the run with nothing pushed. Nothing is ever pushed to main.
import { rm } from 'node:fs/promises';
import { OperatorError, errorMessage } from '../../util/errors.ts';
import { secrets } from '../../util/logger.ts';
import { GitError } from '../git/git-client.ts';
import type { ForgePullRequest } from '../../forge/types.ts';
import { failedOutcome, reasonOf, type FailureReason, type RunOutcome } from '../outcome.ts';
import type { RunReport, WorkflowDeps, WorkflowInput } from '../workflow/context.ts';
import { testsStatus } from '../workflow/publish.ts';
import { pushBranch } from '../workflow/push.ts';
import { RollbackGitError } from './git-verbs.ts';
import { recordRollback } from './record.ts';
import { RollbackFailed, revertAll } from './revert.ts';
import { openSession, type RollbackSession, type RollbackSpec } from './session.ts';
import { findTargets, type RevertTarget } from './targets.ts';

export { RUN_TRAILER, withRunTrailer } from './git-verbs.ts';
export { RollbackFailed, revertMessage } from './revert.ts';
export { RollbackTargetNotFound, type RevertTarget } from './targets.ts';
export type { RollbackSpec } from './session.ts';

export interface RollbackOptions {
  keepWorkdir?: boolean;
  /** Called between fetching the work branch and the lease push (tests race it). */
  beforeLeasePush?: () => Promise<void>;
}

export async function runRollback(
  input: WorkflowInput,
  deps: WorkflowDeps,
  opts: RollbackOptions = {},
): Promise<{ outcome: RunOutcome; report: RunReport }> {
  secrets.add(input.token);
  const report: RunReport = { candidates: [], blocked: [] };
  const work = input.target.spec.branches.work;
  const rb = input.run.spec.rollback;
  if (!rb)
    return {
      outcome: failedOutcome('InvalidConfiguration', 'a rollback run needs spec.rollback', work),
      report,
    };
  let s: RollbackSession | undefined;
  try {
    s = await openSession(input, deps);
    const outcome = rb.resetWorkBranch
      ? await resetWorkBranch(s, rb, opts)
      : await revertCommits(s, rb);
    s.ctx.log.info(
      { rollback: rb.id, commit: outcome.commit, message: outcome.message },
      'rolled back',
    );
    return { outcome, report };
  } catch (err) {
    const reason = reasonOf(err, rollbackReason);
    deps.logger.error({ rollback: rb.id, reason, err: errorMessage(err) }, 'rollback failed');
    const outcome = failedOutcome(reason, errorMessage(err), work);
    if (s && err instanceof RollbackFailed && err.tests)
      outcome.tests = testsStatus(s.ctx, err.tests);
    return { outcome, report };
  } finally {
    // The bench holds only scratch (exported trees are removed after each check).
    await s?.ctx.bench?.cleanup();
    if (s && !opts.keepWorkdir) await rm(s.ctx.dir, { recursive: true, force: true });
  }
}

const shorts = (ts: RevertTarget[]) => ts.map((t) => t.sha.slice(0, 7)).join(', ');

async function revertCommits(s: RollbackSession, rb: RollbackSpec): Promise<RunOutcome> {
  const { ctx } = s;
  const { git, deps, spec } = ctx;
  const { main, work } = spec.branches;
  const targets = await findTargets(s, rb);
  const onMain = targets.filter((t) => t.onMain);
  const onWork = targets.filter((t) => !t.onMain);
  if (onMain.length && !deps.forge.capabilities.pullRequests)
    throw new RollbackFailed(
      `${shorts(onMain)} already reached ${main}; a plain git remote has no pull requests and the runner never pushes to ${main}, so a human must revert it on ${main}`,
    );

  // Build and test every revert before the first push.
  const workDone = onWork.length ? await revertAll(s, onWork, rb, work) : undefined;
  const revertBranch = onMain.length ? `revert/${onMain[0]?.sha.slice(0, 7)}` : undefined;
  let mainDone: Awaited<ReturnType<typeof revertAll>> | undefined;
  if (revertBranch) {
    await git.checkoutNewBranch(revertBranch, `origin/${main}`);
    mainDone = await revertAll(s, onMain, rb, revertBranch);
  }

  let pr: ForgePullRequest | undefined;
  let revertHead: string | undefined;
  if (revertBranch) {
    revertHead = await pushBranch(ctx, revertBranch);
    pr = await deps.forge.createOrUpdatePullRequest({
      head: revertBranch,
      base: main,
      title:
        `Revert ${onMain.length === 1 ? `"${onMain[0]?.subject}"` : `${onMain.length} commits of run ${rb.run}`}`.slice(
          0,
          200,
        ),
      body: revertPrBody(onMain, rb, ctx.input.run.name, main),
    });
    await git.checkout(work);
  }
  const summary = [
    onWork.length ? `reverted ${shorts(onWork)} on ${work}` : '',
    pr ? `revert PR #${pr.number} to ${main} for ${shorts(onMain)}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  let workHead: string | undefined;
  if (s.hasWork) {
    await recordRollback(s, rb, targets, summary, pr);
    workHead = await pushBranch(ctx, work);
  } else ctx.log.info({ work }, 'no work branch: the rollback is not recorded in the state files');

  const onlyMain = !onWork.length && revertBranch;
  return {
    phase: 'Succeeded',
    branch: onlyMain ? revertBranch : work,
    commit: onlyMain ? revertHead : workHead,
    tests: testsStatus(ctx, workDone?.tests ?? mainDone?.tests),
    ...(pr
      ? { pullRequest: { number: pr.number, url: pr.url, merged: false, mergedAt: null } }
      : {}),
    message: `rollback ${rb.id}: ${summary}`,
  };
}

function revertPrBody(targets: RevertTarget[], rb: RollbackSpec, run: string, main: string) {
  return [
    `## What this reverts`,
    ...targets.map((t) => `- ${t.sha.slice(0, 12)} ${t.subject}`),
    '',
    `These changes already reached \`${main}\`, so they are undone through this pull request (the runner never pushes to \`${main}\`).`,
    '',
    `_Opened by the OpenCode runner for rollback \`${rb.id}\` (run ${run})._`,
  ].join('\n');
}

async function resetWorkBranch(
  s: RollbackSession,
  rb: RollbackSpec,
  opts: RollbackOptions,
): Promise<RunOutcome> {
  const { ctx } = s;
  const { main, work } = ctx.spec.branches;
  const forge = ctx.deps.forge;
  const mainSha = await ctx.git.revParse(`origin/${main}`);
  const tip = ctx.remoteTip;
  let what = `${work} reset to ${main} (${mainSha.slice(0, 7)})`;
  if (!s.hasWork || !tip) what = `${work} does not exist; nothing to reset`;
  else if (tip === mainSha) what = `${work} already equals ${main}`;
  else {
    await opts.beforeLeasePush?.();
    try {
      await s.verbs.pushWithLease(mainSha, work, tip);
    } catch (err) {
      throw new OperatorError(
        'PushFailed',
        `${work} moved on the remote since it was fetched at ${tip.slice(0, 7)}; not overwriting it (${errorMessage(err)})`,
        { cause: err },
      );
    }
  }
  const closed: number[] = [];
  if (forge.capabilities.pullRequests) {
    const open = await forge.listOpenPullRequests(work);
    for (const pr of open.filter((p) => p.head === work && p.base === main)) {
      await forge.closePullRequest(
        pr.number,
        `Closed by rollback \`${rb.id}\` (run ${ctx.input.run.name}): \`${work}\` was reset to \`${main}\` at ${mainSha.slice(0, 12)}, so the changes in this pull request were discarded.`,
      );
      closed.push(pr.number);
    }
  }
  const prs = closed.length ? `; closed PR ${closed.map((n) => `#${n}`).join(', ')}` : '';
  return {
    phase: 'Succeeded',
    branch: work,
    commit: mainSha,
    message: `rollback ${rb.id}: ${what}${prs}`,
  };
}

const rollbackReason = (err: unknown): FailureReason | undefined =>
  err instanceof GitError || err instanceof RollbackGitError ? 'RollbackFailed' : undefined;
