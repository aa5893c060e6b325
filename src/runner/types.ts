// Contracts between the runner's steps. Analysis produces Candidates; an
// Improver (LLM-backed or the built-in rules) turns them into a Proposal of
// SEARCH/REPLACE edit blocks; the edit applier enforces policy on them; the
// workflow tests, commits and reports.
import type { ImprovementType } from '../crds/index.ts';
import type { Priority } from '../crds/index.ts';
import type { NoChangeReason } from './outcome.ts';
import type { AdvisoryFix } from './security/candidates.ts';

/** One thing the run could improve, found deterministically by analysis. */
export interface Candidate {
  /** Stable id, e.g. "issue:42", "failing-tests", "todo:src/a.ts:12", "coverage:src/b.ts". */
  id: string;
  type: ImprovementType;
  priority: Priority;
  title: string;
  /** Evidence for the model: issue body, failing test output tail, the TODO line… */
  detail: string;
  /** Paths (relative to the repo root) most relevant to it. */
  files: string[];
  issue?: number;
  /** A published advisory's fix: the runner applies it with the package manager (security/fix.ts). */
  advisory?: AdvisoryFix;
}

/** What an improver may read about the repository. */
export interface RepoContext {
  /** Absolute path of the work tree. */
  dir: string;
  /** A map of files and symbols that fits the token budget. */
  repoMap: string;
  testCommand?: string;
  coveragePercent?: number;
  /** Short excerpts of STATE.md and PLAN.md. */
  stateSummary: string;
  /** Reads a repo file (relative path); rejects paths outside the repo. */
  readFile(path: string): Promise<string>;
}

/** One edit: replace `search` (exactly once) with `replace`; an empty `search` creates a new file. */
export interface EditBlock {
  path: string;
  search: string;
  replace: string;
}

export interface Proposal {
  candidate: Candidate;
  type: ImprovementType;
  priority: Priority;
  title: string;
  rationale: string;
  blocks: EditBlock[];
}

export type ProposeResult =
  | { kind: 'proposal'; proposal: Proposal }
  | { kind: 'none'; reason: NoChangeReason; message: string };

export interface Improver {
  /** `ollama`, `openai` or `builtin`, as recorded in status and logs. */
  readonly provider: string;
  /** Picks at most one candidate (already ranked and policy-filtered) and writes its edits. */
  propose(ctx: RepoContext, candidates: Candidate[]): Promise<ProposeResult>;
  /** One repair round after failing tests: the failing output is fed back. */
  repair(ctx: RepoContext, previous: Proposal, testOutputTail: string): Promise<ProposeResult>;
}

/** The limits of any change, known before a proposal exists (what improvers are told). */
export interface EditLimits {
  maxFilesChanged: number;
  maxLinesChanged: number;
  /** Globs (picomatch, case-insensitive) of paths no edit may touch. */
  protectedPaths: string[];
  /** Largest size of a changed file after the change, in UTF-8 bytes (default 262144). */
  maxFileBytes?: number;
  /** Longest line an edit may add, in characters (default 500), unless the file had one as long. */
  maxLineLength?: number;
}

/** What the edit applier enforces on one proposal: the limits plus the proposal's type. */
export interface EditPolicy extends EditLimits {
  /** The proposal's type: decides e.g. whether dependency files may change. */
  type: ImprovementType;
}

export type ApplyResult =
  | { ok: true; changedFiles: string[]; filesChanged: number; linesChanged: number }
  | {
      ok: false;
      reason: Extract<NoChangeReason, 'MalformedModelOutput' | 'EditRejected'>;
      message: string;
    };
