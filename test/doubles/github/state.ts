// In-memory state of the GitHub double, and the records tests inspect.
export interface CommentRecord {
  id: number;
  body: string;
  createdAt: string;
}

export interface IssueRecord {
  number: number;
  nodeId: string;
  title: string;
  body: string;
  labels: string[];
  state: 'open' | 'closed';
  comments: CommentRecord[];
  createdAt: string;
  updatedAt: string;
}

export interface PullRecord {
  number: number;
  nodeId: string;
  title: string;
  body: string;
  head: string;
  base: string;
  /** Fixed sha for repos without a bare repository; else read live from git. */
  headSha: string;
  labels: string[];
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  autoMerge: { method: 'merge' | 'squash' | 'rebase'; enabledAt: string } | null;
  draft: boolean;
  reviews: ReviewRecord[];
  comments: CommentRecord[];
  createdAt: string;
  updatedAt: string;
}

export interface ReviewRecord {
  id: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  submittedAt: string;
}

export interface StatusRecord {
  id: number;
  state: 'success' | 'pending' | 'failure' | 'error';
  context: string;
  createdAt: string;
}

export interface CheckRunRecord {
  id: number;
  name: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'neutral' | 'skipped' | null;
  startedAt: string;
}

export interface RepoState {
  id: number;
  owner: string;
  repo: string;
  bareRepoPath?: string;
  defaultBranch: string;
  allowAutoMerge: boolean;
  issues: IssueRecord[];
  pulls: PullRecord[];
  /** Newest first per sha, as GitHub lists them. */
  statuses: Map<string, StatusRecord[]>;
  checkRuns: Map<string, CheckRunRecord[]>;
  /** Branch protection: the status checks each protected branch requires. */
  protection: Map<string, string[]>;
  /** Issues and pull requests share one number sequence. */
  nextNumber: number;
}

export const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** GitHub's global node ids are unique across repositories: give the repository's id with a per-repository number. */
export function nodeId(prefix: string, id: number | string): string {
  return `${prefix}_kwDO${Buffer.from(`double:${id}`).toString('base64url')}`;
}
