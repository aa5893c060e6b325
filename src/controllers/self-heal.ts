// Self-heal: after a bot's merge, main's checks on the merge commit are
// watched for a window. Red that is new since the merge (the parent was not
// red) is reverted through a rollback run, within a cap per day, as
// Chromium's Findit does; a commit that says NOAUTOREVERT=true is left alone.
// Pure: ForgeChecks gathers the facts, the target reconciler acts.
import type { ImprovementTargetStatus } from '../crds/index.ts';
import type { ChecksState } from '../forge/types.ts';

export const NO_AUTO_REVERT = /\bNOAUTOREVERT=true\b/;

/** The run label that lets the merge gate merge an automatic revert's pull request. */
export const LABEL_AUTO_REVERT = 'opencode.dev/auto-revert';

export interface AfterMergeFacts {
  /** main's checks on the merge commit. */
  verdict: ChecksState;
  /** Read only when red. */
  commitMessage?: string;
  parentVerdict?: ChecksState;
  mergedAt: number;
  now: number;
  windowMs: number;
}

export interface AfterMergeJudgement {
  state: 'Pending' | 'Green' | 'Red' | 'Unknown';
  message: string;
  revert: boolean;
}

export function judgeAfterMerge(f: AfterMergeFacts): AfterMergeJudgement {
  if (f.verdict === 'success')
    return { state: 'Green', message: 'main is green on the merge commit', revert: false };
  if (f.verdict === 'failure') {
    if (NO_AUTO_REVERT.test(f.commitMessage ?? ''))
      return {
        state: 'Red',
        message: 'red on the merge commit, which says NOAUTOREVERT=true: left alone',
        revert: false,
      };
    if (f.parentVerdict === 'failure')
      return {
        state: 'Red',
        message: 'red on the merge commit, but main was red before it too: not reverted',
        revert: false,
      };
    return { state: 'Red', message: 'main turned red with this merge', revert: true };
  }
  if (f.now > f.mergedAt + f.windowMs)
    return {
      state: 'Unknown',
      message: 'no verdict from main within the watch window',
      revert: false,
    };
  return {
    state: 'Pending',
    message: "waiting for main's checks on the merge commit",
    revert: false,
  };
}

type AutoReverts = NonNullable<ImprovementTargetStatus['autoReverts']>;

/** Whether the cap allows another automatic revert now (maxPerDay in the last 24 hours). */
export function mayAutoRevert(
  done: AutoReverts | undefined,
  now: Date,
  maxPerDay: number,
): boolean {
  const since = now.getTime() - 24 * 3600_000;
  return (done ?? []).filter((r) => Date.parse(r.time) > since).length < maxPerDay;
}
