// Gitea and Forgejo through their REST API v1 (Forgejo keeps Gitea's API).
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
} from '../types.ts';
import type { ForgeConfig } from '../config.ts';
import type { Logger } from '../../util/logger.ts';
import { parseRepoUrl } from '../repo-url.ts';
import { combineChecks, latestPerContext, reportedChecks } from '../checks.ts';
import { reviewVerdicts } from '../reviews.ts';
import { GiteaClient, GiteaHttpError, mapGiteaError } from './client.ts';

/** Gitea's default work-in-progress prefix: such a pull request cannot be merged. */
const WIP_PREFIX = 'WIP: ';

interface GtIssue {
  number: number;
  title: string;
  body: string | null;
  labels: Array<{ id: number; name: string }> | null;
  html_url: string;
  updated_at: string;
  pull_request?: unknown;
}
interface GtPull {
  number: number;
  merge_commit_sha?: string | null;
  title: string;
  html_url: string;
  state: string;
  merged: boolean;
  merged_at: string | null;
  mergeable: boolean;
  head: { ref: string; sha: string };
  base: { ref: string };
}
interface GtBranchProtection {
  rule_name?: string;
  branch_name?: string;
  enable_status_check: boolean;
  status_check_contexts: string[] | null;
}
interface GtCombinedStatus {
  state: string;
  total_count: number;
  statuses: Array<{ status: string; context: string }> | null;
}

const PAGE = 50;

const toIssue = (i: GtIssue): ForgeIssue => ({
  number: i.number,
  title: i.title,
  body: i.body ?? '',
  labels: (i.labels ?? []).map((l) => l.name),
  url: i.html_url,
  updatedAt: i.updated_at,
});

const toPull = (p: GtPull): ForgePullRequest => ({
  number: p.number,
  url: p.html_url,
  state: p.state === 'open' ? 'open' : 'closed',
  merged: p.merged,
  mergedAt: p.merged_at,
  head: p.head.ref,
  base: p.base.ref,
  headSha: p.head.sha,
  title: p.title,
});

export class GiteaForge implements Forge {
  readonly kind = 'gitea' as const;
  readonly capabilities: ForgeCapabilities = { pullRequests: true, issues: true };
  private readonly client: GiteaClient;
  private readonly repoPath: string;
  private readonly log: Logger;

  constructor(cfg: ForgeConfig) {
    const { host, owner, repo, scheme } = parseRepoUrl(cfg.repoUrl);
    this.repoPath = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
    this.log = cfg.logger.child({ forge: 'gitea', repo: `${owner}/${repo}` });
    const web = scheme === 'http' ? `http://${host}` : `https://${host.replace(/:\d+$/, '')}`;
    this.client = new GiteaClient({
      baseUrl: cfg.apiUrl ?? web,
      token: cfg.token,
      userAgent: cfg.userAgent,
      tuning: cfg.tuning,
      logger: this.log,
    });
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const mapped = mapGiteaError(err, operation);
      this.log.warn({ operation, reason: mapped.reason, status: mapped.status }, mapped.message);
      throw mapped;
    }
  }

  private async list<T>(path: string, query: Record<string, string>, maxPages = 10): Promise<T[]> {
    const out: T[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const { data } = await this.client.request<T[]>('GET', this.repoPath + path, {
        query: { ...query, page, limit: PAGE },
      });
      out.push(...(data ?? []));
      if (!data || data.length < PAGE) break;
    }
    return out;
  }

  listOpenIssues(labels: string[]): Promise<ForgeIssue[]> {
    return this.call('list issues', async () => {
      const byNumber = new Map<number, ForgeIssue>();
      for (const label of labels) {
        const items = await this.list<GtIssue>('/issues', {
          state: 'open',
          type: 'issues',
          labels: label,
        });
        for (const i of items) if (!i.pull_request) byNumber.set(i.number, toIssue(i));
      }
      return [...byNumber.values()].sort((a, b) => a.number - b.number);
    });
  }

  listOpenPullRequests(headPrefix: string): Promise<ForgePullRequest[]> {
    return this.call('list pull requests', async () =>
      (await this.list<GtPull>('/pulls', { state: 'open' }))
        .filter((p) => p.head.ref.startsWith(headPrefix))
        .map(toPull),
    );
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
      // Gitea's drafts are titles with a work-in-progress prefix.
      const title = input.draft ? `${WIP_PREFIX}${input.title}` : input.title;
      const labels = input.labels?.length ? await this.labelIds(input.labels) : undefined;
      const open = await this.list<GtPull>('/pulls', { state: 'open' });
      const existing = open.find((p) => p.head.ref === input.head && p.base.ref === input.base);
      if (existing) {
        const { data } = await this.client.request<GtPull>(
          'PATCH',
          `${this.repoPath}/pulls/${existing.number}`,
          { body: { title, body: input.body, ...(labels ? { labels } : {}) } },
        );
        return toPull(data);
      }
      const { data } = await this.client.request<GtPull>('POST', `${this.repoPath}/pulls`, {
        body: {
          head: input.head,
          base: input.base,
          title,
          body: input.body,
          ...(labels ? { labels } : {}),
        },
      });
      this.log.info({ pr: data.number, draft: !!input.draft }, 'pull request created');
      return toPull(data);
    });
  }

  approval(number: number): Promise<Approval> {
    return this.call('read reviews', async () => {
      const pull = await this.getPull(number);
      const reviews = await this.list<{
        user: { login: string } | null;
        state: string;
        dismissed?: boolean;
      }>(`/pulls/${number}/reviews`, {});
      return {
        ...reviewVerdicts(
          reviews.map((r) => ({
            user: r.user?.login ?? '',
            state: r.dismissed ? 'DISMISSED' : r.state,
          })),
        ),
        draft: pull.title.startsWith(WIP_PREFIX),
      };
    });
  }

  markReady(number: number): Promise<void> {
    return this.call('mark ready for review', async () => {
      const pull = await this.getPull(number);
      if (!pull.title.startsWith(WIP_PREFIX)) return;
      await this.client.request('PATCH', `${this.repoPath}/pulls/${number}`, {
        body: { title: pull.title.slice(WIP_PREFIX.length) },
      });
    });
  }

  getPullRequest(number: number): Promise<ForgePullRequest> {
    return this.call('get pull request', async () => toPull(await this.getPull(number)));
  }

  private async getPull(number: number): Promise<GtPull> {
    return (await this.client.request<GtPull>('GET', `${this.repoPath}/pulls/${number}`)).data;
  }

  checksState(ref: string): Promise<ChecksState> {
    return this.call('read checks', async () => {
      // Gitea Actions and external CI both report commit statuses; there are no check runs.
      const { data } = await this.client.request<GtCombinedStatus>(
        'GET',
        `${this.repoPath}/commits/${encodeURIComponent(ref)}/status`,
        { query: { limit: PAGE } },
      );
      return combineChecks(
        latestPerContext(data.statuses ?? []).map((s) => s.status),
        [],
      );
    });
  }

  getCommit(sha: string): Promise<ForgeCommit> {
    return this.call('read commit', async () => {
      const { data } = await this.client.request<{
        sha: string;
        parents: Array<{ sha: string }> | null;
        commit: { message: string };
      }>('GET', `${this.repoPath}/git/commits/${encodeURIComponent(sha)}`, {
        query: { stat: false, verification: false, files: false },
      });
      return {
        sha: data.sha,
        parents: (data.parents ?? []).map((p) => p.sha),
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
        merged: pull.merged,
        mergedAt: pull.merged_at,
        mergeCommitSha: pull.merge_commit_sha ?? null,
        headSha: pull.head.sha,
        base,
        mergeable: pull.mergeable,
        behindBy: 0,
        checks: [],
        // Gitea does not show a scheduled auto-merge on the pull request; asking again answers 409.
        platformAutoMerge: false,
      };
      if (facts.state !== 'open') return facts;
      const [statuses, behind, required] = await Promise.all([
        this.client.request<GtCombinedStatus>(
          'GET',
          `${this.repoPath}/commits/${encodeURIComponent(pull.head.sha)}/status`,
          { query: { limit: PAGE } },
        ),
        // head...base lists the commits on base since the merge base: those the head lacks.
        this.client.request<{ total_commits: number }>(
          'GET',
          `${this.repoPath}/compare/${encodeURIComponent(`${pull.head.sha}...${base}`)}`,
        ),
        this.requiredChecks(base),
      ]);
      facts.checks = reportedChecks(
        (statuses.data.statuses ?? []).map((x) => ({ context: x.context, state: x.status })),
        [],
      );
      facts.behindBy = behind.data.total_commits;
      if (required?.length) facts.requiredChecks = required;
      return facts;
    });
  }

  /** Status checks base's protection rule requires; undefined when unknown (listing rules needs admin). */
  private async requiredChecks(base: string): Promise<string[] | undefined> {
    try {
      const { data } = await this.client.request<GtBranchProtection[]>(
        'GET',
        `${this.repoPath}/branch_protections`,
      );
      const rule = data.find((r) => (r.rule_name || r.branch_name) === base);
      return rule?.enable_status_check ? (rule.status_check_contexts ?? []) : undefined;
    } catch (err) {
      if (err instanceof GiteaHttpError && (err.status === 403 || err.status === 404)) {
        this.log.debug(
          { status: err.status },
          'branch protection not readable; using the grace period',
        );
        return undefined;
      }
      throw err;
    }
  }

  merge(number: number, method: MergeMethod, headSha: string): Promise<'merged' | 'refused'> {
    return this.call('merge', async () => {
      try {
        await this.client.request('POST', `${this.repoPath}/pulls/${number}/merge`, {
          body: { Do: method, head_commit_id: headSha },
        });
        this.log.info({ pr: number, method }, 'pull request merged');
        return 'merged';
      } catch (err) {
        // 405: not mergeable (protection, conflicts); 409: head moved.
        if (err instanceof GiteaHttpError && (err.status === 405 || err.status === 409)) {
          this.log.info({ pr: number, status: err.status }, 'merge refused');
          return 'refused';
        }
        throw err;
      }
    });
  }

  updateBranch(number: number, expectedHeadSha: string): Promise<'updated' | 'conflict'> {
    return this.call('update branch', async () => {
      const current = await this.getPull(number);
      if (current.head.sha !== expectedHeadSha) return 'updated'; // moved already: the gate looks again
      try {
        await this.client.request('POST', `${this.repoPath}/pulls/${number}/update`, {
          query: { style: 'merge' },
        });
        this.log.info({ pr: number }, 'branch updated');
        return 'updated';
      } catch (err) {
        if (err instanceof GiteaHttpError && err.status === 409) return 'conflict';
        throw err;
      }
    });
  }

  enableAutoMerge(number: number, method: MergeMethod): Promise<'enabled' | 'unavailable'> {
    return this.call('enable auto-merge', async () => {
      const current = await this.getPull(number);
      try {
        // Gitea schedules the merge (201), or merges now when its own required checks already passed (200).
        await this.client.request('POST', `${this.repoPath}/pulls/${number}/merge`, {
          body: { Do: method, head_commit_id: current.head.sha, merge_when_checks_succeed: true },
        });
        return 'enabled';
      } catch (err) {
        // 409: already scheduled (or the head moved: the next check sees it).
        if (err instanceof GiteaHttpError && err.status === 409) return 'enabled';
        if (err instanceof GiteaHttpError && err.status === 405) return 'unavailable';
        throw err;
      }
    });
  }

  closePullRequest(number: number, comment?: string): Promise<void> {
    return this.call('close pull request', async () => {
      if (comment)
        await this.client.request('POST', `${this.repoPath}/issues/${number}/comments`, {
          body: { body: comment },
        });
      await this.client.request('PATCH', `${this.repoPath}/pulls/${number}`, {
        body: { state: 'closed' },
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
      const open = await this.list<GtIssue>('/issues', {
        state: 'open',
        type: 'issues',
        ...(first ? { labels: first } : {}),
      });
      const same = open.find((i) => i.title === input.title);
      if (same) {
        await this.client.request('POST', `${this.repoPath}/issues/${same.number}/comments`, {
          body: { body: input.body },
        });
        return toIssue(same);
      }
      const labelIds = await this.labelIds(input.labels);
      const { data } = await this.client.request<GtIssue>('POST', `${this.repoPath}/issues`, {
        body: { title: input.title, body: input.body, labels: labelIds },
      });
      this.log.info({ issue: data.number }, 'issue opened');
      return toIssue(data);
    });
  }

  /** Gitea creates issues with label ids: resolve names, creating missing labels. */
  private async labelIds(names: string[]): Promise<number[]> {
    const existing = await this.list<{ id: number; name: string }>('/labels', {});
    const ids: number[] = [];
    for (const name of names) {
      let label = existing.find((l) => l.name === name);
      if (!label) {
        label = (
          await this.client.request<{ id: number; name: string }>(
            'POST',
            `${this.repoPath}/labels`,
            { body: { name, color: '#ededed' } },
          )
        ).data;
      }
      ids.push(label.id);
    }
    return ids;
  }

  listMergedPullRequests(head: string, base: string, limit = 30): Promise<ForgePullRequest[]> {
    return this.call('list merged pull requests', async () => {
      const prefix = head.endsWith('/');
      const closed = await this.list<GtPull>(
        '/pulls',
        { state: 'closed', sort: 'recentupdate' },
        3,
      );
      return closed
        .filter((p) => p.merged && p.base.ref === base)
        .filter((p) => (prefix ? p.head.ref.startsWith(head) : p.head.ref === head))
        .map(toPull)
        .sort((a, b) => (b.mergedAt ?? '').localeCompare(a.mergedAt ?? ''))
        .slice(0, limit);
    });
  }
}
