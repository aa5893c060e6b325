// A Gitea/Forgejo API v1 double on 127.0.0.1 for the endpoints the Gitea
// forge uses. Requests and responses are checked against Gitea's documented
// structs and options (see shapes.ts: the swagger is not available offline).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import {
  commitInfo,
  countCommits,
  isMergeable,
  mergeBaseIntoHead,
  mergeInBare,
  revParse,
} from '../github/git-ops.ts';
import { checkRequest, checkStruct, MERGE_STYLES } from './shapes.ts';

type Json = Record<string, unknown>;
type State = 'success' | 'pending' | 'failure' | 'error' | 'warning';

export interface GiteaIssueRecord {
  number: number;
  title: string;
  body: string;
  labels: number[];
  state: 'open' | 'closed';
  comments: string[];
  createdAt: string;
  updatedAt: string;
}
export interface GiteaPullRecord {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  headSha: string;
  state: 'open' | 'closed';
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  scheduledMerge: string | null;
  labels: number[];
  reviews: Array<{ id: number; user: string; state: string; at: string }>;
  comments: string[];
  createdAt: string;
  updatedAt: string;
}
interface Repo {
  id: number;
  owner: string;
  name: string;
  bare?: string;
  defaultBranch: string;
  labels: Array<{ id: number; name: string; color: string }>;
  issues: GiteaIssueRecord[];
  pulls: GiteaPullRecord[];
  statuses: Map<string, Array<{ id: number; status: State; context: string; at: string }>>;
  /** Branch protection rules: the status contexts each requires. */
  protections: Map<string, string[]>;
  next: number;
}

export interface GiteaDouble {
  url: string;
  addRepo(
    owner: string,
    repo: string,
    opts?: { bareRepoPath?: string; defaultBranch?: string },
  ): void;
  addIssue(
    owner: string,
    repo: string,
    issue: { title: string; body?: string; labels: string[] },
  ): number;
  setCommitStatus(owner: string, repo: string, sha: string, state: State, context?: string): void;
  /** A human's review (Gitea's states: APPROVED, REQUEST_CHANGES, COMMENT). */
  reviewPull(
    owner: string,
    repo: string,
    number: number,
    user: string,
    state: 'APPROVED' | 'REQUEST_CHANGES' | 'COMMENT',
  ): void;
  /** A protection rule on branch with status checks on, requiring these contexts. */
  protectBranch(owner: string, repo: string, branch: string, contexts: string[]): void;
  pulls(owner: string, repo: string): GiteaPullRecord[];
  issues(owner: string, repo: string): Array<GiteaIssueRecord & { labelNames: string[] }>;
  requests: Array<{ method: string; path: string; status: number }>;
  violations: string[];
  close(): Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function startGiteaDouble(opts: { token?: string } = {}): Promise<GiteaDouble> {
  const repos = new Map<string, Repo>();
  const requests: GiteaDouble['requests'] = [];
  const violations: string[] = [];
  let ids = 100;
  let base = '';
  const key = (o: string, r: string) => `${o}/${r}`.toLowerCase();
  const repoOf = (o: string, r: string) => {
    const x = repos.get(key(o, r));
    if (!x) throw new Error(`gitea double: no repo ${o}/${r}`);
    return x;
  };

  const user = (login: string) => ({
    id: 1,
    login,
    login_name: '',
    full_name: '',
    email: `${login}@gitea.test`,
    avatar_url: `${base}/avatars/${login}`,
    html_url: `${base}/${login}`,
    language: '',
    is_admin: false,
    restricted: false,
    active: true,
    prohibit_login: false,
    location: '',
    website: '',
    description: '',
    visibility: 'public',
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: login,
    created: '2026-01-01T00:00:00Z',
    last_login: '2026-01-01T00:00:00Z',
  });
  const repository = (r: Repo) => ({
    id: r.id,
    owner: user(r.owner),
    name: r.name,
    full_name: `${r.owner}/${r.name}`,
    description: '',
    empty: false,
    private: false,
    fork: false,
    html_url: `${base}/${r.owner}/${r.name}`,
    clone_url: `${base}/${r.owner}/${r.name}.git`,
    default_branch: r.defaultBranch,
    allow_merge_commits: true,
    allow_rebase: true,
    allow_squash_merge: true,
  });
  const label = (r: Repo, l: Repo['labels'][number]) => ({
    id: l.id,
    name: l.name,
    exclusive: false,
    is_archived: false,
    color: l.color,
    description: '',
    url: `${base}/api/v1/repos/${r.owner}/${r.name}/labels/${l.id}`,
  });
  const sha = (r: Repo, ref: string) =>
    /^[0-9a-f]{40}$/.test(ref)
      ? ref
      : r.bare
        ? (revParse(r.bare, ref) ?? ref)
        : createHash('sha1').update(ref).digest('hex');
  const checks = (r: Repo, s: string) => {
    const latest = new Map<string, State>();
    for (const st of r.statuses.get(s) ?? [])
      if (!latest.has(st.context)) latest.set(st.context, st.status);
    const v = [...latest.values()];
    if (!v.length) return '';
    if (v.some((x) => x === 'failure' || x === 'error')) return 'failure';
    if (v.some((x) => x === 'pending')) return 'pending';
    return 'success';
  };
  const issueJson = (r: Repo, i: GiteaIssueRecord) => ({
    id: 5000 + i.number,
    url: `${base}/api/v1/repos/${r.owner}/${r.name}/issues/${i.number}`,
    html_url: `${base}/${r.owner}/${r.name}/issues/${i.number}`,
    number: i.number,
    user: user('opencode-bot'),
    original_author: '',
    original_author_id: 0,
    title: i.title,
    body: i.body,
    ref: '',
    assets: [],
    labels: r.labels.filter((l) => i.labels.includes(l.id)).map((l) => label(r, l)),
    milestone: null,
    assignee: null,
    assignees: null,
    state: i.state,
    is_locked: false,
    comments: i.comments.length,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    closed_at: null,
    due_date: null,
    pull_request: null,
    repository: { id: r.id, name: r.name, owner: r.owner, full_name: `${r.owner}/${r.name}` },
  });
  const branch = (r: Repo, ref: string, s: string) => ({
    label: ref,
    ref,
    sha: s,
    repo_id: r.id,
    repo: repository(r),
  });
  const live = (r: Repo, p: GiteaPullRecord) => {
    if (p.state === 'open' && r.bare) p.headSha = revParse(r.bare, p.head) ?? p.headSha;
    return { mergeable: p.state === 'open' && (!r.bare || isMergeable(r.bare, p.base, p.head)) };
  };
  const pullJson = (r: Repo, p: GiteaPullRecord) => ({
    id: 7000 + p.number,
    url: `${base}/${r.owner}/${r.name}/pulls/${p.number}`,
    number: p.number,
    user: user('opencode-bot'),
    title: p.title,
    body: p.body,
    labels: r.labels
      .filter((l) => p.labels.includes(l.id))
      .map((l) => ({
        ...l,
        description: '',
        exclusive: false,
        is_archived: false,
        url: `${base}/api/v1/repos/${r.owner}/${r.name}/labels/${l.id}`,
      })),
    milestone: null,
    assignee: null,
    assignees: null,
    requested_reviewers: null,
    requested_reviewers_teams: null,
    state: p.state,
    draft: false,
    is_locked: false,
    comments: p.comments.length,
    additions: 1,
    deletions: 0,
    changed_files: 1,
    html_url: `${base}/${r.owner}/${r.name}/pulls/${p.number}`,
    diff_url: `${base}/${r.owner}/${r.name}/pulls/${p.number}.diff`,
    patch_url: `${base}/${r.owner}/${r.name}/pulls/${p.number}.patch`,
    mergeable: live(r, p).mergeable,
    merged: p.merged,
    merged_at: p.mergedAt,
    merge_commit_sha: p.mergeCommitSha,
    merged_by: p.merged ? user('opencode-bot') : null,
    allow_maintainer_edit: false,
    base: branch(r, p.base, sha(r, p.base)),
    head: branch(r, p.head, p.headSha),
    merge_base: sha(r, p.base),
    due_date: null,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
    closed_at: p.state === 'closed' ? p.updatedAt : null,
    pin_order: 0,
  });
  const doMerge = (r: Repo, p: GiteaPullRecord, style: string): boolean => {
    let mergeSha = createHash('sha1').update(`merge:${p.number}`).digest('hex');
    if (r.bare) {
      const method =
        style === 'squash'
          ? 'squash'
          : style.startsWith('rebase') || style === 'fast-forward-only'
            ? 'rebase'
            : 'merge';
      const res = mergeInBare(r.bare, {
        base: p.base,
        head: p.head,
        method,
        title: `${p.title} (#${p.number})`,
        message: p.body,
      });
      if (!res.ok) return false;
      mergeSha = res.sha;
    }
    Object.assign(p, {
      state: 'closed',
      merged: true,
      mergedAt: now(),
      mergeCommitSha: mergeSha,
      scheduledMerge: null,
      updatedAt: now(),
    });
    return true;
  };
  // Gitea's "commit status pass" for a pull request: the protection rule's contexts, else every status.
  const statusPass = (r: Repo, p: GiteaPullRecord) => {
    const required = r.protections.get(p.base);
    if (!required?.length)
      return checks(r, p.headSha) !== 'failure' && checks(r, p.headSha) !== 'pending';
    const latest = new Map<string, State>();
    for (const st of r.statuses.get(p.headSha) ?? [])
      if (!latest.has(st.context)) latest.set(st.context, st.status);
    return required.every((c) => latest.get(c) === 'success');
  };
  const runScheduled = (r: Repo) => {
    for (const p of r.pulls)
      if (p.state === 'open' && p.scheduledMerge && statusPass(r, p))
        doMerge(r, p, p.scheduledMerge);
  };
  const paginate = <T>(items: T[], q: Record<string, string>) => {
    const limit = Number(q.limit ?? 30);
    const page = Number(q.page ?? 1);
    return items.slice((page - 1) * limit, page * limit);
  };

  type Handler = (
    r: Repo,
    p: Record<string, string>,
    q: Record<string, string>,
    b: Json | undefined,
  ) => [number, unknown, string?];
  const routes: Array<[string, string, Handler]> = [
    [
      'GET',
      '/repos/{owner}/{repo}/issues',
      (r, _p, q) => {
        const names = (q.labels ?? '').split(',').filter(Boolean);
        const wanted = r.labels.filter((l) => names.includes(l.name)).map((l) => l.id);
        // Gitea: "issues that have any of these labels"; type=issues leaves PRs out.
        const list = r.issues
          .filter((i) => (q.state ?? 'open') === 'all' || i.state === (q.state ?? 'open'))
          .filter((i) => !names.length || i.labels.some((l) => wanted.includes(l)))
          .sort((a, b) => b.number - a.number);
        return [200, paginate(list, q).map((i) => issueJson(r, i)), 'issue[]'];
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/issues',
      (r, _p, _q, b) => {
        const labels = (b?.labels ?? []) as number[];
        if (labels.some((id) => !r.labels.some((l) => l.id === id)))
          return [422, { message: 'label does not exist', url: base }];
        const t = now();
        const rec: GiteaIssueRecord = {
          number: r.next++,
          title: String(b?.title),
          body: String(b?.body ?? ''),
          labels,
          state: 'open',
          comments: [],
          createdAt: t,
          updatedAt: t,
        };
        r.issues.push(rec);
        return [201, issueJson(r, rec), 'issue'];
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/issues/{index}/comments',
      (r, p, _q, b) => {
        const n = Number(p.index);
        const target = r.issues.find((i) => i.number === n) ?? r.pulls.find((x) => x.number === n);
        if (!target) return [404, { message: 'issue does not exist', url: base }];
        target.comments.push(String(b?.body));
        const id = ++ids;
        return [
          201,
          {
            id,
            html_url: `${base}/${r.owner}/${r.name}/issues/${n}#issuecomment-${id}`,
            pull_request_url: '',
            issue_url: `${base}/${r.owner}/${r.name}/issues/${n}`,
            user: user('opencode-bot'),
            original_author: '',
            original_author_id: 0,
            body: String(b?.body),
            assets: [],
            created_at: now(),
            updated_at: now(),
          },
          'comment',
        ];
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/labels',
      (r, _p, q) => [200, paginate(r.labels, q).map((l) => label(r, l)), 'label[]'],
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/labels',
      (r, _p, _q, b) => {
        if (!/^#?[0-9a-fA-F]{6}$/.test(String(b?.color)))
          return [422, { message: 'invalid color', url: base }];
        const l = { id: ++ids, name: String(b?.name), color: String(b?.color).replace(/^#/, '') };
        r.labels.push(l);
        return [201, label(r, l), 'label'];
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/pulls',
      (r, _p, q) => {
        const list = r.pulls.filter(
          (p) => (q.state ?? 'open') === 'all' || p.state === (q.state ?? 'open'),
        );
        const sorted =
          q.sort === 'recentupdate'
            ? [...list].sort(
                (a, b) => b.updatedAt.localeCompare(a.updatedAt) || b.number - a.number,
              )
            : [...list].sort((a, b) => b.number - a.number);
        return [200, paginate(sorted, q).map((p) => pullJson(r, p)), 'pull[]'];
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/pulls',
      (r, _p, _q, b) => {
        const head = String(b?.head ?? '');
        const baseRef = String(b?.base ?? '');
        if (r.bare && (!revParse(r.bare, head) || !revParse(r.bare, baseRef)))
          return [404, { message: 'branch does not exist', url: base }];
        if (r.pulls.some((p) => p.state === 'open' && p.head === head && p.base === baseRef))
          return [409, { message: 'pull request already exists for these targets', url: base }];
        const t = now();
        const rec: GiteaPullRecord = {
          number: r.next++,
          title: String(b?.title ?? ''),
          body: String(b?.body ?? ''),
          head,
          base: baseRef,
          headSha: sha(r, head),
          state: 'open',
          merged: false,
          mergedAt: null,
          mergeCommitSha: null,
          scheduledMerge: null,
          labels: ((b?.labels ?? []) as number[]).filter((x) => typeof x === 'number'),
          reviews: [],
          comments: [],
          createdAt: t,
          updatedAt: t,
        };
        r.pulls.push(rec);
        return [201, pullJson(r, rec), 'pull'];
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/pulls/{index}',
      (r, p) => {
        const pr = r.pulls.find((x) => x.number === Number(p.index));
        return pr
          ? [200, pullJson(r, pr), 'pull']
          : [404, { message: 'pull request does not exist', url: base }];
      },
    ],
    [
      'PATCH',
      '/repos/{owner}/{repo}/pulls/{index}',
      (r, p, _q, b) => {
        const pr = r.pulls.find((x) => x.number === Number(p.index));
        if (!pr) return [404, { message: 'pull request does not exist', url: base }];
        if (typeof b?.title === 'string') pr.title = b.title;
        if (typeof b?.body === 'string') pr.body = b.body;
        if (Array.isArray(b?.labels))
          pr.labels = (b.labels as number[]).filter((x) => typeof x === 'number');
        if (b?.state === 'closed' || b?.state === 'open') pr.state = b.state;
        pr.updatedAt = now();
        // Gitea answers an edit with 201 Created.
        return [201, pullJson(r, pr), 'pull'];
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/pulls/{index}/merge',
      (r, p, _q, b) => {
        const pr = r.pulls.find((x) => x.number === Number(p.index));
        if (!pr) return [404, { message: 'pull request does not exist', url: base }];
        const style = String(b?.Do);
        if (!MERGE_STYLES.includes(style))
          violations.push(`merge: Do must be one of ${MERGE_STYLES.join(', ')}`);
        if (pr.merged || pr.state !== 'open' || !live(r, pr).mergeable)
          return [405, { message: 'Please try again later', url: base }];
        // Gitea refuses to merge a work-in-progress pull request.
        if (/^(WIP:|\[WIP\])/i.test(pr.title))
          return [405, { message: 'The pull request is a work in progress', url: base }];
        if (b?.head_commit_id && b.head_commit_id !== pr.headSha)
          return [409, { message: 'head out of date', url: base }];
        if (b?.merge_when_checks_succeed && !statusPass(r, pr)) {
          if (pr.scheduledMerge)
            return [409, { message: 'pull request is already scheduled to auto merge', url: base }];
          pr.scheduledMerge = style;
          return [201, undefined];
        }
        return doMerge(r, pr, style)
          ? [200, undefined]
          : [405, { message: 'merge conflict', url: base }];
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/git/commits/{sha}',
      (r, p) => {
        const info = r.bare ? commitInfo(r.bare, p.sha ?? '') : undefined;
        if (!info) return [404, { message: 'commit does not exist', url: base }];
        return [
          200,
          {
            url: `${base}/api/v1/repos/${r.owner}/${r.name}/git/commits/${p.sha}`,
            sha: p.sha,
            created: now(),
            html_url: `${base}/${r.owner}/${r.name}/commit/${p.sha}`,
            commit: { message: info.message, url: '', author: null, committer: null, tree: null },
            author: null,
            committer: null,
            parents: info.parents.map((sha) => ({ sha, url: '', created: now() })),
            files: null,
            stats: null,
          },
          'commit',
        ];
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/pulls/{index}/reviews',
      (r, p, q) => {
        const pr = r.pulls.find((x) => x.number === Number(p.index));
        if (!pr) return [404, { message: 'pull request does not exist', url: base }];
        return [
          200,
          paginate(pr.reviews, q).map((rv) => ({
            id: rv.id,
            user: user(rv.user),
            team: null,
            state: rv.state,
            body: '',
            commit_id: pr.headSha,
            stale: false,
            official: true,
            dismissed: false,
            comments_count: 0,
            submitted_at: rv.at,
            updated_at: rv.at,
            html_url: `${base}/${r.owner}/${r.name}/pulls/${pr.number}#issuecomment-${rv.id}`,
            pull_request_url: `${base}/${r.owner}/${r.name}/pulls/${pr.number}`,
          })),
          'review[]',
        ];
      },
    ],
    [
      'POST',
      '/repos/{owner}/{repo}/pulls/{index}/update',
      (r, p) => {
        const pr = r.pulls.find((x) => x.number === Number(p.index));
        if (!pr) return [404, { message: 'pull request does not exist', url: base }];
        if (!r.bare || pr.state !== 'open') return [422, { message: 'not updatable', url: base }];
        if (countCommits(r.bare, pr.head, pr.base) === 0) return [200, undefined];
        const res = mergeBaseIntoHead(r.bare, { base: pr.base, head: pr.head });
        if (!res.ok) return [409, { message: 'merge conflict', url: base }];
        pr.headSha = res.sha;
        pr.updatedAt = now();
        return [200, undefined];
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/compare/{basehead}',
      (r, p) => {
        const [from, to] = (p.basehead ?? '').split('...');
        if (!from || !to || !r.bare) return [404, { message: 'not found', url: base }];
        const a = sha(r, from);
        const b = sha(r, to);
        return [
          200,
          { total_commits: countCommits(r.bare, a, b), commits: [], files: [] },
          'compare',
        ];
      },
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/branch_protections',
      (r) => [
        200,
        [...r.protections].map(([branchName, contexts]) => ({
          branch_name: branchName,
          rule_name: branchName,
          enable_push: false,
          enable_push_whitelist: false,
          push_whitelist_usernames: [],
          enable_merge_whitelist: false,
          enable_status_check: true,
          status_check_contexts: contexts,
          required_approvals: 0,
          block_on_rejected_reviews: false,
          block_on_outdated_branch: false,
          protected_file_patterns: '',
          unprotected_file_patterns: '',
          created_at: '2026-01-01T00:00:00Z',
          updated_at: '2026-01-01T00:00:00Z',
        })),
        'protection[]',
      ],
    ],
    [
      'GET',
      '/repos/{owner}/{repo}/commits/{ref}/status',
      (r, p, q) => {
        const s = sha(r, p.ref ?? '');
        const latest = new Map<
          string,
          { id: number; status: State; context: string; at: string }
        >();
        for (const st of r.statuses.get(s) ?? [])
          if (!latest.has(st.context)) latest.set(st.context, st);
        const statuses = paginate([...latest.values()], q).map((st) => ({
          id: st.id,
          status: st.status,
          target_url: '',
          description: '',
          url: '',
          context: st.context,
          creator: user('ci'),
          created_at: st.at,
          updated_at: st.at,
        }));
        return [
          200,
          {
            state: checks(r, s),
            sha: s,
            total_count: latest.size,
            statuses,
            repository: repository(r),
            commit_url: `${base}/api/v1/repos/${r.owner}/${r.name}/git/commits/${s}`,
            url: `${base}/api/v1/repos/${r.owner}/${r.name}/commits/${s}/status`,
          },
          'combined',
        ];
      },
    ],
  ];

  const checkBody = (kind: string | undefined, body: unknown, where: string) => {
    if (!kind) return;
    const many = kind.endsWith('[]');
    const items = many ? (Array.isArray(body) ? body : [null]) : [body];
    for (const item of items) {
      violations.push(...checkStruct(many ? kind.slice(0, -2) : kind, item, where));
      if (kind === 'pull' || kind === 'pull[]') {
        violations.push(...checkStruct('branch', (item as Json).head, `${where} head`));
        violations.push(...checkStruct('user', (item as Json).user, `${where} user`));
      }
      if (kind === 'combined')
        for (const s of (item as { statuses: unknown[] }).statuses)
          violations.push(...checkStruct('status', s, where));
      if (kind.startsWith('issue'))
        for (const l of (item as { labels: unknown[] }).labels)
          violations.push(...checkStruct('label', l, where));
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, body: unknown) => {
      requests.push({ method, path: url.pathname + url.search, status });
      if (body === undefined) return void res.writeHead(status).end();
      res
        .writeHead(status, { 'content-type': 'application/json;charset=utf-8' })
        .end(JSON.stringify(body));
    };
    if (opts.token && req.headers.authorization !== `token ${opts.token}`)
      return send(401, {
        message: 'user does not exist [uid: 0, name: ]',
        url: `${base}/api/swagger`,
      });
    const path = url.pathname.replace(/^\/api\/v1/, '');
    if (path === url.pathname) {
      violations.push(`${method} ${url.pathname}: not under /api/v1`);
      return send(404, { message: 'not found', url: base });
    }
    let body: Json | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Json) : undefined;
    } catch {
      violations.push(`${method} ${path}: body is not JSON`);
      return send(400, { message: 'invalid JSON', url: base });
    }
    for (const [m, template, handler] of routes) {
      const names: string[] = [];
      const re = new RegExp(
        `^${template.replace(/\{(\w+)\}/g, (_x, n: string) => (names.push(n), '([^/]+)'))}$`,
      );
      const match = re.exec(path);
      if (!match || m !== method) continue;
      const params = Object.fromEntries(
        names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')]),
      );
      const query = Object.fromEntries(url.searchParams);
      violations.push(...checkRequest(`${method} ${template}`, query, body));
      const r = repos.get(key(params.owner ?? '', params.repo ?? ''));
      if (!r) return send(404, { message: 'repository does not exist', url: base });
      const [status, out, kind] = handler(r, params, query, body);
      checkBody(kind, out, `${method} ${template} ${status}`);
      return send(status, out);
    }
    violations.push(`${method} ${path}: no such endpoint in the double`);
    send(404, { message: 'not found', url: base });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`double crashed: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Idle connections live as long as a real service keeps them: with Node's 5 s default, a
  // request sent on a pooled socket just as the server drops it (a busy event loop in the
  // same process delays both) fails with ECONNRESET, which no real forge would cause.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    requests,
    violations,
    addRepo(owner, name, o = {}) {
      repos.set(key(owner, name), {
        id: repos.size + 1,
        owner,
        name,
        bare: o.bareRepoPath,
        defaultBranch: o.defaultBranch ?? 'main',
        labels: [],
        issues: [],
        pulls: [],
        statuses: new Map(),
        protections: new Map(),
        next: 1,
      });
    },
    addIssue(owner, name, issue) {
      const r = repoOf(owner, name);
      const labelIds = issue.labels.map((n) => {
        let l = r.labels.find((x) => x.name === n);
        if (!l) r.labels.push((l = { id: ++ids, name: n, color: 'ededed' }));
        return l.id;
      });
      const t = now();
      const number = r.next++;
      r.issues.push({
        number,
        title: issue.title,
        body: issue.body ?? '',
        labels: labelIds,
        state: 'open',
        comments: [],
        createdAt: t,
        updatedAt: t,
      });
      return number;
    },
    reviewPull(owner, name, number, reviewer, state) {
      const pr = repoOf(owner, name).pulls.find((x) => x.number === number);
      if (!pr) throw new Error(`gitea double: no pull #${number}`);
      pr.reviews.push({ id: ++ids, user: reviewer, state, at: now() });
    },
    protectBranch(owner, name, branch, contexts) {
      repoOf(owner, name).protections.set(branch, [...contexts]);
    },
    setCommitStatus(owner, name, s, state, context = 'default') {
      const r = repoOf(owner, name);
      r.statuses.set(s, [
        { id: ++ids, status: state, context, at: now() },
        ...(r.statuses.get(s) ?? []),
      ]);
      runScheduled(r);
    },
    pulls: (owner, name) => repoOf(owner, name).pulls,
    issues: (owner, name) => {
      const r = repoOf(owner, name);
      return r.issues.map((i) => ({
        ...i,
        labelNames: r.labels.filter((l) => i.labels.includes(l.id)).map((l) => l.name),
      }));
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
