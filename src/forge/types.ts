// The contract every forge implements (github/, gitea/, git/): issues,
// pull requests, checks and merging. Plain git has no PR API; it says so
// through `capabilities` rather than by throwing.

export interface ForgeIssue {
  number: number;
  title: string;
  body: string;
  labels: string[];
  url: string;
  updatedAt: string;
}

export interface ForgePullRequest {
  number: number;
  url: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt: string | null;
  head: string;
  base: string;
  headSha: string;
  title: string;
}

export interface Approval {
  /** Reviewers whose latest review approves. */
  approvedBy: string[];
  /** Reviewers whose latest review asks for changes. */
  changesRequestedBy: string[];
  draft: boolean;
}

export interface ForgeCommit {
  sha: string;
  parents: string[];
  message: string;
}

export type ChecksState = 'success' | 'pending' | 'failure' | 'none';
export type CheckVerdict = 'success' | 'pending' | 'failure';

/** One check on a commit: a status context or a check run, by name. */
export interface ReportedCheck {
  name: string;
  state: CheckVerdict;
}

/** What the merge gate reads about an open pull request (see merge-gate.ts). */
export interface MergeFacts {
  number: number;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt: string | null;
  /** The commit the merge put on base (merge, squash or last rebased commit). */
  mergeCommitSha: string | null;
  headSha: string;
  base: string;
  /** null while the forge is still computing it; false on conflicts. */
  mergeable: boolean | null;
  /** Commits on base that the head does not contain (0: up to date). */
  behindBy: number;
  /** The checks base's protection rule requires; undefined when it names none. */
  requiredChecks?: string[];
  /** The latest verdict of every check reported on the head. */
  checks: ReportedCheck[];
  /** The platform's own auto-merge is on: it merges once its rules pass. */
  platformAutoMerge: boolean;
}
export type MergeMethod = 'squash' | 'merge' | 'rebase';

export interface ForgeCapabilities {
  pullRequests: boolean;
  issues: boolean;
}

export interface Forge {
  readonly kind: 'github' | 'gitea' | 'git';
  readonly capabilities: ForgeCapabilities;
  /** Open issues carrying any of the labels (pull requests excluded). */
  listOpenIssues(labels: string[]): Promise<ForgeIssue[]>;
  /** Open PRs whose head starts with headPrefix (e.g. "develop" or "autonomous/"). */
  listOpenPullRequests(headPrefix: string): Promise<ForgePullRequest[]>;
  /**
   * Finds the open PR head->base and updates it, or creates one. Idempotent.
   * draft: opened as a draft (Gitea: a WIP: title); labels are added.
   */
  createOrUpdatePullRequest(input: {
    head: string;
    base: string;
    title: string;
    body: string;
    draft?: boolean;
    labels?: string[];
  }): Promise<ForgePullRequest>;
  /** Whether a human approved the pull request: the latest review of each reviewer. */
  approval(number: number): Promise<Approval>;
  /** Takes the pull request out of draft, so it can merge. */
  markReady(number: number): Promise<void>;
  getPullRequest(number: number): Promise<ForgePullRequest>;
  /** Combined commit statuses and check runs for a ref. */
  checksState(ref: string): Promise<ChecksState>;
  /** A commit's parents and message. */
  getCommit(sha: string): Promise<ForgeCommit>;
  /** The facts the merge gate decides on (pull request, base's protection, head's checks). */
  mergeFacts(number: number): Promise<MergeFacts>;
  /** Merges exactly headSha; refused when the head moved or the platform will not. */
  merge(number: number, method: MergeMethod, headSha: string): Promise<'merged' | 'refused'>;
  /** Brings base into the head branch on the forge (its "update branch"); the head changes. */
  updateBranch(number: number, expectedHeadSha: string): Promise<'updated' | 'conflict'>;
  /** Turns on the platform's auto-merge, where the repository allows it. */
  enableAutoMerge(number: number, method: MergeMethod): Promise<'enabled' | 'unavailable'>;
  closePullRequest(number: number, comment?: string): Promise<void>;
  /** Opens an issue with the labels, or comments on the open one with the same title. */
  openOrCommentIssue(input: { title: string; body: string; labels: string[] }): Promise<ForgeIssue>;
  /** Merged PRs from head into base, newest first (merge tracking and ramp-up). */
  listMergedPullRequests(head: string, base: string, limit?: number): Promise<ForgePullRequest[]>;
}
