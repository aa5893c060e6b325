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

export type ChecksState = 'success' | 'pending' | 'failure' | 'none';
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
  /** Finds the open PR head->base and updates it, or creates one. Idempotent. */
  createOrUpdatePullRequest(input: {
    head: string;
    base: string;
    title: string;
    body: string;
  }): Promise<ForgePullRequest>;
  getPullRequest(number: number): Promise<ForgePullRequest>;
  /** Combined commit statuses and check runs for a ref. */
  checksState(ref: string): Promise<ChecksState>;
  /** Enables platform auto-merge, or merges directly when the PR is already clean and green. */
  autoMerge(
    pr: ForgePullRequest,
    method: MergeMethod,
  ): Promise<'merged' | 'auto-merge-enabled' | 'waiting'>;
  closePullRequest(number: number, comment?: string): Promise<void>;
  /** Opens an issue with the labels, or comments on the open one with the same title. */
  openOrCommentIssue(input: { title: string; body: string; labels: string[] }): Promise<ForgeIssue>;
  /** Merged PRs from head into base, newest first (merge tracking and ramp-up). */
  listMergedPullRequests(head: string, base: string, limit?: number): Promise<ForgePullRequest[]>;
}
