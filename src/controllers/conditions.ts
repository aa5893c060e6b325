// Condition types and reasons, declared once. Event reasons equal condition
// reasons, so `kubectl describe` and `kubectl get -o yaml` tell one story.
import type { Condition } from '../crds/index.ts';

export const CONDITION = {
  Ready: 'Ready',
  Running: 'Running',
  Stalled: 'Stalled',
  Suspended: 'Suspended',
} as const;

export const REASON = {
  Scheduled: 'Scheduled',
  Suspended: 'Suspended',
  RunActive: 'RunActive',
  Idle: 'Idle',
  InvalidSchedule: 'InvalidSchedule',
  InvalidTimeZone: 'InvalidTimeZone',
  SecretNotFound: 'SecretNotFound',
  SecretKeyNotFound: 'SecretKeyNotFound',
  RunCreated: 'RunCreated',
  RunRequested: 'RunRequested',
  MissedSchedule: 'MissedSchedule',
  RunSkipped: 'RunSkipped',
  RunReplaced: 'RunReplaced',
  RunSucceeded: 'RunSucceeded',
  RunNoChange: 'RunNoChange',
  RunFailed: 'RunFailed',
  JobCreated: 'JobCreated',
  PriorityIssue: 'PriorityIssue',
  PullRequestMerged: 'PullRequestMerged',
  CircuitOpen: 'CircuitOpen',
  AutoRevert: 'AutoRevert',
  AutoRevertCapped: 'AutoRevertCapped',
  CircuitClosed: 'CircuitClosed',
  NotSuspended: 'NotSuspended',
  ReconcileFailed: 'ReconcileFailed',
  // The merge gate's transitions worth a line in `kubectl describe run`.
  MergeUpdating: 'MergeUpdating',
  MergeAutoMergeEnabled: 'MergeAutoMergeEnabled',
  MergeBlocked: 'MergeBlocked',
} as const;

/** Sets (or, with status undefined, removes) one condition; lastTransitionTime moves only on a status change. */
export function setCondition(
  list: Condition[] | undefined,
  c: { type: string; status?: 'True' | 'False' | 'Unknown'; reason: string; message: string },
  now: Date,
  observedGeneration?: number,
): Condition[] {
  const rest = (list ?? []).filter((x) => x.type !== c.type);
  if (!c.status) return rest;
  const prior = (list ?? []).find((x) => x.type === c.type);
  const lastTransitionTime =
    prior && prior.status === c.status ? prior.lastTransitionTime : now.toISOString();
  const next: Condition = {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message.slice(0, 32768),
    lastTransitionTime,
  };
  if (observedGeneration !== undefined) next.observedGeneration = observedGeneration;
  return [...rest, next].sort((a, b) => a.type.localeCompare(b.type));
}

export const getCondition = (list: Condition[] | undefined, type: string) =>
  list?.find((c) => c.type === type);
