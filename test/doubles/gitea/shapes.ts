// Gitea API v1 structs (api.User, api.Label, api.Issue, api.Comment,
// api.PullRequest, api.PRBranchInfo, api.CombinedStatus, api.CommitStatus)
// and the documented options of the requests the Gitea forge sends. Gitea's
// swagger.v1.json is not available offline, so these follow the field names
// and types of Gitea's published API documentation (Forgejo keeps them).
type Json = Record<string, unknown>;
type FieldType = 'string' | 'number' | 'boolean' | 'number[]' | 'string[]';

export interface RequestSpec {
  query: string[];
  body?: { fields: Record<string, FieldType>; required: string[] };
}

const PAGING = ['page', 'limit'];
export const REQUESTS: Record<string, RequestSpec> = {
  'GET /repos/{owner}/{repo}/issues': {
    query: [
      'state',
      'labels',
      'q',
      'type',
      'milestones',
      'since',
      'before',
      'created_by',
      'assigned_by',
      'mentioned_by',
      ...PAGING,
    ],
  },
  'POST /repos/{owner}/{repo}/issues': {
    query: [],
    body: {
      fields: {
        title: 'string',
        body: 'string',
        labels: 'number[]',
        assignee: 'string',
        assignees: 'string[]',
        milestone: 'number',
        closed: 'boolean',
        due_date: 'string',
        ref: 'string',
      },
      required: ['title'],
    },
  },
  'POST /repos/{owner}/{repo}/issues/{index}/comments': {
    query: [],
    body: { fields: { body: 'string' }, required: ['body'] },
  },
  'GET /repos/{owner}/{repo}/labels': { query: PAGING },
  'POST /repos/{owner}/{repo}/labels': {
    query: [],
    body: {
      fields: {
        name: 'string',
        color: 'string',
        description: 'string',
        exclusive: 'boolean',
        is_archived: 'boolean',
      },
      required: ['name', 'color'],
    },
  },
  'GET /repos/{owner}/{repo}/pulls': {
    query: ['state', 'sort', 'milestone', 'labels', 'poster', ...PAGING],
  },
  'POST /repos/{owner}/{repo}/pulls': {
    query: [],
    body: {
      fields: {
        head: 'string',
        base: 'string',
        title: 'string',
        body: 'string',
        assignee: 'string',
        assignees: 'string[]',
        labels: 'number[]',
        milestone: 'number',
        due_date: 'string',
        reviewers: 'string[]',
        team_reviewers: 'string[]',
      },
      required: [],
    },
  },
  'GET /repos/{owner}/{repo}/pulls/{index}': { query: [] },
  'PATCH /repos/{owner}/{repo}/pulls/{index}': {
    query: [],
    body: {
      fields: {
        title: 'string',
        body: 'string',
        state: 'string',
        base: 'string',
        assignee: 'string',
        assignees: 'string[]',
        labels: 'number[]',
        milestone: 'number',
        due_date: 'string',
        unset_due_date: 'boolean',
        allow_maintainer_edit: 'boolean',
      },
      required: [],
    },
  },
  'POST /repos/{owner}/{repo}/pulls/{index}/update': { query: ['style'] },
  'GET /repos/{owner}/{repo}/compare/{basehead}': { query: [] },
  'GET /repos/{owner}/{repo}/branch_protections': { query: [] },
  'GET /repos/{owner}/{repo}/pulls/{index}/reviews': { query: PAGING },
  'GET /repos/{owner}/{repo}/git/commits/{sha}': { query: ['stat', 'verification', 'files'] },
  'POST /repos/{owner}/{repo}/pulls/{index}/merge': {
    query: [],
    body: {
      fields: {
        Do: 'string',
        MergeCommitID: 'string',
        MergeMessageField: 'string',
        MergeTitleField: 'string',
        delete_branch_after_merge: 'boolean',
        force_merge: 'boolean',
        head_commit_id: 'string',
        merge_when_checks_succeed: 'boolean',
      },
      required: ['Do'],
    },
  },
  'GET /repos/{owner}/{repo}/commits/{ref}/status': { query: PAGING },
};

export const MERGE_STYLES = [
  'merge',
  'rebase',
  'rebase-merge',
  'squash',
  'fast-forward-only',
  'manually-merged',
];

export function checkRequest(
  key: string,
  query: Record<string, string>,
  body: Json | undefined,
): string[] {
  const spec = REQUESTS[key];
  if (!spec) return [`${key}: not an endpoint of the double`];
  const out: string[] = [];
  for (const q of Object.keys(query))
    if (!spec.query.includes(q)) out.push(`${key}: unknown query parameter ${q}`);
  if (!spec.body) {
    if (body !== undefined) out.push(`${key}: takes no body`);
    return out;
  }
  if (!body || typeof body !== 'object') return [...out, `${key}: JSON object body required`];
  for (const r of spec.body.required)
    if (body[r] === undefined) out.push(`${key}: body.${r} is required`);
  for (const [k, v] of Object.entries(body)) {
    const t = spec.body.fields[k];
    if (!t) out.push(`${key}: unknown body field ${k}`);
    else if (!hasType(v, t)) out.push(`${key}: body.${k} must be ${t}`);
  }
  return out;
}

function hasType(v: unknown, t: FieldType): boolean {
  if (t.endsWith('[]')) return Array.isArray(v) && v.every((x) => typeof x === t.slice(0, -2));
  return typeof v === t;
}

/** Fields every struct carries in Gitea's documented API; responses are checked against them. */
export const STRUCT_FIELDS: Record<string, string[]> = {
  user: ['id', 'login', 'full_name', 'email', 'avatar_url', 'html_url', 'username'],
  label: ['id', 'name', 'exclusive', 'is_archived', 'color', 'description', 'url'],
  issue: [
    'id',
    'url',
    'html_url',
    'number',
    'user',
    'title',
    'body',
    'labels',
    'milestone',
    'assignee',
    'assignees',
    'state',
    'is_locked',
    'comments',
    'created_at',
    'updated_at',
    'closed_at',
    'due_date',
    'pull_request',
    'repository',
  ],
  comment: [
    'id',
    'html_url',
    'pull_request_url',
    'issue_url',
    'user',
    'body',
    'created_at',
    'updated_at',
  ],
  pull: [
    'id',
    'url',
    'number',
    'user',
    'title',
    'body',
    'labels',
    'milestone',
    'assignee',
    'assignees',
    'state',
    'is_locked',
    'comments',
    'html_url',
    'diff_url',
    'patch_url',
    'mergeable',
    'merged',
    'merged_at',
    'merge_commit_sha',
    'merged_by',
    'allow_maintainer_edit',
    'base',
    'head',
    'merge_base',
    'due_date',
    'created_at',
    'updated_at',
    'closed_at',
  ],
  branch: ['label', 'ref', 'sha', 'repo_id', 'repo'],
  compare: ['total_commits', 'commits'],
  review: [
    'id',
    'user',
    'state',
    'body',
    'commit_id',
    'stale',
    'official',
    'dismissed',
    'submitted_at',
    'html_url',
    'pull_request_url',
  ],
  commit: ['url', 'sha', 'created', 'html_url', 'commit', 'author', 'committer', 'parents'],
  protection: [
    'branch_name',
    'rule_name',
    'enable_status_check',
    'status_check_contexts',
    'block_on_outdated_branch',
    'created_at',
    'updated_at',
  ],
  combined: ['state', 'sha', 'total_count', 'statuses', 'repository', 'commit_url', 'url'],
  status: [
    'id',
    'status',
    'target_url',
    'description',
    'url',
    'context',
    'creator',
    'created_at',
    'updated_at',
  ],
};

export function checkStruct(kind: string, value: unknown, where: string): string[] {
  if (!value || typeof value !== 'object') return [`${where}: ${kind} must be an object`];
  const missing = (STRUCT_FIELDS[kind] ?? []).filter((f) => !(f in (value as Json)));
  return missing.map((f) => `${where}: ${kind} lacks ${f}`);
}
