// GitHub (and GitHub Enterprise) through @octokit/rest.
import type {
  Approval,
  ChecksState,
  Forge,
  ForgeCapabilities,
  ForgeCommit,
  ForgeIssue,
  ForgePullRequest,
  MergeFacts,
  MergeMethod,
  ReportedCheck,
} from '../types.ts';
import type { ForgeConfig } from '../config.ts';
import type { Logger } from '../../util/logger.ts';
import { parseRepoUrl } from '../repo-url.ts';
import { combineVerdicts, reportedChecks } from '../checks.ts';
import { reviewVerdicts } from '../reviews.ts';
import { ConditionalGetter, createGitHubClient, type GitHubClient } from './client.ts';
import { mapGitHubError } from './errors.ts';
import { isOwnHead, toIssue, toPull, type GhIssue, type GhPull } from './convert.ts';

const ENABLE_AUTO_MERGE = `mutation($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: { pullRequestId: $pullRequestId, mergeMethod: $mergeMethod }) {
    pullRequest { number autoMergeRequest { enabledAt mergeMethod } }
  }
}`;

const MARK_READY = `mutation($pullRequestId: ID!) {
  markPullRequestReadyForReview(input: { pullRequestId: $pullRequestId }) {
    pullRequest { number isDraft }
  }
}`;

/** api.github.com for github.com; /api/v3 on the host for GitHub Enterprise Server. */
export function defaultGitHubApiUrl(host: string): string {
  return host === 'github.com' ? 'https://api.github.com' : `https://${host}/api/v3`;
}

export class GitHubForge implements Forge {
  readonly kind = 'github' as const;
  readonly capabilities: ForgeCapabilities = { pullRequests: true, issues: true };
  readonly owner: string;
  readonly repo: string;
  private readonly client: GitHubClient;
  private readonly cached: ConditionalGetter;
  private readonly log: Logger;

  constructor(cfg: ForgeConfig) {
    const { host, owner, repo } = parseRepoUrl(cfg.repoUrl);
    this.owner = owner;
    this.repo = repo;
    this.log = cfg.logger.child({ forge: 'github', repo: `${owner}/${repo}` });
    this.client = createGitHubClient({
      baseUrl: cfg.apiUrl ?? defaultGitHubApiUrl(host),
      token: cfg.token,
      logger: this.log,
      userAgent: cfg.userAgent,
      tuning: cfg.tuning,
    });
    this.cached = new ConditionalGetter(this.client);
  }

  /** Answers served from the ETag cache after a 304. */
  get notModifiedCount(): number {
    return this.cached.notModified;
  }

  private get ids() {
    return { owner: this.owner, repo: this.repo };
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const mapped = mapGitHubError(err, operation);
      this.log.warn({ operation, reason: mapped.reason, status: mapped.status }, mapped.message);
      throw mapped;
    }
  }

  listOpenIssues(labels: string[]): Promise<ForgeIssue[]> {
    return this.call('list issues', async () => {
      // GitHub ANDs the labels of one query; "any of" takes one query per label.
      const byNumber = new Map<number, ForgeIssue>();
      for (const label of labels) {
        const items = await this.cached.list<GhIssue>('GET /repos/{owner}/{repo}/issues', {
          ...this.ids,
          state: 'open',
          labels: label,
        });
        for (const it of items) if (!it.pull_request) byNumber.set(it.number, toIssue(it));
      }
      return [...byNumber.values()].sort((a, b) => a.number - b.number);
    });
  }

  listOpenPullRequests(headPrefix: string): Promise<ForgePullRequest[]> {
    return this.call('list pull requests', async () => {
      const pulls = await this.cached.list<GhPull>('GET /repos/{owner}/{repo}/pulls', {
        ...this.ids,
        state: 'open',
      });
      return pulls
        .filter((p) => isOwnHead(p, this.fullName) && p.head.ref.startsWith(headPrefix))
        .map(toPull);
    });
  }

  private get fullName(): string {
    return `${this.owner}/${this.repo}`;
  }

  private async findOpenPull(head: string, base: string): Promise<GhPull | undefined> {
    const { data } = await this.client.request('GET /repos/{owner}/{repo}/pulls', {
      ...this.ids,
      state: 'open',
      head: `${this.owner}:${head}`,
      base,
      per_page: 10,
    });
    return (data as GhPull[]).find((p) => p.head.ref === head && p.base.ref === base);
  }

  createOrUpdatePullRequest(input: {
    head: string;
    base: string;
    title: string;
    body: string;
    draft?: boolean;
    labels?: string[];
  }): Promise<ForgePullRequest> {
    return this.call('create or update pull request', async () => {
      const existing = await this.findOpenPull(input.head, input.base);
      let pull: GhPull;
      if (existing) {
        const { data } = await this.client.request(
          'PATCH /repos/{owner}/{repo}/pulls/{pull_number}',
          { ...this.ids, pull_number: existing.number, title: input.title, body: input.body },
        );
        pull = data as GhPull;
        this.log.info({ pr: existing.number }, 'pull request updated');
      } else {
        const { data } = await this.client.request('POST /repos/{owner}/{repo}/pulls', {
          ...this.ids,
          head: input.head,
          base: input.base,
          title: input.title,
          body: input.body,
          ...(input.draft ? { draft: true } : {}),
        });
        pull = data as GhPull;
        this.log.info({ pr: pull.number, draft: !!input.draft }, 'pull request created');
      }
      if (input.labels?.length)
        await this.client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/labels', {
          ...this.ids,
          issue_number: pull.number,
          labels: input.labels,
        });
      return toPull(pull);
    });
  }

  approval(number: number): Promise<Approval> {
    return this.call('read reviews', async () => {
      const [pull, reviews] = await Promise.all([
        this.getPull(number),
        this.client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
          ...this.ids,
          pull_number: number,
          per_page: 100,
        }),
      ]);
      return {
        ...reviewVerdicts(
          reviews.data.map((r: { user: { login: string } | null; state: string }) => ({
            user: r.user?.login ?? '',
            state: r.state,
          })),
        ),
        draft: !!pull.draft,
      };
    });
  }

  markReady(number: number): Promise<void> {
    return this.call('mark ready for review', async () => {
      const pull = await this.getPull(number);
      if (!pull.draft) return;
      await this.client.graphql(MARK_READY, { pullRequestId: pull.node_id });
      this.log.info({ pr: number }, 'pull request marked ready for review');
    });
  }

  getPullRequest(number: number): Promise<ForgePullRequest> {
    return this.call('get pull request', async () => toPull(await this.getPull(number)));
  }

  private async getPull(number: number): Promise<GhPull> {
    const { data } = await this.client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      ...this.ids,
      pull_number: number,
    });
    return data as GhPull;
  }

  checksState(ref: string): Promise<ChecksState> {
    return this.call('read checks', async () =>
      combineVerdicts((await this.headChecks(ref)).map((c) => c.state)),
    );
  }

  /** Every check reported on ref: commit statuses and check runs. */
  private async headChecks(ref: string): Promise<ReportedCheck[]> {
    const [combined, runs] = await Promise.all([
      this.client.request('GET /repos/{owner}/{repo}/commits/{ref}/status', {
        ...this.ids,
        ref,
        per_page: 100,
      }),
      this.client.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
        ...this.ids,
        ref,
        per_page: 100,
        filter: 'latest',
      }),
    ]);
    return reportedChecks(combined.data.statuses, runs.data.check_runs);
  }

  getCommit(sha: string): Promise<ForgeCommit> {
    return this.call('read commit', async () => {
      const { data } = await this.client.request('GET /repos/{owner}/{repo}/commits/{ref}', {
        ...this.ids,
        ref: sha,
      });
      return {
        sha: data.sha,
        parents: data.parents.map((p: { sha: string }) => p.sha),
        message: data.commit.message,
      };
    });
  }

  mergeFacts(number: number): Promise<MergeFacts> {
    return this.call('read merge facts', async () => {
      const pull = await this.getPull(number);
      const base = pull.base.ref;
      const facts: MergeFacts = {
        number,
        state: pull.state === 'open' ? 'open' : 'closed',
        merged: pull.merged ?? pull.merged_at !== null,
        mergedAt: pull.merged_at,
        mergeCommitSha: pull.merge_commit_sha ?? null,
        headSha: pull.head.sha,
        base,
        mergeable: pull.mergeable ?? null,
        behindBy: 0,
        checks: [],
        platformAutoMerge: !!pull.auto_merge,
      };
      if (facts.state !== 'open') return facts;
      const ref = pull.head.sha;
      const [checks, branch, compare] = await Promise.all([
        this.headChecks(ref),
        // Readable with read access (the protection endpoint itself needs admin).
        this.client.request('GET /repos/{owner}/{repo}/branches/{branch}', {
          ...this.ids,
          branch: base,
        }),
        this.client.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
          ...this.ids,
          basehead: `${base}...${ref}`,
          per_page: 1,
        }),
      ]);
      facts.checks = checks;
      facts.behindBy = compare.data.behind_by;
      const rsc = branch.data.protection?.required_status_checks;
      const required = [
        ...new Set([
          ...(rsc?.contexts ?? []),
          ...(rsc?.checks ?? []).map((c: { context: string }) => c.context),
        ]),
      ];
      if (branch.data.protected && required.length) facts.requiredChecks = required;
      return facts;
    });
  }

  merge(number: number, method: MergeMethod, headSha: string): Promise<'merged' | 'refused'> {
    return this.call('merge', async () => {
      try {
        await this.client.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', {
          ...this.ids,
          pull_number: number,
          merge_method: method,
          // Merge exactly what was checked: a moved head answers 409.
          sha: headSha,
        });
        this.log.info({ pr: number, method }, 'pull request merged');
        return 'merged';
      } catch (err) {
        const status = (err as { status?: number }).status;
        // 405: not mergeable (protection rules); 409: head moved.
        if (status === 405 || status === 409) {
          this.log.info({ pr: number, status }, 'merge refused');
          return 'refused';
        }
        throw err;
      }
    });
  }

  updateBranch(number: number, expectedHeadSha: string): Promise<'updated' | 'conflict'> {
    return this.call('update branch', async () => {
      try {
        await this.client.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/update-branch', {
          ...this.ids,
          pull_number: number,
          expected_head_sha: expectedHeadSha,
        });
        this.log.info({ pr: number }, 'branch update requested');
        return 'updated';
      } catch (err) {
        // 422: a merge conflict, or the head moved since it was read.
        if ((err as { status?: number }).status === 422) return 'conflict';
        throw err;
      }
    });
  }

  enableAutoMerge(number: number, method: MergeMethod): Promise<'enabled' | 'unavailable'> {
    return this.call('enable auto-merge', async () => {
      const pull = await this.getPull(number);
      try {
        await this.client.graphql(ENABLE_AUTO_MERGE, {
          pullRequestId: pull.node_id,
          mergeMethod: method.toUpperCase(),
        });
        this.log.info({ pr: number, method }, 'auto-merge enabled');
        return 'enabled';
      } catch (err) {
        // Auto-merge disabled for the repository, or not allowed for this token.
        const mapped = mapGitHubError(err, 'enable auto-merge');
        if (mapped.reason === 'ForgeUnauthorized' || mapped.reason === 'ForgeUnavailable')
          throw mapped;
        this.log.info({ pr: number, reason: mapped.message }, 'auto-merge unavailable');
        return 'unavailable';
      }
    });
  }

  closePullRequest(number: number, comment?: string): Promise<void> {
    return this.call('close pull request', async () => {
      if (comment)
        await this.client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...this.ids,
          issue_number: number,
          body: comment,
        });
      await this.client.request('PATCH /repos/{owner}/{repo}/pulls/{pull_number}', {
        ...this.ids,
        pull_number: number,
        state: 'closed',
      });
    });
  }

  openOrCommentIssue(input: {
    title: string;
    body: string;
    labels: string[];
  }): Promise<ForgeIssue> {
    return this.call('open or comment issue', async () => {
      const [first] = input.labels;
      const open = await this.cached.list<GhIssue>('GET /repos/{owner}/{repo}/issues', {
        ...this.ids,
        state: 'open',
        ...(first ? { labels: first } : {}),
      });
      const same = open.find((i) => !i.pull_request && i.title === input.title);
      if (same) {
        await this.client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
          ...this.ids,
          issue_number: same.number,
          body: input.body,
        });
        this.log.info({ issue: same.number }, 'commented on open issue');
        return toIssue(same);
      }
      const { data } = await this.client.request('POST /repos/{owner}/{repo}/issues', {
        ...this.ids,
        title: input.title,
        body: input.body,
        labels: input.labels,
      });
      this.log.info({ issue: data.number }, 'issue opened');
      return toIssue(data as GhIssue);
    });
  }

  listMergedPullRequests(head: string, base: string, limit = 30): Promise<ForgePullRequest[]> {
    return this.call('list merged pull requests', async () => {
      // A head ending in "/" is a prefix (autonomous/…); GitHub filters exact heads only.
      const prefix = head.endsWith('/');
      const pulls = await this.cached.list<GhPull>(
        'GET /repos/{owner}/{repo}/pulls',
        {
          ...this.ids,
          state: 'closed',
          base,
          sort: 'updated',
          direction: 'desc',
          ...(prefix ? {} : { head: `${this.owner}:${head}` }),
        },
        100,
        prefix ? 3 : 1,
      );
      return pulls
        .filter((p) => p.merged_at !== null && isOwnHead(p, this.fullName))
        .filter((p) => (prefix ? p.head.ref.startsWith(head) : p.head.ref === head))
        .map(toPull)
        .sort((a, b) => (b.mergedAt ?? '').localeCompare(a.mergedAt ?? ''))
        .slice(0, limit);
    });
  }
}
