// Steps 1-3: clone, check out the work branch (created from main when
// missing, kept in sync by merging main in), and read or create the state files.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { OperatorError } from '../../util/errors.ts';
import { GitClient } from '../git/git-client.ts';
import { loadRepoConfig } from '../repo-config/load.ts';
import { narrowSpec } from '../repo-config/narrow.ts';
import { INIT_COMMIT_MESSAGE, StateStore } from '../state/index.ts';
import type { RunContext, WorkflowDeps, WorkflowInput } from './context.ts';
import { slugify } from './messages.ts';

export async function prepare(input: WorkflowInput, deps: WorkflowDeps): Promise<RunContext> {
  const { spec } = input.target;
  const now = deps.now?.() ?? new Date();
  const dir = join(
    input.workspace,
    `${slugify(input.target.name, 30)}-${randomBytes(3).toString('hex')}`,
  );
  const git = new GitClient(dir, {
    token: input.token,
    remoteUrl: spec.repository.url,
    author: spec.commitAuthor,
  });
  const log = deps.logger.child({ target: input.target.name, run: input.run.name });
  try {
    await git.clone(spec.repository.url);
  } catch (err) {
    throw new OperatorError('CloneFailed', (err as Error).message, { cause: err });
  }
  const { main, work, strategy } = spec.branches;
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
    pendingCommits: 0,
    report: { candidates: [], blocked: [] },
    today: now.toISOString().slice(0, 10),
  };

  if (strategy === 'autonomous') {
    // Each improvement gets its own branch from main; it is named once chosen.
    await git.checkoutNewBranch('opencode-run', `origin/${main}`);
  } else if (await git.remoteBranchExists(work)) {
    await git.checkoutNewBranch(work, `origin/${work}`);
    ctx.remoteTip = await git.revParse('HEAD');
    if (!(await git.isAncestor(`origin/${main}`, 'HEAD'))) {
      const merged = await git.merge(`origin/${main}`, `chore: sync ${work} with ${main}`);
      if (merged) ctx.pendingCommits++;
      else log.warn({ work, main }, 'work branch conflicts with main; continuing unsynced');
    }
  } else {
    log.info({ work, main }, 'creating the work branch from main');
    await git.checkoutNewBranch(work, `origin/${main}`);
  }

  const created = await ctx.state.init(ctx.today);
  if (created.length) {
    await git.add(created);
    await git.commit(INIT_COMMIT_MESSAGE);
    ctx.pendingCommits++;
    log.info({ files: created }, 'initialized state tracking');
  }
  return ctx;
}

/**
 * Narrows the run's spec by the repository's .opencode/config.yaml (read
 * from main). A malformed or widening file ends the run, naming the field.
 */
export async function applyRepoConfig(ctx: RunContext): Promise<void> {
  const { main } = ctx.spec.branches;
  const loaded = await loadRepoConfig(ctx.git, `origin/${main}`, ctx.spec.stateDir);
  const narrowed = narrowSpec(ctx.spec, loaded.config, loaded.path);
  ctx.spec = narrowed.spec;
  ctx.ignorePaths = narrowed.ignorePaths;
  ctx.policy = {
    ...(loaded.config ? { configFile: { path: loaded.path, commit: loaded.commit } } : {}),
    ...(narrowed.spec.policy.requireApproval?.length
      ? { requireApproval: narrowed.spec.policy.requireApproval }
      : {}),
    values: narrowed.values,
  };
  if (loaded.config)
    ctx.log.info({ file: loaded.path, commit: loaded.commit }, 'applied the repository config');
}
