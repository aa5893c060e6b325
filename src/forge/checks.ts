// One reading of a commit's statuses and check runs, shared by the forges:
// a verdict per check, and the combined verdict.
import type { ChecksState, CheckVerdict, ReportedCheck } from './types.ts';

export type StatusState = 'success' | 'pending' | 'failure' | 'error' | 'warning' | string;

export interface CheckRunLike {
  status: string; // queued | in_progress | completed | waiting | requested | pending
  conclusion: string | null;
}

// Conclusions that do not block a merge (GitHub's own branch protection treats these as passing).
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

export function statusVerdict(state: StatusState): CheckVerdict {
  if (state === 'failure' || state === 'error') return 'failure';
  return state === 'success' || state === 'warning' ? 'success' : 'pending';
}

export function checkRunVerdict(run: CheckRunLike): CheckVerdict {
  if (run.status !== 'completed' || run.conclusion === null) return 'pending';
  return PASSING_CONCLUSIONS.has(run.conclusion) ? 'success' : 'failure';
}

/**
 * failure if anything failed; pending if anything is still running; success
 * when everything reported is green; none when nothing reported at all.
 */
export function combineChecks(statuses: StatusState[], checkRuns: CheckRunLike[]): ChecksState {
  const verdicts = [...statuses.map(statusVerdict), ...checkRuns.map(checkRunVerdict)];
  return combineVerdicts(verdicts);
}

export function combineVerdicts(verdicts: CheckVerdict[]): ChecksState {
  if (verdicts.length === 0) return 'none';
  if (verdicts.includes('failure')) return 'failure';
  return verdicts.includes('pending') ? 'pending' : 'success';
}

/**
 * Every check that reported on a commit, by name: the newest status of each
 * context (forges list them newest first) and each check run. A name that
 * is both a status and a check run keeps its worse verdict.
 */
export function reportedChecks(
  statuses: Array<{ context: string; state: StatusState }>,
  checkRuns: Array<CheckRunLike & { name: string }>,
): ReportedCheck[] {
  const rank: Record<CheckVerdict, number> = { success: 0, pending: 1, failure: 2 };
  const byName = new Map<string, CheckVerdict>();
  const put = (name: string, v: CheckVerdict) => {
    const had = byName.get(name);
    if (had === undefined || rank[v] > rank[had]) byName.set(name, v);
  };
  for (const s of latestPerContext(statuses)) put(s.context, statusVerdict(s.state));
  for (const r of checkRuns) put(r.name, checkRunVerdict(r));
  return [...byName].map(([name, state]) => ({ name, state }));
}

/** The latest status per context: forges list statuses newest first. */
export function latestPerContext<T extends { context: string }>(statuses: T[]): T[] {
  const seen = new Map<string, T>();
  for (const s of statuses) if (!seen.has(s.context)) seen.set(s.context, s);
  return [...seen.values()];
}
