// Steps 4-5: baseline tests, analysis, policy, and the improver's choice.
import { protectedBy } from '../edits/paths.ts';
import { HARNESS_AND_GOVERNANCE_GLOBS } from '../files/kinds.ts';
import { analyse, type Analysis } from '../analysis/index.ts';
import { readRepoFileForPrompt } from '../improver/untrusted.ts';
import { applyPolicy } from '../policy/index.ts';
import { proposeAdvisoryFix } from '../security/fix.ts';
import { scanDependencies } from '../security/osv.ts';
import { StateStore, type StateSnapshot } from '../state/index.ts';
import type { Candidate, ProposeResult, RepoContext } from '../types.ts';
import type { RunContext } from './context.ts';
import { baselineTests } from './test-step.ts';

export const DEFAULT_REPO_MAP_TOKENS = 1500;

export interface Decision {
  analysis: Analysis;
  snapshot: StateSnapshot;
  allowed: Candidate[];
  repoCtx: RepoContext;
  result: ProposeResult | undefined;
}

export function repoContext(ctx: RunContext, repoMap: string, summary: string): RepoContext {
  return {
    dir: ctx.dir,
    repoMap,
    testCommand: ctx.testCommand,
    coveragePercent: ctx.baseline?.coverage,
    stateSummary: summary,
    // Only through the file's real path inside the clone: no symlinks out, no .git, no /proc.
    readFile: (path: string) => readRepoFileForPrompt(ctx.dir, path),
  };
}

export async function decide(ctx: RunContext): Promise<Decision> {
  const { spec, deps, git } = ctx;
  // Set-up and tests run on an export of HEAD, never in this clone.
  ctx.baseline = await baselineTests(ctx);
  const protectedGlobs = [
    ...HARNESS_AND_GOVERNANCE_GLOBS,
    ...spec.policy.protectedPaths,
    ...ctx.ignorePaths,
  ];
  ctx.security = await scanDependencies(ctx.dir, { advisoryDb: ctx.input.advisoryDb });
  if (ctx.security.note) ctx.log.warn({ why: ctx.security.note }, 'dependency scan incomplete');
  const analysis = await analyse({
    dir: ctx.dir,
    advisories: ctx.security.findings,
    forge: deps.forge,
    labels: spec.labels,
    baseline: ctx.baseline,
    repoMapTokens: ctx.input.repoMapTokens ?? DEFAULT_REPO_MAP_TOKENS,
    exclude: (p) =>
      p.startsWith(`${spec.stateDir}/`) || protectedBy(p, protectedGlobs) !== undefined,
  });
  ctx.report.candidates = analysis.candidates;

  const snapshot = await ctx.state.read();
  const { main, work, strategy } = spec.branches;
  const prHead = strategy === 'develop' ? work : 'autonomous/';
  const hasPrs = deps.forge.capabilities.pullRequests;
  const [open, merged] = hasPrs
    ? await Promise.all([
        deps.forge.listOpenPullRequests(prHead),
        deps.forge.listMergedPullRequests(prHead, main, 100),
      ])
    : [[], []];
  const onMain = new Set<string>();
  for (const e of snapshot.improvements)
    if (e.commit && (await git.isAncestor(e.commit, `origin/${main}`))) onMain.add(e.commit);
  const policy = applyPolicy(analysis.candidates, {
    allowedTypes: spec.policy.allowedTypes,
    rampUp: spec.policy.rampUp,
    maxOpenPullRequests: spec.policy.maxOpenPullRequests,
    strategy,
    openPullRequests: open.length,
    pullRequests: hasPrs,
    improvements: snapshot.improvements,
    yields: ctx.input.target.yields,
    backedOff: ctx.input.target.backedOff,
    earned: ctx.input.target.earned,
    evidence: {
      mergedPullRequests: new Set(merged.filter((p) => p.merged).map((p) => p.number)),
      isOnMain: (c) => onMain.has(c),
    },
  });
  ctx.report.blocked = policy.blocked;
  ctx.report.rampLevel = policy.level;
  ctx.log.info(
    {
      candidates: analysis.candidates.length,
      allowed: policy.allowed.length,
      rampLevel: policy.level,
      openPullRequests: open.length,
    },
    'analysis done',
  );
  const repoCtx = repoContext(ctx, analysis.repoMap, StateStore.summary(snapshot));
  // An advisory at the top is fixed the way the advisory says, by the
  // package manager, whichever improver runs; one that cannot be fixed here
  // steps aside for the next candidate.
  let allowed = policy.allowed;
  let result: ProposeResult | undefined;
  while (allowed[0]?.advisory && !result) {
    const fix = await proposeAdvisoryFix(ctx, allowed[0]);
    if (fix.kind === 'proposal') result = fix;
    else {
      ctx.report.blocked.push({ candidate: allowed[0], why: fix.message });
      ctx.log.warn({ candidate: allowed[0].id, why: fix.message }, 'advisory fix not possible');
      allowed = allowed.slice(1);
    }
  }
  result ??= allowed.length ? await deps.improver.propose(repoCtx, allowed) : undefined;
  return { analysis, snapshot, allowed, repoCtx, result };
}
