// GitHub's REST shapes for the double's records: a schema-derived minimal
// instance (every required field, see GitHubOpenApi.sample) overlaid with the
// fields that carry state. The overlay is what clients actually read.
import type { GitHubOpenApi } from './openapi.ts';
import type {
  CheckRunRecord,
  CommentRecord,
  IssueRecord,
  PullRecord,
  RepoState,
  ReviewRecord,
  StatusRecord,
} from './state.ts';
import { nodeId } from './state.ts';

type Json = Record<string, unknown>;

export class Fixtures {
  private readonly spec: GitHubOpenApi;
  private readonly base: string;
  private readonly samples = new Map<string, Json>();

  constructor(spec: GitHubOpenApi, baseUrl: string) {
    this.spec = spec;
    this.base = baseUrl;
  }

  private from(name: string, overlay: Json): Json {
    let sample = this.samples.get(name);
    if (!sample) {
      sample = this.spec.sample(name) as Json;
      this.samples.set(name, sample);
    }
    return { ...structuredClone(sample), ...overlay };
  }

  private web(r: RepoState, suffix = ''): string {
    return `${this.base}/web/${r.owner}/${r.repo}${suffix}`;
  }
  private api(r: RepoState, suffix = ''): string {
    return `${this.base}/repos/${r.owner}/${r.repo}${suffix}`;
  }

  user(login: string, id = 1): Json {
    return this.from('simple-user', {
      login,
      id,
      node_id: nodeId('U', id),
      type: 'User',
      url: `${this.base}/users/${login}`,
      html_url: `${this.base}/web/${login}`,
    });
  }

  repository(r: RepoState): Json {
    return this.from('repository', {
      id: r.id,
      node_id: nodeId('R', r.id),
      name: r.repo,
      full_name: `${r.owner}/${r.repo}`,
      owner: this.user(r.owner),
      private: false,
      html_url: this.web(r),
      url: this.api(r),
      clone_url: `${this.base}/git/${r.owner}/${r.repo}.git`,
      default_branch: r.defaultBranch,
      allow_auto_merge: r.allowAutoMerge,
    });
  }

  minimalRepository(r: RepoState): Json {
    return this.from('minimal-repository', {
      id: r.id,
      node_id: nodeId('R', r.id),
      name: r.repo,
      full_name: `${r.owner}/${r.repo}`,
      owner: this.user(r.owner),
      html_url: this.web(r),
      url: this.api(r),
    });
  }

  label(r: RepoState, name: string): Json {
    const id = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1e9, 7);
    return {
      id,
      node_id: nodeId('LA', id),
      url: this.api(r, `/labels/${encodeURIComponent(name)}`),
      name,
      description: '',
      color: 'ededed',
      default: false,
    };
  }

  issue(r: RepoState, i: IssueRecord | PullRecord, isPull = false): Json {
    const n = i.number;
    return this.from('issue', {
      id: 100000 + n,
      node_id: i.nodeId,
      number: n,
      title: i.title,
      body: i.body,
      state: i.state,
      labels: i.labels.map((l) => this.label(r, l)),
      user: this.user('opencode-bot', 2),
      comments: i.comments.length,
      url: this.api(r, `/issues/${n}`),
      repository_url: this.api(r),
      labels_url: this.api(r, `/issues/${n}/labels{/name}`),
      comments_url: this.api(r, `/issues/${n}/comments`),
      events_url: this.api(r, `/issues/${n}/events`),
      html_url: this.web(r, `/${isPull ? 'pull' : 'issues'}/${n}`),
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      closed_at: i.state === 'closed' ? i.updatedAt : null,
      author_association: 'OWNER',
      ...(isPull
        ? {
            pull_request: {
              url: this.api(r, `/pulls/${n}`),
              html_url: this.web(r, `/pull/${n}`),
              diff_url: this.web(r, `/pull/${n}.diff`),
              patch_url: this.web(r, `/pull/${n}.patch`),
              merged_at: (i as PullRecord).mergedAt,
            },
          }
        : {}),
    });
  }

  comment(r: RepoState, issueNumber: number, c: CommentRecord): Json {
    return this.from('issue-comment', {
      id: c.id,
      node_id: nodeId('IC', c.id),
      url: this.api(r, `/issues/comments/${c.id}`),
      html_url: this.web(r, `/issues/${issueNumber}#issuecomment-${c.id}`),
      issue_url: this.api(r, `/issues/${issueNumber}`),
      body: c.body,
      user: this.user('opencode-bot', 2),
      created_at: c.createdAt,
      updated_at: c.createdAt,
      author_association: 'OWNER',
    });
  }

  private branch(r: RepoState, ref: string, sha: string): Json {
    return {
      label: `${r.owner}:${ref}`,
      ref,
      sha,
      repo: this.repository(r),
      user: this.user(r.owner),
    };
  }

  pull(
    r: RepoState,
    p: PullRecord,
    live: { headSha: string; baseSha: string; mergeable: boolean | null },
    simple = false,
  ): Json {
    const n = p.number;
    const common: Json = {
      id: 200000 + n,
      node_id: p.nodeId,
      number: n,
      title: p.title,
      body: p.body,
      state: p.state,
      locked: false,
      user: this.user('opencode-bot', 2),
      labels: p.labels.map((l) => this.label(r, l)),
      head: this.branch(r, p.head, live.headSha),
      base: this.branch(r, p.base, live.baseSha),
      url: this.api(r, `/pulls/${n}`),
      html_url: this.web(r, `/pull/${n}`),
      diff_url: this.web(r, `/pull/${n}.diff`),
      patch_url: this.web(r, `/pull/${n}.patch`),
      issue_url: this.api(r, `/issues/${n}`),
      commits_url: this.api(r, `/pulls/${n}/commits`),
      review_comments_url: this.api(r, `/pulls/${n}/comments`),
      review_comment_url: this.api(r, '/pulls/comments{/number}'),
      comments_url: this.api(r, `/issues/${n}/comments`),
      statuses_url: this.api(r, `/statuses/${live.headSha}`),
      created_at: p.createdAt,
      updated_at: p.updatedAt,
      closed_at: p.state === 'closed' ? p.updatedAt : null,
      merged_at: p.mergedAt,
      merge_commit_sha: p.mergeCommitSha,
      auto_merge: p.autoMerge
        ? {
            enabled_by: this.user('opencode-bot', 2),
            merge_method: p.autoMerge.method,
            commit_title: p.title,
            commit_message: '',
          }
        : null,
      draft: p.draft,
      author_association: 'OWNER',
    };
    if (simple) return this.from('pull-request-simple', common);
    const state = p.merged
      ? 'unknown'
      : live.mergeable === false
        ? 'dirty'
        : live.mergeable
          ? 'clean'
          : 'unknown';
    return this.from('pull-request', {
      ...common,
      merged: p.merged,
      mergeable: p.state === 'open' ? live.mergeable : null,
      mergeable_state: state,
      merged_by: p.merged ? this.user('opencode-bot', 2) : null,
      comments: p.comments.length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: 1,
      deletions: 0,
      changed_files: 1,
    });
  }

  combinedStatus(r: RepoState, sha: string, statuses: StatusRecord[], combined: string): Json {
    return this.from('combined-commit-status', {
      state: combined,
      sha,
      total_count: statuses.length,
      statuses: statuses.map((s) =>
        this.from('simple-commit-status', {
          id: s.id,
          node_id: nodeId('SC', s.id),
          state: s.state,
          context: s.context,
          description: null,
          target_url: null,
          avatar_url: null,
          url: this.api(r, `/statuses/${sha}`),
          created_at: s.createdAt,
          updated_at: s.createdAt,
        }),
      ),
      repository: this.minimalRepository(r),
      commit_url: this.api(r, `/commits/${sha}`),
      url: this.api(r, `/commits/${sha}/status`),
    });
  }

  checkRun(r: RepoState, sha: string, c: CheckRunRecord): Json {
    return this.from('check-run', {
      id: c.id,
      node_id: nodeId('CR', c.id),
      head_sha: sha,
      external_id: String(c.id),
      name: c.name,
      status: c.status,
      conclusion: c.conclusion,
      started_at: c.startedAt,
      completed_at: c.status === 'completed' ? c.startedAt : null,
      url: this.api(r, `/check-runs/${c.id}`),
      html_url: this.web(r, `/runs/${c.id}`),
      details_url: this.web(r, `/runs/${c.id}`),
      output: {
        title: null,
        summary: null,
        text: null,
        annotations_count: 0,
        annotations_url: this.api(r, `/check-runs/${c.id}/annotations`),
      },
      check_suite: { id: c.id },
      app: null,
      pull_requests: [],
    });
  }

  branchWithProtection(r: RepoState, name: string, sha: string, required?: string[]): Json {
    const api = this.api(r, `/branches/${name}`);
    return this.from('branch-with-protection', {
      name,
      commit: this.commit(r, sha),
      _links: { html: this.web(r, `/tree/${name}`), self: api },
      protected: required !== undefined,
      protection: {
        enabled: required !== undefined,
        ...(required !== undefined
          ? {
              required_status_checks: {
                enforcement_level: 'non_admins',
                contexts: required,
                checks: required.map((context) => ({ context, app_id: null })),
              },
            }
          : {}),
      },
      protection_url: `${api}/protection`,
    });
  }

  commit(r: RepoState, sha: string, info?: { parents: string[]; message: string }): Json {
    const sample = this.from('commit', {}) as { commit: Json };
    return this.from('commit', {
      sha,
      node_id: nodeId('C', parseInt(sha.slice(0, 8), 16) || 1),
      url: this.api(r, `/commits/${sha}`),
      html_url: this.web(r, `/commit/${sha}`),
      comments_url: this.api(r, `/commits/${sha}/comments`),
      parents: (info?.parents ?? []).map((p) => ({
        sha: p,
        url: this.api(r, `/commits/${p}`),
        html_url: this.web(r, `/commit/${p}`),
      })),
      commit: { ...sample.commit, message: info?.message ?? '' },
    });
  }

  comparison(
    r: RepoState,
    input: { base: string; head: string; mergeBase: string; aheadBy: number; behindBy: number },
  ): Json {
    const status =
      input.aheadBy && input.behindBy
        ? 'diverged'
        : input.aheadBy
          ? 'ahead'
          : input.behindBy
            ? 'behind'
            : 'identical';
    return this.from('commit-comparison', {
      url: this.api(r, `/compare/${input.base}...${input.head}`),
      html_url: this.web(r, `/compare/${input.base}...${input.head}`),
      permalink_url: this.web(r, `/compare/${input.base}...${input.head}`),
      diff_url: this.web(r, `/compare/${input.base}...${input.head}.diff`),
      patch_url: this.web(r, `/compare/${input.base}...${input.head}.patch`),
      base_commit: this.commit(r, input.base),
      merge_base_commit: this.commit(r, input.mergeBase),
      status,
      ahead_by: input.aheadBy,
      behind_by: input.behindBy,
      total_commits: input.aheadBy,
      commits: [],
      files: [],
    });
  }

  review(r: RepoState, p: PullRecord, rv: ReviewRecord): Json {
    return this.from('pull-request-review', {
      id: rv.id,
      node_id: nodeId('PRR', rv.id),
      user: this.user(rv.user, 100 + rv.id),
      body: '',
      state: rv.state,
      html_url: this.web(r, `/pull/${p.number}#pullrequestreview-${rv.id}`),
      pull_request_url: this.api(r, `/pulls/${p.number}`),
      _links: {
        html: { href: this.web(r, `/pull/${p.number}#pullrequestreview-${rv.id}`) },
        pull_request: { href: this.api(r, `/pulls/${p.number}`) },
      },
      submitted_at: rv.submittedAt,
      commit_id: p.headSha,
      author_association: 'MEMBER',
    });
  }
}
