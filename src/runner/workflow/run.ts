// The run, as a list of named steps: prepare (clone, branch, state), decide
// (tests, analysis, policy, improver), implement (apply, test, repair), then
// publish on pass or record the failure. Every path ends in a RunOutcome.
import { rm } from 'node:fs/promises';
import { errorMessage } from '../../util/errors.ts';
import { secrets } from '../../util/logger.ts';
import { failedOutcome, reasonOf, type RunOutcome } from '../outcome.ts';
import { runRollback } from '../rollback/index.ts';
import type { RunContext, RunReport, WorkflowDeps, WorkflowInput } from './context.ts';
import { decide } from './decide.ts';
import { pushPendingState, recordFailure } from './fail.ts';
import { implement } from './implement.ts';
import { applyRepoConfig, prepare } from './prepare.ts';
import { publish, testsStatus } from './publish.ts';
import { qualityOf } from '../testing/quality.ts';
import { scanDependencies, securityStatus } from '../security/osv.ts';

export interface WorkflowResult {
  outcome: RunOutcome;
  report: RunReport;
}

export async function runWorkflow(
  input: WorkflowInput,
  deps: WorkflowDeps,
  opts: { keepWorkdir?: boolean } = {},
): Promise<WorkflowResult> {
  secrets.add(input.token);
  const emptyReport: RunReport = { candidates: [], blocked: [] };
  if (input.run.spec.trigger === 'rollback') return runRollback(input, deps, opts);
  let ctx: RunContext | undefined;
  try {
    ctx = await prepare(input, deps);
    await applyRepoConfig(ctx);
    const outcome = await improve(ctx);
    return { outcome: withPolicy(outcome, ctx), report: ctx.report };
  } catch (err) {
    const reason = reasonOf(err);
    deps.logger.error({ reason, err: errorMessage(err) }, 'run failed');
    return {
      outcome: withPolicy(
        failedOutcome(reason, errorMessage(err), ctx?.branch ?? input.target.spec.branches.work),
        ctx,
      ),
      report: ctx?.report ?? emptyReport,
    };
  } finally {
    // The bench holds only scratch (exported trees are removed after each check).
    await ctx?.bench?.cleanup();
    if (ctx && !opts.keepWorkdir) await rm(ctx.dir, { recursive: true, force: true });
  }
}

/**
 * Every outcome says which policy the run applied (once the repository
 * config was read) and how the extra checks stood on the unchanged tree
 * (a kept change has already recorded them on its own tree).
 */
function withPolicy(outcome: RunOutcome, ctx: RunContext | undefined): RunOutcome {
  const quality = outcome.quality ?? qualityOf(ctx?.baselineChecks);
  return {
    ...outcome,
    ...(ctx?.policy ? { policy: ctx.policy } : {}),
    ...(quality ? { quality } : {}),
    ...(ctx?.security ? { security: securityStatus(ctx.security) } : {}),
  };
}

async function improve(ctx: RunContext): Promise<RunOutcome> {
  const d = await decide(ctx);
  const branch = ctx.branch;
  if (!d.result) {
    await pushPendingState(ctx);
    const blocked = ctx.report.blocked.length > 0;
    return noChange(
      branch,
      blocked ? 'PolicyBlocked' : 'NothingToDo',
      blocked
        ? `all ${ctx.report.blocked.length} candidates blocked: ${ctx.report.blocked[0]?.why}`
        : 'no candidate improvement found',
      ctx,
    );
  }
  if (d.result.kind === 'none') {
    await pushPendingState(ctx);
    return noChange(branch, d.result.reason, d.result.message, ctx);
  }
  const attempt = await implement(ctx, d.repoCtx, d.result.proposal);
  switch (attempt.kind) {
    case 'dry-run':
      return noChange(branch, 'DryRun', `would commit: ${attempt.proposal.title}`, ctx);
    case 'no-change':
      await pushPendingState(ctx);
      return noChange(branch, attempt.reason, attempt.message, ctx);
    case 'failed': {
      const { consecutiveFailures, askedHuman, questionIssue } = await recordFailure(
        ctx,
        attempt.reason,
        attempt.message,
      );
      const p = attempt.proposal;
      return {
        ...failedOutcome(attempt.reason, attempt.message, branch),
        improvement: {
          type: p.type,
          priority: p.priority,
          title: p.title.slice(0, 256),
          rationale: p.rationale.slice(0, 4096),
          ...(p.candidate.issue ? { issue: p.candidate.issue } : {}),
        },
        tests: testsStatus(ctx, attempt.tests),
        coverage: ctx.baseline?.coverage,
        ...(questionIssue ? { questionIssue } : {}),
        message: `${attempt.message}; ${consecutiveFailures} failure(s) in a row${askedHuman ? '; asked a human' : ''}`,
      };
    }
    case 'passed': {
      const rest = d.allowed.filter((c) => c.id !== attempt.proposal.candidate.id);
      const quality = qualityOf(ctx.baselineChecks, attempt.checks);
      const published = await publish(ctx, attempt, rest);
      // The scan the status reports is of the branch as this run leaves it.
      if (attempt.proposal.candidate.advisory)
        ctx.security = await scanDependencies(ctx.dir, { advisoryDb: ctx.input.advisoryDb });
      return { ...published, ...(quality ? { quality } : {}) };
    }
  }
}

function noChange(
  branch: string,
  reason: RunOutcome['noChangeReason'] & string,
  message: string,
  ctx: RunContext,
): RunOutcome {
  return {
    phase: 'NoChange',
    noChangeReason: reason,
    message,
    branch,
    ...(ctx.report.chosen
      ? {
          improvement: {
            type: ctx.report.chosen.type,
            priority: ctx.report.chosen.priority,
            title: ctx.report.chosen.title.slice(0, 256),
          },
        }
      : {}),
    tests: testsStatus(ctx, ctx.baseline),
    coverage: ctx.baseline?.coverage,
  };
}
