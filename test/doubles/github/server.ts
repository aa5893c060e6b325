// A GitHub REST double on 127.0.0.1 (or a given address) for the endpoints the GitHub forge uses,
// plus a minimal /graphql for enablePullRequestAutoMerge. Every request and
// every response body is checked against GitHub's OpenAPI description
// (@octokit/openapi); problems land in `violations`, which tests assert empty.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { githubOpenApi } from './openapi.ts';
import { Fixtures } from './fixtures.ts';
import { ROUTES, notFound, type DoubleOps, type RouteResult } from './routes.ts';
import {
  commitInfo,
  countCommits,
  isMergeable,
  mergeBaseIntoHead,
  mergeInBare,
  revParse,
} from './git-ops.ts';
import { handleGraphql } from './graphql.ts';
import {
  now,
  type CheckRunRecord,
  type IssueRecord,
  type PullRecord,
  type RepoState,
} from './state.ts';

export type { IssueRecord, PullRecord } from './state.ts';

export interface GitHubDouble {
  url: string;
  addRepo(
    owner: string,
    repo: string,
    opts?: { bareRepoPath?: string; defaultBranch?: string; allowAutoMerge?: boolean },
  ): void;
  addIssue(
    owner: string,
    repo: string,
    issue: { title: string; body?: string; labels: string[] },
  ): number;
  /** Labels a pull request (GitHub lists labelled PRs among issues). */
  labelPull(owner: string, repo: string, number: number, label: string): void;
  setCommitStatus(
    owner: string,
    repo: string,
    sha: string,
    state: 'success' | 'pending' | 'failure' | 'error',
    context?: string,
  ): void;
  addCheckRun(
    owner: string,
    repo: string,
    sha: string,
    run: {
      name: string;
      status: 'queued' | 'in_progress' | 'completed';
      conclusion?: 'success' | 'failure' | 'neutral' | 'skipped' | null;
    },
  ): void;
  /** A human's review of a pull request. */
  reviewPull(
    owner: string,
    repo: string,
    number: number,
    user: string,
    state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED',
  ): void;
  /** A protection rule on branch that requires these status checks. */
  protectBranch(owner: string, repo: string, branch: string, requiredChecks: string[]): void;
  pulls(owner: string, repo: string): PullRecord[];
  issues(owner: string, repo: string): IssueRecord[];
  mergePull(
    owner: string,
    repo: string,
    number: number,
    method?: 'merge' | 'squash' | 'rebase',
  ): void;
  rateLimitRemaining(): number;
  /** Answers the next `count` requests with `status` (5xx/429 fault injection). */
  failNext(count: number, status: number): void;
  /** Passes the next JSON response body through `mutate` before it is validated and sent. */
  corruptNextResponse(mutate: (body: unknown) => unknown): void;
  requests: Array<{ method: string; path: string; status: number }>;
  violations: string[];
  close(): Promise<void>;
}

const RATE_LIMIT = 5000;
const DOCS = 'https://docs.github.com/rest';

export async function startGitHubDouble(
  opts: { token?: string; rateLimit?: number; host?: string } = {},
): Promise<GitHubDouble> {
  const spec = githubOpenApi();
  const repos = new Map<string, RepoState>();
  const requests: GitHubDouble['requests'] = [];
  const violations: string[] = [];
  let remaining = opts.rateLimit ?? RATE_LIMIT;
  const resetAt = Math.floor(Date.now() / 1000) + 3600;
  let ids = 1000;
  let faults: { count: number; status: number } = { count: 0, status: 0 };
  let corrupt: ((body: unknown) => unknown) | undefined;
  const holder: { fx?: Fixtures } = {};

  const key = (owner: string, repo: string) => `${owner}/${repo}`.toLowerCase();
  const repoOf = (owner: string, repo: string): RepoState => {
    const r = repos.get(key(owner, repo));
    if (!r) throw new Error(`github double: no repo ${owner}/${repo}; call addRepo first`);
    return r;
  };

  const ops: DoubleOps = {
    nextId: () => ++ids,
    branchExists: (r, branch) =>
      r.bareRepoPath ? revParse(r.bareRepoPath, branch) !== undefined : true,
    resolveSha: (r, ref) => {
      if (/^[0-9a-f]{40}$/.test(ref)) return ref;
      if (r.bareRepoPath) return revParse(r.bareRepoPath, ref) ?? ref;
      return createHash('sha1').update(`${r.owner}/${r.repo}:${ref}`).digest('hex');
    },
    livePull: (r, p) => {
      const headSha =
        p.state === 'open' && r.bareRepoPath
          ? (revParse(r.bareRepoPath, p.head) ?? p.headSha)
          : p.headSha;
      const baseSha = ops.resolveSha(r, p.base);
      const mergeable = p.merged
        ? null
        : r.bareRepoPath
          ? isMergeable(r.bareRepoPath, p.base, p.head)
          : true;
      if (p.state === 'open') p.headSha = headSha;
      return { headSha, baseSha, mergeable };
    },
    checks: (r, sha) => {
      const latest = new Map<string, string>();
      for (const s of r.statuses.get(sha) ?? [])
        if (!latest.has(s.context)) latest.set(s.context, s.state);
      const states = [...latest.values()];
      const runs = r.checkRuns.get(sha) ?? [];
      if (!states.length && !runs.length) return 'none';
      if (states.some((s) => s === 'failure' || s === 'error')) return 'failure';
      if (
        runs.some(
          (c) =>
            c.status === 'completed' &&
            !['success', 'neutral', 'skipped'].includes(c.conclusion ?? ''),
        )
      )
        return 'failure';
      if (states.some((s) => s === 'pending') || runs.some((c) => c.status !== 'completed'))
        return 'pending';
      return 'success';
    },
    // "Clean": mergeable, and the checks base's protection requires (else all reported) are green.
    readyToMerge: (r, p) => {
      const live = ops.livePull(r, p);
      if (!live.mergeable || p.draft) return false;
      const required = r.protection.get(p.base);
      if (!required?.length) {
        const verdict = ops.checks(r, live.headSha);
        return verdict === 'success' || verdict === 'none';
      }
      const latest = new Map<string, string>();
      for (const s of r.statuses.get(live.headSha) ?? [])
        if (!latest.has(s.context)) latest.set(s.context, s.state);
      for (const c of r.checkRuns.get(live.headSha) ?? [])
        if (c.status === 'completed') latest.set(c.name, c.conclusion ?? '');
      return required.every((n) => latest.get(n) === 'success');
    },
    compare: (r, base, head) => {
      if (!r.bareRepoPath) return { behindBy: 0, aheadBy: 1, mergeBase: base };
      const bare = r.bareRepoPath;
      const mb = spawnSync('git', ['--git-dir', bare, 'merge-base', base, head], {
        encoding: 'utf8',
      });
      if (mb.status !== 0) return undefined;
      return {
        behindBy: countCommits(bare, head, base),
        aheadBy: countCommits(bare, base, head),
        mergeBase: mb.stdout.trim(),
      };
    },
    commitInfo: (r, sha) =>
      r.bareRepoPath ? commitInfo(r.bareRepoPath, sha) : { parents: [], message: '' },
    updateBranch: (r, p, expected) => {
      const unprocessable = (message: string): RouteResult => ({
        status: 422,
        body: { message, documentation_url: DOCS },
      });
      if (p.state !== 'open') return unprocessable('Pull request is not open');
      if (!r.bareRepoPath) return unprocessable('merge conflict between base and head');
      const res = mergeBaseIntoHead(r.bareRepoPath, {
        base: p.base,
        head: p.head,
        expectedHeadSha: expected,
      });
      if (!res.ok)
        return unprocessable(
          res.reason === 'moved'
            ? 'expected head sha didn’t match current head ref.'
            : 'merge conflict between base and head',
        );
      p.updatedAt = now();
      return {
        status: 202,
        body: { message: 'Updating pull request branch.', url: `${DOCS}/pulls` },
      };
    },
    merge: (r, p, method, sha) => {
      const live = ops.livePull(r, p);
      if (p.state !== 'open' || p.merged || live.mergeable === false)
        return {
          status: 405,
          body: { message: 'Pull Request is not mergeable', documentation_url: DOCS },
        };
      if (p.draft)
        return {
          status: 405,
          body: { message: 'Pull Request is still a draft', documentation_url: DOCS },
        };
      if (sha && sha !== live.headSha)
        return {
          status: 409,
          body: {
            message: 'Head branch was modified. Review and try the merge again.',
            documentation_url: DOCS,
          },
        };
      let mergeSha = createHash('sha1').update(`merge:${p.number}:${live.headSha}`).digest('hex');
      if (r.bareRepoPath) {
        const res = mergeInBare(r.bareRepoPath, {
          base: p.base,
          head: p.head,
          method,
          title:
            method === 'merge'
              ? `Merge pull request #${p.number} from ${r.owner}/${p.head}`
              : `${p.title} (#${p.number})`,
          message: method === 'merge' ? p.title : p.body,
        });
        if (!res.ok)
          return {
            status: 405,
            body: { message: 'Pull Request is not mergeable', documentation_url: DOCS },
          };
        mergeSha = res.sha;
      }
      const t = now();
      Object.assign(p, {
        state: 'closed',
        merged: true,
        mergedAt: t,
        mergeCommitSha: mergeSha,
        autoMerge: null,
        updatedAt: t,
      });
      return {
        status: 200,
        body: { sha: mergeSha, merged: true, message: 'Pull Request successfully merged' },
      };
    },
  };

  // Platform auto-merge: once the PR could be merged as it is, GitHub merges it.
  const runAutoMerge = (r: RepoState) => {
    for (const p of r.pulls)
      if (p.state === 'open' && p.autoMerge && ops.readyToMerge(r, p))
        ops.merge(r, p, p.autoMerge.method);
  };

  const send = (res: ServerResponse, result: RouteResult) => {
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `DOUBLE:${++ids}`,
      'x-ratelimit-limit': String(opts.rateLimit ?? RATE_LIMIT),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(resetAt),
      'x-ratelimit-used': String((opts.rateLimit ?? RATE_LIMIT) - remaining),
      'x-ratelimit-resource': 'core',
      ...result.headers,
    };
    if (result.body === undefined) {
      res.writeHead(result.status, headers).end();
      return;
    }
    res.writeHead(result.status, { ...headers, 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(result.body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const record = (status: number) =>
      requests.push({ method, path: url.pathname + url.search, status });
    const reply = (result: RouteResult, template?: string) => {
      if (corrupt && result.body !== undefined) {
        result = { ...result, body: corrupt(result.body) };
        corrupt = undefined;
      }
      if (template && result.status !== 304) {
        violations.push(...spec.validateResponse(method, template, result.status, result.body));
      } else if (result.status >= 400 && result.body !== undefined) {
        violations.push(...spec.validateComponent('basic-error', result.body));
      }
      record(result.status);
      send(res, result);
    };

    let body: Record<string, unknown> | undefined;
    if (raw.length) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        violations.push(`${method} ${url.pathname}: body is not JSON`);
        return reply({
          status: 400,
          body: { message: 'Problems parsing JSON', documentation_url: DOCS },
        });
      }
    }

    if (opts.token) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `token ${opts.token}` && auth !== `Bearer ${opts.token}`)
        return reply({
          status: 401,
          body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' },
        });
    }
    if (faults.count > 0) {
      faults.count--;
      return reply({
        status: faults.status,
        body: { message: 'Server Error', documentation_url: DOCS },
      });
    }
    if (remaining <= 0)
      return reply({
        status: 403,
        body: {
          message: 'API rate limit exceeded for user ID 1.',
          documentation_url: DOCS,
          status: '403',
        },
      });

    if (method === 'POST' && url.pathname === '/graphql') {
      remaining--;
      const out = handleGraphql(body, {
        repos: [...repos.values()],
        ops,
        violations,
        runAutoMerge,
      });
      record(200);
      return send(res, { status: 200, body: out });
    }

    for (const route of ROUTES) {
      const match = matchTemplate(route.template, url.pathname);
      if (!match || route.method !== method) continue;
      const query = Object.fromEntries(url.searchParams);
      violations.push(
        ...spec.validateRequest(method, route.template, { path: match, query, body }),
      );
      const r = repos.get(key(match.owner ?? '', match.repo ?? ''));
      let result = r
        ? route.handle({ repo: r, params: match, query, body, fx: holder.fx as Fixtures, ops })
        : notFound();
      if (method === 'GET' && result.status === 200) {
        // Conditional requests: an unchanged answer is 304 and costs no rate limit.
        const etag = `"${createHash('sha256').update(JSON.stringify(result.body)).digest('hex').slice(0, 40)}"`;
        if (req.headers['if-none-match'] === etag) {
          record(304);
          return send(res, { status: 304, headers: { etag } });
        }
        result = { ...result, headers: { ...result.headers, etag } };
      }
      remaining--;
      return reply(result, route.template);
    }
    violations.push(`${method} ${url.pathname}: no such endpoint in the double`);
    remaining--;
    reply(notFound());
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`double crashed: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const host = opts.host ?? '127.0.0.1';
  // Idle connections live as long as a real service keeps them: with Node's 5 s default, a
  // request sent on a pooled socket just as the server drops it (a busy event loop in the
  // same process delays both) fails with ECONNRESET, which no real forge would cause.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  holder.fx = new Fixtures(spec, url);

  return {
    url,
    requests,
    violations,
    addRepo(owner, repo, o = {}) {
      repos.set(key(owner, repo), {
        id: repos.size + 1,
        owner,
        repo,
        bareRepoPath: o.bareRepoPath,
        defaultBranch: o.defaultBranch ?? 'main',
        allowAutoMerge: o.allowAutoMerge ?? true,
        issues: [],
        pulls: [],
        statuses: new Map(),
        checkRuns: new Map(),
        protection: new Map(),
        nextNumber: 1,
      });
    },
    addIssue(owner, repo, issue) {
      const r = repoOf(owner, repo);
      const t = now();
      const number = r.nextNumber++;
      r.issues.push({
        number,
        nodeId: `I_double${number}`,
        title: issue.title,
        body: issue.body ?? '',
        labels: [...issue.labels],
        state: 'open',
        comments: [],
        createdAt: t,
        updatedAt: t,
      });
      return number;
    },
    labelPull(owner, repo, number, label) {
      const p = repoOf(owner, repo).pulls.find((x) => x.number === number);
      if (!p) throw new Error(`github double: no pull #${number}`);
      p.labels.push(label);
    },
    setCommitStatus(owner, repo, sha, state, context = 'default') {
      const r = repoOf(owner, repo);
      const list = r.statuses.get(sha) ?? [];
      list.unshift({ id: ++ids, state, context, createdAt: now() });
      r.statuses.set(sha, list);
      runAutoMerge(r);
    },
    addCheckRun(owner, repo, sha, run) {
      const r = repoOf(owner, repo);
      const list = r.checkRuns.get(sha) ?? [];
      const rec: CheckRunRecord = {
        id: ++ids,
        name: run.name,
        status: run.status,
        conclusion: run.status === 'completed' ? (run.conclusion ?? 'success') : null,
        startedAt: now(),
      };
      // A re-run with the same name replaces the earlier one (filter=latest).
      r.checkRuns.set(sha, [rec, ...list.filter((c) => c.name !== run.name)]);
      runAutoMerge(r);
    },
    reviewPull(owner, repo, number, user, state) {
      const p = repoOf(owner, repo).pulls.find((x) => x.number === number);
      if (!p) throw new Error(`github double: no pull #${number}`);
      p.reviews.push({ id: ++ids, user, state, submittedAt: now() });
    },
    protectBranch(owner, repo, branch, requiredChecks) {
      repoOf(owner, repo).protection.set(branch, [...requiredChecks]);
    },
    pulls: (owner, repo) => repoOf(owner, repo).pulls,
    issues: (owner, repo) => repoOf(owner, repo).issues,
    mergePull(owner, repo, number, method = 'merge') {
      const r = repoOf(owner, repo);
      const p = r.pulls.find((x) => x.number === number);
      if (!p) throw new Error(`github double: no pull #${number}`);
      const res = ops.merge(r, p, method);
      if (res.status !== 200)
        throw new Error(`github double: cannot merge #${number}: ${JSON.stringify(res.body)}`);
    },
    rateLimitRemaining: () => remaining,
    failNext(count, status) {
      faults = { count, status };
    },
    corruptNextResponse(mutate) {
      corrupt = mutate;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function matchTemplate(template: string, path: string): Record<string, string> | undefined {
  const names: string[] = [];
  const re = new RegExp(
    '^' +
      template.replace(/\{(\w+)\}/g, (_m, n: string) => {
        names.push(n);
        return '([^/]+)';
      }) +
      '$',
  );
  const m = re.exec(path);
  if (!m) return undefined;
  return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
}
