// Which commits a rollback reverts, and where each one lives: only on the
// work branch (reverted there), or already in main (reverted through a PR).
import { OperatorError } from '../../util/errors.ts';
import { readImprovements } from '../state/index.ts';
import type { RollbackSession, RollbackSpec } from './session.ts';

export interface RevertTarget {
  sha: string;
  subject: string;
  /** Already an ancestor of main: the work branch alone cannot undo it. */
  onMain: boolean;
}

export class RollbackTargetNotFound extends OperatorError {
  constructor(message: string) {
    super('RollbackTargetNotFound', message);
    this.name = 'RollbackTargetNotFound';
  }
}

/** Remote refs a rollback may reach back into. */
function refs(s: RollbackSession): string[] {
  const main = `origin/${s.ctx.spec.branches.main}`;
  return s.hasWork ? [`origin/${s.ctx.spec.branches.work}`, main] : [main];
}

async function locate(s: RollbackSession, sha: string): Promise<RevertTarget | undefined> {
  const { git, spec } = s.ctx;
  const onMain = await git.isAncestor(sha, `origin/${spec.branches.main}`);
  const onWork = s.hasWork && (await git.isAncestor(sha, `origin/${spec.branches.work}`));
  if (!onMain && !onWork) return undefined;
  return { sha, subject: await s.verbs.subject(sha), onMain };
}

/** The commits named by spec.rollback (commit or run), newest first. */
export async function findTargets(s: RollbackSession, rb: RollbackSpec): Promise<RevertTarget[]> {
  const { main, work } = s.ctx.spec.branches;
  if (rb.commit) {
    let sha: string;
    try {
      sha = await s.ctx.git.revParse(rb.commit);
    } catch {
      throw new RollbackTargetNotFound(
        `commit ${rb.commit} does not exist in the repository (or the short sha is ambiguous)`,
      );
    }
    const t = await locate(s, sha);
    if (!t)
      throw new RollbackTargetNotFound(
        `commit ${rb.commit} is not on ${s.hasWork ? `${work} or ` : ''}${main}`,
      );
    return [t];
  }
  if (rb.run) {
    const shas = new Set(await s.verbs.commitsWithRunTrailer(refs(s), rb.run));
    // Entries written before the trailer existed name their run in IMPROVEMENTS.md.
    const entries = readImprovements((await s.ctx.state.readRaw('improvements')) ?? '');
    for (const e of entries.filter((x) => x.run === rb.run && x.commit))
      try {
        shas.add(await s.ctx.git.revParse(e.commit ?? ''));
      } catch {
        s.ctx.log.warn({ commit: e.commit }, 'IMPROVEMENTS.md names a commit that does not exist');
      }
    const found: RevertTarget[] = [];
    for (const sha of await s.verbs.newestFirst([...shas], refs(s))) {
      const t = await locate(s, sha);
      if (t) found.push(t);
    }
    if (!found.length)
      throw new RollbackTargetNotFound(
        `no commit of run ${rb.run} was found on ${s.hasWork ? `${work} or ` : ''}${main}`,
      );
    return found;
  }
  throw new OperatorError(
    'InvalidConfiguration',
    'spec.rollback must name exactly one of commit, run or resetWorkBranch: true',
  );
}
