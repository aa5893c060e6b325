// Steps 6-7: apply the proposal (in memory first, under the edit rules),
// write the tree object it makes, run set-up and tests on an export of that
// tree, and give the improver at most one repair round with the failing
// output. Whatever does not pass leaves the work tree exactly as it was.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OperatorError } from '../../util/errors.ts';
import { secrets } from '../../util/logger.ts';
import type { NoChangeReason } from '../outcome.ts';
import { resolveGitleaks, scanForSecrets } from '../secrets/scan.ts';
import { gate } from '../testing/gate.ts';
import type { CheckRun, TestRun } from '../testing/run-tests.ts';
import type { Proposal, RepoContext } from '../types.ts';
import type { RunContext } from './context.ts';
import { checkTree } from './test-step.ts';

export type Attempt =
  | {
      kind: 'passed';
      proposal: Proposal;
      files: string[];
      linesChanged: number;
      diff: string;
      /** The tree object the tests passed on: the commit is made of exactly this. */
      tree: string;
      tests?: TestRun;
      /** The extra checks on that tree (those with a baseline). */
      checks?: CheckRun[];
      repaired: boolean;
    }
  | { kind: 'dry-run'; proposal: Proposal; files: string[]; linesChanged: number; diff: string }
  | { kind: 'no-change'; reason: NoChangeReason; message: string; proposal?: Proposal }
  | {
      kind: 'failed';
      reason: 'TestsFailed' | 'ChecksWorse';
      proposal: Proposal;
      message: string;
      tests?: TestRun;
      /** What the repair round is shown: the failing tests', or the worsened check's output. */
      feedback?: string;
    };

async function applyAndTest(ctx: RunContext, proposal: Proposal) {
  const { spec, deps, git } = ctx;
  const applied = await deps.applyEdits(ctx.dir, proposal.blocks, {
    type: proposal.type,
    maxFilesChanged: spec.policy.maxFilesChanged,
    maxLinesChanged: spec.policy.maxLinesChanged,
    maxFileBytes: spec.policy.maxFileBytes,
    maxLineLength: spec.policy.maxLineLength,
    protectedPaths: [...spec.policy.protectedPaths, ...ctx.ignorePaths, `${spec.stateDir}/**`],
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
  await refuseSecrets(ctx, proposal, applied.changedFiles);
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
  // The tree object is what gets tested and, if it passes, committed as it is.
  const tree = await git.treeWith(applied.changedFiles);
  if (!ctx.testCommand) return { kind: 'passed' as const, ...base, tree, repaired: false };
  const { tests, checks } = await checkTree(ctx, tree, 'candidate');
  const verdict = gate({
    type: proposal.type,
    before: ctx.baseline,
    after: tests,
    checksBefore: ctx.baselineChecks,
    checksAfter: checks,
  });
  if (verdict.ok) return { kind: 'passed' as const, ...base, tree, tests, checks, repaired: false };
  await git.restore();
  if (verdict.kind === 'rejected')
    return {
      kind: 'no-change' as const,
      reason: verdict.reason,
      message: verdict.message,
      proposal,
    };
  const worse = checks.find((c) => c.name === verdict.check);
  return {
    kind: 'failed' as const,
    reason: worse ? ('ChecksWorse' as const) : ('TestsFailed' as const),
    proposal,
    message: verdict.message,
    tests,
    feedback: worse ? `${verdict.message}\n${worse.outputTail}` : tests.outputTail,
  };
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
  const repair = await ctx.deps.improver.repair(repoCtx, proposal, first.feedback ?? '');
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

// What else of a proposal reaches the remote besides file contents: commit
// messages and the state files carry its title and rationale, trees its file
// names. Scanned as one pseudo-file under this name.
const PROPOSAL_TEXT = 'proposal-title-rationale-and-file-names.txt';

/** A credential in the change ends the run before anything is tested, committed or pushed. */
async function refuseSecrets(ctx: RunContext, proposal: Proposal, paths: string[]): Promise<void> {
  const files = [
    { path: PROPOSAL_TEXT, content: [proposal.title, proposal.rationale, ...paths].join('\n') },
  ];
  for (const path of paths) {
    const content = await readFile(join(ctx.dir, path), 'utf8').catch(() => undefined);
    if (content !== undefined) files.push({ path, content });
  }
  const scan = await scanForSecrets({
    files,
    ownSecrets: secrets.list(),
    gitleaks: resolveGitleaks({}),
  });
  if (scan.note) ctx.log.warn({ scanner: scan.scanner }, scan.note);
  const hit = scan.findings[0];
  if (!hit) return;
  await ctx.git.restore();
  throw new OperatorError(
    'SecretInDiff',
    `the change contains a credential (rule ${hit.rule} in ${hit.path === PROPOSAL_TEXT ? "the proposal's title, rationale or file names" : `${hit.path}${hit.line ? `:${hit.line}` : ''}`}, ${scan.scanner}); nothing was committed or pushed`,
  );
}
