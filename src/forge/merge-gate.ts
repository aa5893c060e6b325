// The merge gate: when a pull request may merge, and the one step that moves
// it closer. Shared by the runner (right after it pushes) and the operator
// (on every forge check), so a pull request merges as soon as the gate
// opens, and never because of a race with CI registering its checks.
//
// Rules, in order:
//   - a failed check blocks, whatever else is true;
//   - the platform's own auto-merge, once on, decides (its rules are the
//     repository's own);
//   - a head behind base is updated on the forge first (the bors "not rocket
//     science" rule: what merges is what was checked on top of base), which
//     starts the checks again;
//   - with required checks on base's protection rule, each must have passed;
//     while one is missing, the platform's auto-merge is turned on where the
//     repository allows it;
//   - without them, the checks get a grace period from when the head was
//     first seen to register; after it, every reported check must have
//     passed, and "none reported" merges only when requireChecks is false.
import type { MERGE_GATE_STATES } from '../crds/improvement-run.ts';
import { parseDuration } from '../util/duration.ts';
import type { Forge, MergeFacts, MergeMethod } from './types.ts';

export type GateState = (typeof MERGE_GATE_STATES)[number];

export interface MergePolicy {
  method: MergeMethod;
  checkGraceMs: number;
  requireChecks: boolean;
}

export type GateDecision =
  | { action: 'done'; state: 'Merged' | 'Blocked'; message: string }
  | { action: 'merge'; message: string }
  | { action: 'update'; message: string }
  | { action: 'enable-auto-merge'; message: string }
  | { action: 'wait'; message: string; recheckAt?: number }
  | { action: 'blocked'; message: string };

/** How soon to look again while the forge computes mergeability. */
const MERGEABILITY_RECHECK_MS = 15_000;

const list = (names: string[]) => names.join(', ');
const short = (sha: string) => sha.slice(0, 7);

/** The gate's verdict on the facts; headSeenAt is when this head was first seen (ms). */
export function decideMerge(
  f: MergeFacts,
  policy: Omit<MergePolicy, 'method'>,
  headSeenAt: number,
  now: number,
): GateDecision {
  if (f.merged) return { action: 'done', state: 'Merged', message: `merged into ${f.base}` };
  if (f.state !== 'open')
    return { action: 'done', state: 'Blocked', message: 'closed without merging' };
  const failed = f.checks.filter((c) => c.state === 'failure').map((c) => c.name);
  if (failed.length)
    return { action: 'blocked', message: `failed on ${short(f.headSha)}: ${list(failed)}` };
  if (f.platformAutoMerge)
    return {
      action: 'wait',
      message: `the forge's auto-merge is on: it merges once ${f.base}'s required checks pass`,
    };
  if (f.behindBy > 0)
    return {
      action: 'update',
      message: `${f.behindBy} commit(s) behind ${f.base}: updating the branch, then waiting for checks on the result`,
    };
  if (f.mergeable === false)
    return { action: 'blocked', message: `conflicts with ${f.base}: a human has to resolve them` };
  if (f.mergeable === null)
    return {
      action: 'wait',
      message: 'the forge is still computing whether it merges cleanly',
      recheckAt: now + MERGEABILITY_RECHECK_MS,
    };
  const pending = f.checks.filter((c) => c.state === 'pending').map((c) => c.name);
  const required = (f.requiredChecks ?? []).filter((n) => n.length > 0);
  if (required.length) {
    const passed = new Set(f.checks.filter((c) => c.state === 'success').map((c) => c.name));
    const missing = required.filter((n) => !passed.has(n));
    if (missing.length)
      return {
        action: 'enable-auto-merge',
        message: `waiting for ${f.base}'s required check(s) on ${short(f.headSha)}: ${list(missing)}`,
      };
    if (pending.length)
      return { action: 'wait', message: `waiting for check(s) still running: ${list(pending)}` };
    return { action: 'merge', message: `required check(s) passed: ${list(required)}` };
  }
  const graceEnd = headSeenAt + policy.checkGraceMs;
  if (now < graceEnd)
    return {
      action: 'wait',
      message: `giving checks until ${new Date(graceEnd).toISOString()} to register on ${short(f.headSha)}`,
      recheckAt: graceEnd,
    };
  if (pending.length)
    return { action: 'wait', message: `waiting for check(s) still running: ${list(pending)}` };
  if (f.checks.length === 0)
    return policy.requireChecks
      ? {
          action: 'wait',
          message: `no check has reported on ${short(f.headSha)}; not merging without one (spec.merge.requireChecks)`,
        }
      : { action: 'merge', message: 'no checks reported, and spec.merge.requireChecks is false' };
  return {
    action: 'merge',
    message: `every reported check passed: ${list(f.checks.map((c) => c.name))}`,
  };
}

export interface GateStep {
  state: GateState;
  message: string;
  headSha: string;
  /** When headSha was first seen (ms): carry it into the next step. */
  headSeenAt: number;
  mergedAt?: string | null;
  mergeCommitSha?: string | null;
  /** Look again no later than this (ms), when the gate knows. */
  recheckAt?: number;
}

/**
 * Reads the facts, decides, and takes the one step the decision asks for.
 * approvalRequired: the change is one policy.requireApproval lists; it waits
 * for a human's approving review (none asking for changes), then leaves draft.
 */
export async function advanceMerge(
  forge: Forge,
  number: number,
  policy: MergePolicy,
  seen: { headSha: string; at: number } | undefined,
  now: number,
  approvalRequired = false,
): Promise<GateStep> {
  let f = await forge.mergeFacts(number);
  const headSeenAt = seen && seen.headSha === f.headSha ? seen.at : now;
  const step = (state: GateState, message: string, extra: Partial<GateStep> = {}): GateStep => ({
    state,
    message,
    headSha: f.headSha,
    headSeenAt,
    ...extra,
  });
  if (approvalRequired && f.state === 'open' && !f.merged) {
    const a = await forge.approval(number);
    if (a.changesRequestedBy.length)
      return step('Blocked', `changes requested by ${list(a.changesRequestedBy)}`);
    if (!a.approvedBy.length)
      return step('AwaitingApproval', 'waiting for a human to approve (policy.requireApproval)');
    if (a.draft) {
      await forge.markReady(number);
      f = await forge.mergeFacts(number);
    }
  }
  const d = decideMerge(f, policy, headSeenAt, now);
  switch (d.action) {
    case 'done':
      return step(
        d.state,
        d.message,
        d.state === 'Merged' ? { mergedAt: f.mergedAt, mergeCommitSha: f.mergeCommitSha } : {},
      );
    case 'blocked':
      return step('Blocked', d.message);
    case 'wait':
      return step('Waiting', d.message, d.recheckAt ? { recheckAt: d.recheckAt } : {});
    case 'update': {
      const r = await forge.updateBranch(number, f.headSha);
      return r === 'updated'
        ? step('Updating', d.message)
        : step('Blocked', `cannot bring ${f.base} into the branch: it conflicts`);
    }
    case 'enable-auto-merge': {
      const r = await forge.enableAutoMerge(number, policy.method);
      return r === 'enabled'
        ? step('AutoMergeEnabled', `${d.message}; the forge's auto-merge is on`)
        : step('Waiting', d.message);
    }
    case 'merge': {
      if ((await forge.merge(number, policy.method, f.headSha)) === 'refused')
        return step('Waiting', `the forge refused the merge of ${short(f.headSha)}; trying again`);
      const after = await forge.mergeFacts(number);
      return step('Merged', d.message, {
        mergedAt: after.mergedAt ?? new Date(now).toISOString(),
        mergeCommitSha: after.mergeCommitSha,
      });
    }
  }
}

/** The gate's policy from a target's spec (CRD defaults applied or not). */
export function mergePolicyOf(spec: {
  mergeMethod?: MergeMethod;
  merge?: { checkGracePeriod?: string; requireChecks?: boolean };
}): MergePolicy {
  return {
    method: spec.mergeMethod ?? 'squash',
    checkGraceMs: parseDuration(spec.merge?.checkGracePeriod ?? '3m'),
    requireChecks: spec.merge?.requireChecks ?? true,
  };
}

/** A step as the run's status records it (status.pullRequest.gate). */
export function gateRecord(
  step: GateStep,
  previous: { state?: string; lastTransitionTime?: string } | undefined,
  now: Date,
) {
  return {
    state: step.state,
    message: step.message.slice(0, 1024),
    headSha: step.headSha,
    headSeenAt: new Date(step.headSeenAt).toISOString(),
    lastTransitionTime:
      previous?.state === step.state && previous.lastTransitionTime
        ? previous.lastTransitionTime
        : now.toISOString(),
  };
}

/** Whether policy.requireApproval lists the change: its type, or a priority at least as urgent as a listed Pn. */
export function needsApproval(
  requireApproval: readonly string[] | undefined,
  change: { type?: string; priority?: string } | undefined,
): boolean {
  if (!requireApproval?.length || !change) return false;
  if (change.type && requireApproval.includes(change.type)) return true;
  const rank = (p: string) => Number(/^P([0-3])$/.exec(p)?.[1] ?? NaN);
  const mine = rank(change.priority ?? '');
  return requireApproval.some((x) => rank(x) >= mine);
}
