// Folds finished runs into the target status exactly once, and picks the
// runs that history limits allow to be pruned. Pure functions.
import { recordMerge, recordYield } from './yield.ts';
import type { ImprovementTargetStatus } from '../crds/index.ts';
import { isTerminal, type ImprovementRun } from './types.ts';

export const LABEL_COUNTED = 'opencode.dev/counted';
export const LABEL_MERGE_COUNTED = 'opencode.dev/merge-counted';

type Totals = NonNullable<ImprovementTargetStatus['totals']>;
const zero = (): Totals => ({
  runs: 0,
  succeeded: 0,
  failed: 0,
  noChange: 0,
  merged: 0,
  reverted: 0,
});

const completedAt = (r: ImprovementRun) =>
  Date.parse(r.status?.completionTime ?? String(r.metadata.creationTimestamp ?? 0)) || 0;

export const isCounted = (r: ImprovementRun, status: ImprovementTargetStatus | undefined) =>
  r.metadata.labels?.[LABEL_COUNTED] === 'true' ||
  (status?.countedRuns ?? []).includes(r.metadata.name);

export interface Accounted {
  status: ImprovementTargetStatus;
  /** Runs counted by this call, oldest first: emit their Events and metrics once the status is saved. */
  newlyCounted: ImprovementRun[];
  /** Runs whose pull request was first seen merged by this call. */
  newlyMerged: ImprovementRun[];
}

const mergeKey = (r: ImprovementRun) => `merged:${r.metadata.name}`;
const isMergeCounted = (r: ImprovementRun, status: ImprovementTargetStatus | undefined) =>
  r.metadata.labels?.[LABEL_MERGE_COUNTED] === 'true' ||
  (status?.countedRuns ?? []).includes(mergeKey(r));

export function account(
  prior: ImprovementTargetStatus | undefined,
  runs: ImprovementRun[],
): Accounted {
  const status: ImprovementTargetStatus = { ...prior, totals: { ...zero(), ...prior?.totals } };
  const fresh = runs
    .filter((r) => isTerminal(r) && !isCounted(r, prior))
    .sort((a, b) => completedAt(a) - completedAt(b));
  const totals = status.totals!;
  for (const run of fresh) {
    const s = run.status!;
    totals.runs++;
    if (s.phase === 'Succeeded' && run.spec.trigger === 'rollback') totals.reverted++;
    if (s.phase === 'Succeeded') totals.succeeded++;
    else if (s.phase === 'NoChange') totals.noChange++;
    else totals.failed++;
    status.consecutiveFailures = s.phase === 'Failed' ? (status.consecutiveFailures ?? 0) + 1 : 0;
    if (s.phase === 'Succeeded' && s.completionTime) status.lastSuccessfulTime = s.completionTime;
    const after = s.tests?.coverageAfter;
    if (after !== undefined && s.phase !== 'Failed')
      status.coverage = { previous: status.coverage?.current, current: after };
    status.yields = recordYield(status.yields, run, runs, totals.runs);
    const findings = s.quality?.findings;
    if (findings !== undefined)
      status.quality = { previous: status.quality?.current, current: findings };
    // A scan that did not complete (note) says nothing about the branch.
    if (s.security?.scanner && !s.security.note)
      status.security = {
        findings: s.security.findings,
        scanner: s.security.scanner,
        run: run.metadata.name,
      };
    const last = status.lastRun;
    if (!last?.completionTime || completedAt(run) >= Date.parse(last.completionTime)) {
      status.lastRun = {
        name: run.metadata.name,
        result: s.phase as 'Succeeded' | 'NoChange' | 'Failed',
        improvementType: s.improvement?.type,
        pullRequestUrl: s.pullRequest?.url,
        commit: s.commit,
        completionTime: s.completionTime,
      };
    }
  }
  // A pull request reaching main is counted once per run it carries, whoever saw it (operator or a later run).
  const merged = runs.filter((r) => r.status?.pullRequest?.merged && !isMergeCounted(r, prior));
  totals.merged += merged.length;
  for (const r of merged) status.yields = recordMerge(status.yields, r);
  // Exactly once by construction: the list names every counted run that
  // still exists, and a run leaves it only when the run itself is gone. (A
  // list bounded by count forgot runs kept longer than it, and the label
  // written after the status could be lost to a kill in between.) Its size
  // is bounded by the history limits.
  const added = [...fresh.map((r) => r.metadata.name), ...merged.map(mergeKey)];
  const exists = new Set(runs.map((r) => r.metadata.name));
  const before = prior?.countedRuns ?? [];
  const kept = before.filter((k) => exists.has(k.startsWith('merged:') ? k.slice(7) : k));
  if (added.length || kept.length !== before.length) status.countedRuns = [...kept, ...added];
  return { status, newlyCounted: fresh, newlyMerged: merged };
}

/** Finished, counted runs beyond the history limits, oldest first. NoChange counts as successful history. */
export function runsToPrune(
  runs: ImprovementRun[],
  status: ImprovementTargetStatus | undefined,
  limits: { successful: number; failed: number },
): ImprovementRun[] {
  const done = runs.filter(
    (r) => isTerminal(r) && isCounted(r, status) && !r.metadata.deletionTimestamp,
  );
  const newestFirst = (a: ImprovementRun, b: ImprovementRun) => completedAt(b) - completedAt(a);
  const failed = done.filter((r) => r.status?.phase === 'Failed').sort(newestFirst);
  const ok = done.filter((r) => r.status?.phase !== 'Failed').sort(newestFirst);
  return [...ok.slice(limits.successful), ...failed.slice(limits.failed)];
}
