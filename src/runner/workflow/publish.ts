// Step 8, on pass: commit the change, push, open or update the PR, record
// the improvement (with its commit and PR) in the state files, push again,
// and merge when autoMerge allows it.
import type { RunOutcome } from '../outcome.ts';
import type { ForgePullRequest } from '../../forge/types.ts';
import { addImprovement, addPlanItem, checkPlanItem, updateState } from '../state/index.ts';
import type { Candidate } from '../types.ts';
import type { TestRun } from '../testing/run-tests.ts';
import type { RunContext } from './context.ts';
import type { Attempt } from './implement.ts';
import { commitMessage, pullRequestBody, slugify } from './messages.ts';
import { fastForwardMain, pushBranch } from './push.ts';
import { withRunTrailer } from '../rollback/git-verbs.ts';
import { qualityOf } from '../testing/quality.ts';
import { advanceMerge, gateRecord, mergePolicyOf, needsApproval } from '../../forge/merge-gate.ts';
import { riskOf, routeOf, type RiskStatus } from '../policy/risk.ts';

type Passed = Extract<Attempt, { kind: 'passed' }>;

export async function publish(
  ctx: RunContext,
  attempt: Passed,
  next: Candidate[],
): Promise<RunOutcome> {
  const { git, spec, deps } = ctx;
  const { proposal, files, tests } = attempt;
  const { main, work, strategy } = spec.branches;
  if (strategy === 'autonomous') {
    ctx.branch = `autonomous/${slugify(proposal.title)}-${Date.now().toString(36)}`;
    await git.checkoutNewBranch(ctx.branch, 'HEAD');
  }
  // Exactly the tree that passed; the trailer lets a rollback find what this run committed.
  await git.commitTree(
    attempt.tree,
    withRunTrailer(commitMessage(proposal, files), ctx.input.run.name),
  );
  ctx.pendingCommits++;
  const coverageBefore = ctx.baseline?.coverage;

  // The change goes up first; its sha is final once pushed (a rebase may rewrite it).
  const commit = await pushBranch(ctx, ctx.branch);
  const risk = strategy === 'autonomous' ? assessRisk(ctx, attempt) : undefined;
  // The work branch must exist for a pull request against it: from main.
  if (risk?.route === 'work') await ensureBranch(ctx, work, main);
  // A change policy.requireApproval lists (or a high-risk one) opens as a labelled draft and waits for a human.
  const approval =
    needsApproval(spec.policy.requireApproval, proposal) || risk?.route === 'approval';
  let pr: ForgePullRequest | undefined;
  if (deps.forge.capabilities.pullRequests) {
    pr = await deps.forge.createOrUpdatePullRequest({
      ...(approval ? { draft: true, labels: [spec.labels.approval] } : {}),
      head: ctx.branch,
      base: risk?.route === 'work' ? work : main,
      title: strategy === 'develop' ? `OpenCode: improvements from ${work}` : proposal.title,
      body: pullRequestBody({
        proposal,
        files,
        linesChanged: attempt.linesChanged,
        tests,
        coverageBefore,
        commit,
        runName: ctx.input.run.name,
        risk,
      }),
    });
  }

  const title = proposal.title.replace(/\s+/g, ' ').trim();
  await ctx.state.update('improvements', (t) =>
    addImprovement(t, {
      date: ctx.today,
      title,
      type: proposal.type,
      scope: files.join(', '),
      impact: impactLine(proposal.rationale, tests?.coverage, coverageBefore),
      commit: commit.slice(0, 12),
      pr: pr?.number,
      run: ctx.input.run.name,
    }),
  );
  await ctx.state.update('state', (t) =>
    updateState(t, {
      date: ctx.today,
      status: `${proposal.type}: ${title}`,
      focus: title,
      recentChange: `${ctx.today}: ${title} (${commit.slice(0, 7)}${pr ? `, PR #${pr.number}` : ''})`,
      nextActions: next.slice(0, 3).map((c) => c.title),
      coverage: tests?.coverage,
      findings: qualityOf(ctx.baselineChecks, attempt.checks)?.findings,
      result: 'success',
    }),
  );
  await ctx.state.update('plan', (t) =>
    checkPlanItem(
      addPlanItem(t, proposal.priority <= 'P1' ? 'Short Term' : 'Medium Term', title),
      title,
    ),
  );
  await git.add([ctx.state.path('state'), ctx.state.path('plan'), ctx.state.path('improvements')]);
  await git.commit(`chore(opencode): record ${title}`.slice(0, 100));
  ctx.pendingCommits++;
  await pushBranch(ctx, ctx.branch);

  let merged = false;
  let mergedAt: string | null = null;
  let gate: ReturnType<typeof gateRecord> | undefined;
  let mergeCommitSha: string | undefined;
  if (spec.autoMerge && pr && approval) {
    const now = deps.now?.() ?? new Date();
    gate = {
      state: 'AwaitingApproval',
      message:
        risk?.route === 'approval'
          ? `waiting for a human to approve: risk ${risk.score} reaches policy.risk.approvalFrom ${spec.policy.risk.approvalFrom}`
          : `waiting for a human to approve: policy.requireApproval lists ${proposal.type} ${proposal.priority} changes`,
      headSha: commit,
      headSeenAt: now.toISOString(),
      lastTransitionTime: now.toISOString(),
    };
  } else if (spec.autoMerge && pr) {
    // The gate decides; right after the push it usually waits for checks, and the operator's forge check finishes the merge.
    const now = deps.now?.() ?? new Date();
    const step = await advanceMerge(
      deps.forge,
      pr.number,
      mergePolicyOf(spec),
      undefined,
      now.getTime(),
    );
    ctx.log.info({ pr: pr.number, gate: step.state, message: step.message }, 'merge gate');
    gate = gateRecord(step, undefined, now);
    merged = step.state === 'Merged';
    mergedAt = step.mergedAt ?? null;
    mergeCommitSha = step.mergeCommitSha ?? undefined;
  } else if (spec.autoMerge && !deps.forge.capabilities.pullRequests && !approval) {
    merged = await fastForwardMain(ctx);
    if (merged) mergedAt = (deps.now?.() ?? new Date()).toISOString();
  }

  return {
    phase: 'Succeeded',
    improvement: {
      type: proposal.type,
      priority: proposal.priority,
      title: title.slice(0, 256),
      rationale: proposal.rationale.slice(0, 4096),
      ...(proposal.candidate.issue ? { issue: proposal.candidate.issue } : {}),
      filesChanged: files.length,
      linesChanged: attempt.linesChanged,
    },
    tests: testsStatus(ctx, tests),
    branch: ctx.branch,
    commit,
    ...(pr
      ? {
          pullRequest: {
            number: pr.number,
            url: pr.url,
            merged,
            mergedAt,
            ...(mergeCommitSha ? { mergeCommitSha } : {}),
            ...(gate ? { gate } : {}),
          },
        }
      : {}),
    ...(!pr && merged ? { pullRequest: { merged, mergedAt } } : {}),
    ...(risk ? { risk } : {}),
    coverage: tests?.coverage ?? coverageBefore,
    message: attempt.repaired ? 'passed after one repair round' : undefined,
  };
}

/** The change's risk and route under policy.risk (strategy autonomous). */
function assessRisk(ctx: RunContext, attempt: Passed): RiskStatus {
  const { spec } = ctx;
  const { score, reasons } = riskOf({
    type: attempt.proposal.type,
    files: attempt.files,
    linesChanged: attempt.linesChanged,
    maxLinesChanged: spec.policy.maxLinesChanged,
    hasTests: !!ctx.testCommand,
    executedBefore: ctx.baseline?.executed,
    executedAfter: attempt.tests?.executed,
    coverageBefore: ctx.baseline?.coverage,
    coverageAfter: attempt.tests?.coverage,
  });
  const route = routeOf(score, spec.policy.risk);
  ctx.log.info({ score, route }, 'risk');
  return { score, route, reasons: reasons.slice(0, 12).map((r) => r.slice(0, 256)) };
}

/** Creates `branch` on the remote at `from` when it is missing (never moves an existing one). */
async function ensureBranch(ctx: RunContext, branch: string, from: string): Promise<void> {
  if (await ctx.git.remoteBranchExists(branch)) return;
  await ctx.git.push(`origin/${from}`, branch);
}

function impactLine(rationale: string, after?: number, before?: number): string {
  const cov =
    after !== undefined && before !== undefined && after !== before
      ? ` Coverage ${before}% → ${after}%.`
      : '';
  return `${rationale.replace(/\s+/g, ' ').trim().slice(0, 200)}${cov}`;
}

export function testsStatus(ctx: RunContext, t: TestRun | undefined): RunOutcome['tests'] {
  const where = {
    ...(ctx.setupCommand ? { setupCommand: ctx.setupCommand } : {}),
    ...(ctx.report.isolation ? { isolation: ctx.report.isolation } : {}),
  };
  if (!t) return ctx.testCommand ? { command: ctx.testCommand, ...where } : undefined;
  return {
    command: t.command,
    ...where,
    passed: t.passed,
    ...(ctx.baseline?.executed !== undefined ? { executedBefore: ctx.baseline.executed } : {}),
    ...(t.executed !== undefined ? { executedAfter: t.executed } : {}),
    durationSeconds: t.durationSeconds,
    ...(ctx.baseline?.coverage !== undefined ? { coverageBefore: ctx.baseline.coverage } : {}),
    ...(t.coverage !== undefined ? { coverageAfter: t.coverage } : {}),
    outputTail: t.outputTail.slice(-8000),
  };
}
