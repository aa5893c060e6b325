// The GraphQL mutations the forge sends: enablePullRequestAutoMerge and
// markPullRequestReadyForReview. No GraphQL schema ships offline, so each
// request is checked against the mutation's documented input (pullRequestId:
// ID!, mergeMethod enum) and errors mirror GitHub's (HTTP 200 with an
// `errors` array).
import type { DoubleOps } from './routes.ts';
import type { RepoState } from './state.ts';
import { now } from './state.ts';

const METHODS = { MERGE: 'merge', SQUASH: 'squash', REBASE: 'rebase' } as const;

export function handleGraphql(
  body: Record<string, unknown> | undefined,
  ctx: {
    repos: RepoState[];
    ops: DoubleOps;
    violations: string[];
    runAutoMerge: (r: RepoState) => void;
  },
): unknown {
  const query = typeof body?.query === 'string' ? body.query : '';
  const vars = (body?.variables ?? {}) as Record<string, unknown>;
  const error = (type: string, message: string) => ({
    data: { enablePullRequestAutoMerge: null },
    errors: [
      { type, path: ['enablePullRequestAutoMerge'], locations: [{ line: 2, column: 3 }], message },
    ],
  });
  if (/^\s*mutation\b/.test(query) && query.includes('markPullRequestReadyForReview')) {
    const id = vars.pullRequestId;
    if (typeof id !== 'string') ctx.violations.push('graphql: pullRequestId must be an ID string');
    for (const r of ctx.repos) {
      const p = r.pulls.find((x) => x.nodeId === id);
      if (!p) continue;
      if (p.state !== 'open')
        return {
          data: { markPullRequestReadyForReview: null },
          errors: [{ type: 'UNPROCESSABLE', message: 'Pull request is closed' }],
        };
      p.draft = false;
      p.updatedAt = now();
      return {
        data: {
          markPullRequestReadyForReview: { pullRequest: { number: p.number, isDraft: false } },
        },
      };
    }
    return {
      data: { markPullRequestReadyForReview: null },
      errors: [
        {
          type: 'NOT_FOUND',
          message: `Could not resolve to a node with the global id of '${String(id)}'`,
        },
      ],
    };
  }
  if (!/^\s*mutation\b/.test(query) || !query.includes('enablePullRequestAutoMerge')) {
    ctx.violations.push(`graphql: unsupported query ${query.slice(0, 80)}`);
    return {
      errors: [
        {
          message:
            'The double only implements enablePullRequestAutoMerge and markPullRequestReadyForReview',
        },
      ],
    };
  }
  const id = vars.pullRequestId;
  const method = vars.mergeMethod;
  if (typeof id !== 'string') ctx.violations.push('graphql: pullRequestId must be an ID string');
  if (typeof method !== 'string' || !(method in METHODS))
    ctx.violations.push(
      `graphql: mergeMethod must be MERGE, SQUASH or REBASE (got ${String(method)})`,
    );
  for (const r of ctx.repos) {
    const p = r.pulls.find((x) => x.nodeId === id);
    if (!p) continue;
    if (!r.allowAutoMerge)
      return error('UNPROCESSABLE', 'Pull request Auto merge is not allowed for this repository');
    if (p.state !== 'open') return error('UNPROCESSABLE', 'Pull request Pull request is closed');
    // Like GitHub: a PR that could be merged right now cannot get auto-merge.
    if (ctx.ops.readyToMerge(r, p))
      return error('UNPROCESSABLE', 'Pull request Pull request is in clean status');
    const enabledAt = now();
    p.autoMerge = { method: METHODS[method as keyof typeof METHODS] ?? 'merge', enabledAt };
    ctx.runAutoMerge(r);
    return {
      data: {
        enablePullRequestAutoMerge: {
          pullRequest: { number: p.number, autoMergeRequest: { enabledAt, mergeMethod: method } },
        },
      },
    };
  }
  return error('NOT_FOUND', `Could not resolve to a node with the global id of '${String(id)}'`);
}
