// A rollback's working state: a fresh clone with the work branch checked out
// exactly as the remote has it (no sync with main, no state init: a rollback
// pushes nothing but the reverts and their record).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { ImprovementRunSpec } from '../../crds/index.ts';
import { OperatorError } from '../../util/errors.ts';
import { GitClient } from '../git/git-client.ts';
import { StateStore } from '../state/index.ts';
import type { RunContext, WorkflowDeps, WorkflowInput } from '../workflow/context.ts';
import { slugify } from '../workflow/messages.ts';
import { RollbackGit } from './git-verbs.ts';

export type RollbackSpec = NonNullable<ImprovementRunSpec['rollback']>;

export interface RollbackSession {
  ctx: RunContext;
  verbs: RollbackGit;
  /** The work branch exists on the remote (ctx.remoteTip is its tip). */
  hasWork: boolean;
}

export async function openSession(
  input: WorkflowInput,
  deps: WorkflowDeps,
): Promise<RollbackSession> {
  const { spec } = input.target;
  const now = deps.now?.() ?? new Date();
  const dir = join(
    input.workspace,
    `${slugify(input.target.name, 30)}-rollback-${randomBytes(3).toString('hex')}`,
  );
  const auth = { token: input.token, remoteUrl: spec.repository.url, author: spec.commitAuthor };
  const git = new GitClient(dir, auth);
  const log = deps.logger.child({ target: input.target.name, run: input.run.name });
  try {
    await git.clone(spec.repository.url);
  } catch (err) {
    throw new OperatorError('CloneFailed', (err as Error).message, { cause: err });
  }
  const { main, work } = spec.branches;
  const hasWork = await git.remoteBranchExists(work);
  await git.checkoutNewBranch(work, `origin/${hasWork ? work : main}`);
  const ctx: RunContext = {
    input,
    deps,
    spec,
    ignorePaths: [],
    log,
    git,
    dir,
    state: new StateStore(dir, spec.stateDir),
    branch: work,
    remoteTip: hasWork ? await git.revParse('HEAD') : undefined,
    pendingCommits: 0,
    report: { candidates: [], blocked: [] },
    today: now.toISOString().slice(0, 10),
  };
  return { ctx, verbs: new RollbackGit(dir, auth), hasWork };
}
