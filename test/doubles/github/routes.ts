// The REST endpoints the GitHub forge uses, over the double's state. Each
// route names its OpenAPI path template; the server validates against it.
import type { Fixtures } from './fixtures.ts';
import type { PullRecord, RepoState, StatusRecord } from './state.ts';
import { nodeId, now } from './state.ts';

export interface RouteContext {
  repo: RepoState;
  params: Record<string, string>;
  query: Record<string, string>;
  body: Record<string, unknown> | undefined;
  fx: Fixtures;
  ops: DoubleOps;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What routes need from the double beyond plain state. */
export interface DoubleOps {
  nextId(): number;
  livePull(
    r: RepoState,
    p: PullRecord,
  ): { headSha: string; baseSha: string; mergeable: boolean | null };
  branchExists(r: RepoState, branch: string): boolean;
  resolveSha(r: RepoState, ref: string): string;
  checks(r: RepoState, sha: string): 'success' | 'pending' | 'failure' | 'none';
  /** GitHub's "clean" mergeable state: it could be merged as it is. */
  readyToMerge(r: RepoState, p: PullRecord): boolean;
  /** Commits base has that head lacks, head has that base lacks, and their merge base. */
  compare(
    r: RepoState,
    base: string,
    head: string,
  ): { behindBy: number; aheadBy: number; mergeBase: string } | undefined;
  updateBranch(r: RepoState, p: PullRecord, expectedHeadSha?: string): RouteResult;
  commitInfo(r: RepoState, sha: string): { parents: string[]; message: string } | undefined;
  merge(
    r: RepoState,
    p: PullRecord,
    method: 'merge' | 'squash' | 'rebase',
    sha?: string,
  ): RouteResult;
}

export interface Route {
  method: string;
  template: string;
  handle(ctx: RouteContext): RouteResult;
}

const DOCS = 'https://docs.github.com/rest';
export const notFound = (): RouteResult => ({
  status: 404,
  body: { message: 'Not Found', documentation_url: DOCS, status: '404' },
});
const invalid = (field: string, code: string, message?: string): RouteResult => ({
  status: 422,
  body: {
    message: 'Validation Failed',
    documentation_url: DOCS,
    errors: [{ resource: 'PullRequest', field, code, ...(message ? { message } : {}) }],
  },
});

function page<T>(items: T[], query: Record<string, string>): T[] {
  const perPage = Math.min(Number(query.per_page ?? 30), 100);
  const p = Math.max(Number(query.page ?? 1), 1);
  return items.slice((p - 1) * perPage, p * perPage);
}

function findPull(ctx: RouteContext): PullRecord | undefined {
  return ctx.repo.pulls.find((p) => p.number === Number(ctx.params.pull_number));
}

export const ROUTES: Route[] = [
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/issues',
    handle: ({ repo, query, fx }) => {
      const state = query.state ?? 'open';
      const labels = (query.labels ?? '').split(',').filter(Boolean);
      // GitHub's issues list includes pull requests (marked with pull_request).
      const all = [
        ...repo.issues.map((i) => ({ rec: i, pull: false })),
        ...repo.pulls.map((p) => ({ rec: p, pull: true })),
      ]
        .filter(({ rec }) => state === 'all' || rec.state === state)
        .filter(({ rec }) => labels.every((l) => rec.labels.includes(l)))
        .sort((a, b) =>
          query.direction === 'asc' ? a.rec.number - b.rec.number : b.rec.number - a.rec.number,
        );
      return {
        status: 200,
        body: page(all, query).map(({ rec, pull }) => fx.issue(repo, rec, pull)),
      };
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues',
    handle: ({ repo, body, fx }) => {
      const t = now();
      const number = repo.nextNumber++;
      const rec = {
        number,
        nodeId: nodeId('I', `${repo.id}:${number}`),
        title: String(body?.title ?? ''),
        body: String(body?.body ?? ''),
        labels: ((body?.labels ?? []) as Array<string | { name: string }>).map((l) =>
          typeof l === 'string' ? l : l.name,
        ),
        state: 'open' as const,
        comments: [],
        createdAt: t,
        updatedAt: t,
      };
      repo.issues.push(rec);
      return { status: 201, body: fx.issue(repo, rec) };
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    handle: ({ repo, params, body, fx, ops }) => {
      const n = Number(params.issue_number);
      const target =
        repo.issues.find((i) => i.number === n) ?? repo.pulls.find((p) => p.number === n);
      if (!target) return notFound();
      const comment = { id: ops.nextId(), body: String(body?.body ?? ''), createdAt: now() };
      target.comments.push(comment);
      target.updatedAt = comment.createdAt;
      return { status: 201, body: fx.comment(repo, n, comment) };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/pulls',
    handle: ({ repo, query, fx, ops }) => {
      const state = query.state ?? 'open';
      const [headOwner, headRef] = (query.head ?? '').includes(':')
        ? (query.head ?? '').split(':', 2)
        : [undefined, query.head];
      const key = query.sort === 'updated' ? 'updatedAt' : 'createdAt';
      const list = repo.pulls
        .filter((p) => state === 'all' || p.state === state)
        .filter((p) => !headRef || (p.head === headRef && (!headOwner || headOwner === repo.owner)))
        .filter((p) => !query.base || p.base === query.base)
        .sort((a, b) => {
          const d = a[key].localeCompare(b[key]) || a.number - b.number;
          return query.direction === 'asc' ? d : -d;
        });
      return {
        status: 200,
        body: page(list, query).map((p) => fx.pull(repo, p, ops.livePull(repo, p), true)),
      };
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/pulls',
    handle: ({ repo, body, fx, ops }) => {
      const head = String(body?.head ?? '').replace(/^[^:]+:/, '');
      const base = String(body?.base ?? '');
      if (!ops.branchExists(repo, head)) return invalid('head', 'invalid');
      if (!ops.branchExists(repo, base)) return invalid('base', 'invalid');
      if (repo.pulls.some((p) => p.state === 'open' && p.head === head && p.base === base))
        return invalid('', 'custom', `A pull request already exists for ${repo.owner}:${head}.`);
      const t = now();
      const number = repo.nextNumber++;
      const rec: PullRecord = {
        number,
        nodeId: nodeId('PR', `${repo.id}:${number}`),
        title: String(body?.title ?? ''),
        body: String(body?.body ?? ''),
        head,
        base,
        headSha: ops.resolveSha(repo, head),
        labels: [],
        state: 'open',
        merged: false,
        mergedAt: null,
        mergeCommitSha: null,
        autoMerge: null,
        draft: body?.draft === true,
        reviews: [],
        comments: [],
        createdAt: t,
        updatedAt: t,
      };
      repo.pulls.push(rec);
      return { status: 201, body: fx.pull(repo, rec, ops.livePull(repo, rec)) };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}',
    handle: (ctx) => {
      const p = findPull(ctx);
      return p
        ? { status: 200, body: ctx.fx.pull(ctx.repo, p, ctx.ops.livePull(ctx.repo, p)) }
        : notFound();
    },
  },
  {
    method: 'PATCH',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}',
    handle: (ctx) => {
      const p = findPull(ctx);
      if (!p) return notFound();
      const b = ctx.body ?? {};
      if (typeof b.title === 'string') p.title = b.title;
      if (typeof b.body === 'string') p.body = b.body;
      if (b.state === 'closed' || b.state === 'open') {
        if (p.merged && b.state === 'open') return invalid('state', 'invalid');
        p.state = b.state;
        if (b.state === 'closed') p.autoMerge = null;
      }
      p.updatedAt = now();
      return { status: 200, body: ctx.fx.pull(ctx.repo, p, ctx.ops.livePull(ctx.repo, p)) };
    },
  },
  {
    method: 'PUT',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}/merge',
    handle: (ctx) => {
      const p = findPull(ctx);
      if (!p) return notFound();
      const method = (ctx.body?.merge_method ?? 'merge') as 'merge' | 'squash' | 'rebase';
      const sha = typeof ctx.body?.sha === 'string' ? ctx.body.sha : undefined;
      return ctx.ops.merge(ctx.repo, p, method, sha);
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}/status',
    handle: ({ repo, params, query, fx, ops }) => {
      const sha = ops.resolveSha(repo, params.ref ?? '');
      const latest = new Map<string, StatusRecord>();
      for (const s of repo.statuses.get(sha) ?? [])
        if (!latest.has(s.context)) latest.set(s.context, s);
      const statuses = [...latest.values()];
      // GitHub's combined state is pending when no status exists at all.
      const combined = statuses.some((s) => s.state === 'failure' || s.state === 'error')
        ? 'failure'
        : statuses.length && statuses.every((s) => s.state === 'success')
          ? 'success'
          : 'pending';
      return { status: 200, body: fx.combinedStatus(repo, sha, page(statuses, query), combined) };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}/check-runs',
    handle: ({ repo, params, query, fx, ops }) => {
      const sha = ops.resolveSha(repo, params.ref ?? '');
      const runs = repo.checkRuns.get(sha) ?? [];
      return {
        status: 200,
        body: {
          total_count: runs.length,
          check_runs: page(runs, query).map((c) => fx.checkRun(repo, sha, c)),
        },
      };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/branches/{branch}',
    handle: ({ repo, params, fx, ops }) => {
      const name = params.branch ?? '';
      if (!ops.branchExists(repo, name)) return notFound();
      return {
        status: 200,
        body: fx.branchWithProtection(
          repo,
          name,
          ops.resolveSha(repo, name),
          repo.protection.get(name),
        ),
      };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/compare/{basehead}',
    handle: ({ repo, params, fx, ops }) => {
      const [base, head] = (params.basehead ?? '').split('...');
      if (!base || !head) return notFound();
      const baseSha = ops.resolveSha(repo, base);
      const headSha = ops.resolveSha(repo, head);
      const c = ops.compare(repo, baseSha, headSha);
      if (!c) return notFound();
      return {
        status: 200,
        body: fx.comparison(repo, { base: baseSha, head: headSha, ...c }),
      };
    },
  },
  {
    method: 'PUT',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}/update-branch',
    handle: (ctx) => {
      const p = findPull(ctx);
      if (!p) return notFound();
      const expected =
        typeof ctx.body?.expected_head_sha === 'string' ? ctx.body.expected_head_sha : undefined;
      return ctx.ops.updateBranch(ctx.repo, p, expected);
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/commits/{ref}',
    handle: ({ repo, params, fx, ops }) => {
      const sha = ops.resolveSha(repo, params.ref ?? '');
      const info = ops.commitInfo(repo, sha);
      return info ? { status: 200, body: fx.commit(repo, sha, info) } : notFound();
    },
  },
  {
    method: 'POST',
    template: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
    handle: ({ repo, params, body, fx }) => {
      const n = Number(params.issue_number);
      const rec = repo.issues.find((i) => i.number === n) ?? repo.pulls.find((p) => p.number === n);
      if (!rec) return notFound();
      for (const l of (body?.labels ?? []) as Array<string | { name: string }>) {
        const name = typeof l === 'string' ? l : l.name;
        if (!rec.labels.includes(name)) rec.labels.push(name);
      }
      return { status: 200, body: rec.labels.map((l) => fx.label(repo, l)) };
    },
  },
  {
    method: 'GET',
    template: '/repos/{owner}/{repo}/pulls/{pull_number}/reviews',
    handle: (ctx) => {
      const p = findPull(ctx);
      if (!p) return notFound();
      return {
        status: 200,
        body: page(p.reviews, ctx.query).map((r) => ctx.fx.review(ctx.repo, p, r)),
      };
    },
  },
];
