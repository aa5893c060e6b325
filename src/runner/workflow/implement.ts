// Steps 6-7: apply the proposal, run the tests, and give the improver at
// most one repair round with the failing output. Whatever does not pass
// leaves the work tree exactly as it was.
import type { NoChangeReason } from '../outcome.ts';
import { gate } from '../testing/gate.ts';
import { runTests, type TestRun } from '../testing/run-tests.ts';
import type { Proposal, RepoContext } from '../types.ts';
import type { RunContext } from './context.ts';

export type Attempt =
  | {
      kind: 'passed';
      proposal: Proposal;
      files: string[];
      linesChanged: number;
      diff: string;
      tests?: TestRun;
      repaired: boolean;
    }
  | { kind: 'dry-run'; proposal: Proposal; files: string[]; linesChanged: number; diff: string }
  | { kind: 'no-change'; reason: NoChangeReason; message: string; proposal?: Proposal }
  | { kind: 'failed'; proposal: Proposal; message: string; tests?: TestRun };

async function applyAndTest(ctx: RunContext, proposal: Proposal) {
  const { spec, deps, git } = ctx;
  const applied = await deps.applyEdits(ctx.dir, proposal.blocks, {
    maxFilesChanged: spec.policy.maxFilesChanged,
    maxLinesChanged: spec.policy.maxLinesChanged,
    protectedPaths: [...spec.policy.protectedPaths, `${spec.stateDir}/**`],
  });
  if (!applied.ok) {
    await git.restore();
    return {
      kind: 'no-change' as const,
      reason: applied.reason,
      message: applied.message,
      proposal,
    };
  }
  const diff = await git.diff(applied.changedFiles);
  const base = {
    proposal,
    files: applied.changedFiles,
    linesChanged: applied.linesChanged,
    diff,
  };
  if (ctx.input.dryRun) {
    await git.restore();
    return { kind: 'dry-run' as const, ...base };
  }
  const tests = ctx.testCommand
    ? await (deps.runTests ?? runTests)(ctx.dir, ctx.testCommand, {
        timeoutSeconds: spec.tests.timeoutSeconds,
      })
    : undefined;
  if (!tests) return { kind: 'passed' as const, ...base, tests, repaired: false };
  const verdict = gate({ type: proposal.type, before: ctx.baseline, after: tests, diff });
  if (verdict.ok) return { kind: 'passed' as const, ...base, tests, repaired: false };
  await git.restore();
  if (verdict.kind === 'rejected')
    return {
      kind: 'no-change' as const,
      reason: verdict.reason,
      message: verdict.message,
      proposal,
    };
  return { kind: 'failed' as const, proposal, message: verdict.message, tests };
}

export async function implement(
  ctx: RunContext,
  repoCtx: RepoContext,
  proposal: Proposal,
): Promise<Attempt> {
  const first = await applyAndTest(ctx, proposal);
  ctx.report.chosen = proposal;
  if (first.kind === 'dry-run' || first.kind === 'passed') ctx.report.diff = first.diff;
  if (first.kind !== 'failed') return first;
  ctx.log.info({ message: first.message }, 'tests failed; one repair round');
  const repair = await ctx.deps.improver.repair(repoCtx, proposal, first.tests?.outputTail ?? '');
  if (repair.kind !== 'proposal') return first;
  const second = await applyAndTest(ctx, repair.proposal);
  if (second.kind === 'passed') {
    ctx.report.chosen = repair.proposal;
    ctx.report.diff = second.diff;
    return { ...second, repaired: true };
  }
  // The repair could not be applied or failed again: the run failed on tests.
  return second.kind === 'failed' ? second : first;
}
