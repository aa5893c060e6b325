// What each improvement type has yielded for a target, from the operator's
// own record of outcomes (not from files in the repository, which a change
// could forge), and the back-off of a type that keeps failing: after
// BACKOFF_AFTER failed or reverted attempts in a row it sits out 2, 4, 8 …
// (at most MAX_BACKOFF_RUNS) of the target's runs, then gets another try.
// Pure: the target reconciler applies it to each run it counts.
import type { ImprovementTargetStatus, ImprovementType } from '../crds/index.ts';
import type { ImprovementRun } from './types.ts';

export const BACKOFF_AFTER = 3;
export const MAX_BACKOFF_RUNS = 64;

export type TypeYield = NonNullable<ImprovementTargetStatus['yields']>[number];

const empty = (type: ImprovementType): TypeYield => ({
  type,
  attempts: 0,
  kept: 0,
  failed: 0,
  reverted: 0,
  noChange: 0,
  streak: 0,
});

/** The run a succeeded rollback undid, among the runs that still exist. */
function undone(rollback: ImprovementRun, runs: ImprovementRun[]): ImprovementRun | undefined {
  const rb = rollback.spec.rollback;
  if (!rb) return undefined;
  if (rb.run) return runs.find((r) => r.metadata.name === rb.run);
  const sha = rb.commit;
  return sha
    ? runs.find(
        (r) =>
          r.status?.commit?.startsWith(sha) ||
          r.status?.pullRequest?.mergeCommitSha?.startsWith(sha),
      )
    : undefined;
}

/**
 * Folds one newly counted run into the yields. `runNumber` is the target's
 * run count after this run (totals.runs), the clock back-offs are kept in.
 */
export function recordYield(
  yields: TypeYield[] | undefined,
  run: ImprovementRun,
  runs: ImprovementRun[],
  runNumber: number,
): TypeYield[] | undefined {
  const s = run.status;
  let type = s?.improvement?.type;
  let outcome: 'kept' | 'failed' | 'reverted' | 'noChange' | undefined;
  if (run.spec.trigger === 'rollback') {
    if (s?.phase !== 'Succeeded') return yields;
    type = undone(run, runs)?.status?.improvement?.type;
    outcome = 'reverted';
  } else if (s?.phase === 'Succeeded') outcome = 'kept';
  else if (s?.phase === 'Failed') outcome = 'failed';
  else if (s?.phase === 'NoChange') outcome = 'noChange';
  if (!type || !outcome) return yields;
  const all = [...(yields ?? [])];
  const i = all.findIndex((y) => y.type === type);
  const y = { ...(i >= 0 ? all[i]! : empty(type)) };
  if (outcome !== 'reverted') y.attempts++;
  y[outcome]++;
  if (outcome === 'kept') {
    y.streak = 0;
    delete y.backoffUntilRun;
  } else if (outcome === 'failed' || outcome === 'reverted') {
    y.streak++;
    if (y.streak >= BACKOFF_AFTER)
      y.backoffUntilRun =
        runNumber + Math.min(MAX_BACKOFF_RUNS, 2 ** (y.streak - BACKOFF_AFTER + 1));
  }
  if (i >= 0) all[i] = y;
  else all.push(y);
  return all;
}

/** Counts a run whose change reached main (once per run: the caller's accounting sees to it). */
export function recordMerge(
  yields: TypeYield[] | undefined,
  run: ImprovementRun,
): TypeYield[] | undefined {
  const type = run.status?.improvement?.type;
  // A pull request risk routing sent to the work branch has not reached main by merging.
  if (!type || run.status?.risk?.route === 'work') return yields;
  const all = [...(yields ?? [])];
  const i = all.findIndex((y) => y.type === type);
  const y = { ...(i >= 0 ? all[i]! : empty(type)) };
  y.merged = (y.merged ?? 0) + 1;
  if (i >= 0) all[i] = y;
  else all.push(y);
  return all;
}

/** Merged changes not reverted since, per type: what ramp-up counts. */
export function earnedOf(
  yields: TypeYield[] | undefined,
): { type: ImprovementType; merged: number }[] {
  return (yields ?? [])
    .map((y) => ({ type: y.type, merged: Math.max(0, (y.merged ?? 0) - y.reverted) }))
    .filter((e) => e.merged > 0);
}

/** Kept changes that stayed (not reverted), per attempt: 0..1. */
export function yieldOf(y: TypeYield): number {
  return y.attempts ? Math.max(0, y.kept - y.reverted) / y.attempts : 0;
}

/** The types sitting out the next run, with why, for the runner's policy. */
export function backedOff(
  yields: TypeYield[] | undefined,
  runsSoFar: number,
): { type: ImprovementType; why: string }[] {
  return (yields ?? [])
    .filter((y) => y.backoffUntilRun !== undefined && runsSoFar < y.backoffUntilRun)
    .map((y) => ({
      type: y.type,
      why: `its last ${y.streak} attempts failed or were reverted; it sits out until run ${y.backoffUntilRun} of this target (now ${runsSoFar})`,
    }));
}
