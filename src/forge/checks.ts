// One verdict from a commit's statuses and check runs, shared by the forges.
import type { ChecksState } from './types.ts';

export type StatusState = 'success' | 'pending' | 'failure' | 'error' | 'warning' | string;

export interface CheckRunLike {
  status: string; // queued | in_progress | completed | waiting | requested | pending
  conclusion: string | null;
}

// Conclusions that do not block a merge (GitHub's own branch protection treats these as passing).
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

/**
 * failure if anything failed; pending if anything is still running; success
 * when everything reported is green; none when nothing reported at all.
 */
export function combineChecks(statuses: StatusState[], checkRuns: CheckRunLike[]): ChecksState {
  if (statuses.length === 0 && checkRuns.length === 0) return 'none';
  let pending = false;
  for (const s of statuses) {
    if (s === 'failure' || s === 'error') return 'failure';
    if (s !== 'success' && s !== 'warning') pending = true;
  }
  for (const run of checkRuns) {
    if (run.status !== 'completed') {
      pending = true;
      continue;
    }
    if (run.conclusion === null) pending = true;
    else if (!PASSING_CONCLUSIONS.has(run.conclusion)) return 'failure';
  }
  return pending ? 'pending' : 'success';
}

/** The latest status per context: forges list statuses newest first. */
export function latestPerContext<T extends { context: string }>(statuses: T[]): T[] {
  const seen = new Map<string, T>();
  for (const s of statuses) if (!seen.has(s.context)) seen.set(s.context, s);
  return [...seen.values()];
}
