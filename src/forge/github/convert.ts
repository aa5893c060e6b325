// The few fields of GitHub's REST shapes the forge reads, and their mapping
// onto the forge contract.
import type { ForgeIssue, ForgePullRequest } from '../types.ts';

export interface GhIssue {
  number: number;
  title: string;
  body?: string | null;
  labels: Array<string | { name?: string }>;
  html_url: string;
  updated_at: string;
  pull_request?: unknown;
}

export interface GhPull {
  number: number;
  node_id: string;
  html_url: string;
  state: string;
  title: string;
  merged?: boolean;
  merged_at: string | null;
  merge_commit_sha?: string | null;
  mergeable?: boolean | null;
  auto_merge?: unknown;
  draft?: boolean;
  head: { ref: string; sha: string; repo: { full_name: string } | null };
  base: { ref: string };
}

export function toIssue(gh: GhIssue): ForgeIssue {
  return {
    number: gh.number,
    title: gh.title,
    body: gh.body ?? '',
    labels: gh.labels
      .map((l) => (typeof l === 'string' ? l : (l.name ?? '')))
      .filter((l) => l.length > 0),
    url: gh.html_url,
    updatedAt: gh.updated_at,
  };
}

export function toPull(gh: GhPull): ForgePullRequest {
  return {
    number: gh.number,
    url: gh.html_url,
    state: gh.state === 'open' ? 'open' : 'closed',
    merged: gh.merged ?? gh.merged_at !== null,
    mergedAt: gh.merged_at,
    head: gh.head.ref,
    base: gh.base.ref,
    headSha: gh.head.sha,
    title: gh.title,
  };
}

/** A PR from a fork can carry the same branch name: only our repository's heads count. */
export function isOwnHead(gh: GhPull, fullName: string): boolean {
  return gh.head.repo?.full_name.toLowerCase() === fullName.toLowerCase();
}
