// Ramp-up: gradual complexity, earned by results, never by the calendar.
//
//   level 0: documentation, style                        (always allowed)
//   level 1: + refactoring                               after 2 merged level-0+ improvements
//   level 2: + tests                                     after 2 merged level-1+ improvements
//   level 3: + bugfix, performance, security, dependencies  after 2 merged level-2+ improvements
//   level 4: + feature                                   after 3 merged level-3+ improvements
//
// Under the operator, "merged" is its own record: the runs whose change
// reached main, less the reverted ones, per type (status.yields). A runner
// on its own reads IMPROVEMENTS.md instead: an entry counts when its PR was
// merged (per the forge) or its commit is reachable from main; reverted
// entries never count.
// Counting "at the previous level or above" lets a human-directed P0 fix
// (which ramp-up never blocks) count toward the earlier levels too.
import type { ImprovementType } from '../../crds/index.ts';
import type { ImprovementEntry } from '../state/improvements-md.ts';

export type RampLevel = 0 | 1 | 2 | 3 | 4;

export const TYPE_LEVEL: Record<ImprovementType, RampLevel> = {
  documentation: 0,
  style: 0,
  refactoring: 1,
  tests: 2,
  bugfix: 3,
  performance: 3,
  security: 3,
  dependencies: 3,
  feature: 4,
};

/** Merged, unreverted improvements needed to reach each level (index = level). */
export const LEVEL_THRESHOLDS: readonly number[] = [0, 2, 2, 2, 3];

export interface MergeEvidence {
  mergedPullRequests: Set<number>;
  /** Commits (full or abbreviated) reachable from main. */
  isOnMain: (commit: string) => boolean;
}

export function isMergedEntry(e: ImprovementEntry, evidence: MergeEvidence): boolean {
  if (e.reverted) return false;
  if (e.pr !== undefined && evidence.mergedPullRequests.has(e.pr)) return true;
  return !!e.commit && evidence.isOnMain(e.commit);
}

/** The level IMPROVEMENTS.md earns (the runner on its own, with no operator's record). */
export function rampLevel(entries: ImprovementEntry[], evidence: MergeEvidence): RampLevel {
  return levelOf(
    entries
      .filter((e) => isMergedEntry(e, evidence))
      .map((e) => TYPE_LEVEL[e.type as ImprovementType])
      .filter((l): l is RampLevel => l !== undefined),
  );
}

/** The level the operator's record earns: its merged, unreverted improvements per type. */
export function earnedLevel(earned: { type: ImprovementType; merged: number }[]): RampLevel {
  return levelOf(
    earned.flatMap((e) =>
      TYPE_LEVEL[e.type] === undefined
        ? []
        : Array<RampLevel>(Math.min(e.merged, 8)).fill(TYPE_LEVEL[e.type]),
    ),
  );
}

/** The highest level whose thresholds the merged improvements' levels meet. */
function levelOf(levels: RampLevel[]): RampLevel {
  let level: RampLevel = 0;
  for (let next = 1; next <= 4; next++) {
    const earned = levels.filter((l) => l >= next - 1).length;
    if (earned < (LEVEL_THRESHOLDS[next] ?? Infinity)) break;
    level = next as RampLevel;
  }
  return level;
}

export function typesAtLevel(level: RampLevel): ImprovementType[] {
  return (Object.keys(TYPE_LEVEL) as ImprovementType[]).filter((t) => TYPE_LEVEL[t] <= level);
}
