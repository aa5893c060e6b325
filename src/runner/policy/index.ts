// Policy: which ranked candidates this run may act on.
//  - allowedTypes is a hard limit set by the user: it applies to everything.
//  - rampUp limits types by the earned level; P0 (security, priority-labelled
//    issue) is never blocked by ramp-up: a human asked for it, or it is urgent.
//  - maxOpenPullRequests: a run that would need a new PR is blocked when the
//    bot already has that many open. With strategy develop the open work->main
//    PR is reused, so it never needs a second one.
//  - a type the operator backs off (its last attempts failed or were
//    reverted) sits this run out, unless it is P0;
//  - what stays is ordered by priority, then by the type's yield here, so a
//    type that keeps landing comes before one that keeps failing.
import type { ImprovementType } from '../../crds/index.ts';
import type { Candidate } from '../types.ts';
import {
  earnedLevel,
  rampLevel,
  typesAtLevel,
  type MergeEvidence,
  type RampLevel,
} from './ramp-up.ts';
import type { ImprovementEntry } from '../state/improvements-md.ts';

export * from './ramp-up.ts';

export interface PolicyInput {
  allowedTypes: ImprovementType[];
  rampUp: boolean;
  maxOpenPullRequests: number;
  strategy: 'develop' | 'autonomous';
  /** The bot's open PRs (develop: from the work branch; autonomous: from autonomous/*). */
  openPullRequests: number;
  /** Whether the forge has PRs at all (plain git has none, so the limit cannot apply). */
  pullRequests: boolean;
  improvements: ImprovementEntry[];
  evidence: MergeEvidence;
  /** The operator's (kept - reverted) / attempts per type; a type without a record counts as 0.5. */
  yields?: { type: ImprovementType; yield: number }[];
  /** Types sitting out this run, with why. */
  backedOff?: { type: ImprovementType; why: string }[];
  /**
   * The operator's merged, unreverted improvements per type. When set,
   * ramp-up counts these instead of IMPROVEMENTS.md, which a change could forge.
   */
  earned?: { type: ImprovementType; merged: number }[];
}

export interface PolicyDecision {
  allowed: Candidate[];
  blocked: { candidate: Candidate; why: string }[];
  level?: RampLevel;
}

export function applyPolicy(candidates: Candidate[], p: PolicyInput): PolicyDecision {
  const level = !p.rampUp
    ? undefined
    : p.earned
      ? earnedLevel(p.earned)
      : rampLevel(p.improvements, p.evidence);
  const rampTypes = level !== undefined ? new Set(typesAtLevel(level)) : undefined;
  const needsNewPr = p.strategy === 'autonomous' || p.openPullRequests === 0;
  const prBlocked =
    p.pullRequests &&
    (p.maxOpenPullRequests === 0 || (needsNewPr && p.openPullRequests >= p.maxOpenPullRequests));
  const out: PolicyDecision = { allowed: [], blocked: [], level };
  for (const c of candidates) {
    let why: string | undefined;
    if (!p.allowedTypes.includes(c.type)) why = `type ${c.type} is not in allowedTypes`;
    else if (prBlocked)
      why = `${p.openPullRequests} open pull requests reach maxOpenPullRequests=${p.maxOpenPullRequests}`;
    else if (rampTypes && !rampTypes.has(c.type) && c.priority !== 'P0')
      why = `ramp-up level ${level} does not allow ${c.type} yet`;
    else if (c.priority !== 'P0') {
      const off = p.backedOff?.find((b) => b.type === c.type);
      if (off) why = `type ${c.type} backs off: ${off.why}`;
    }
    if (why) out.blocked.push({ candidate: c, why });
    else out.allowed.push(c);
  }
  const yieldOf = (c: Candidate) =>
    p.yields?.find((y) => y.type === c.type)?.yield ?? UNKNOWN_YIELD;
  // A stable sort: within a priority and a yield the analysis' own order stays.
  out.allowed.sort((a, b) => a.priority.localeCompare(b.priority) || yieldOf(b) - yieldOf(a));
  return out;
}

/** A type never tried here ranks between one that lands and one that fails. */
const UNKNOWN_YIELD = 0.5;
