// Reverting commits on the checked-out branch, newest first, one `revert:`
// commit each, then the repository's tests as a normal run would run them.
// A conflict or failing tests restore the branch to where it started.
import { OperatorError } from '../../util/errors.ts';
import type { TestRun } from '../testing/run-tests.ts';
import { openBench, testTree } from '../workflow/test-step.ts';
import { withRunTrailer } from './git-verbs.ts';
import type { RollbackSession, RollbackSpec } from './session.ts';
import type { RevertTarget } from './targets.ts';

export class RollbackFailed extends OperatorError {
  readonly tests?: TestRun;
  constructor(message: string, tests?: TestRun) {
    super('RollbackFailed', message);
    this.name = 'RollbackFailed';
    this.tests = tests;
  }
}

export function revertMessage(t: RevertTarget, rb: RollbackSpec, runName: string): string {
  const subject = `revert: ${t.subject.replace(/\s+/g, ' ').trim()}`.slice(0, 100);
  return withRunTrailer(
    `${subject}\n\nThis reverts commit ${t.sha}.\n\nRollback: ${rb.id}`,
    runName,
  );
}

/** Reverts targets on the current branch; returns the revert commits and the test run. */
export async function revertAll(
  s: RollbackSession,
  targets: RevertTarget[],
  rb: RollbackSpec,
  branch: string,
): Promise<{ commits: string[]; tests?: TestRun }> {
  const { git, input } = s.ctx;
  const start = await git.revParse('HEAD');
  const undo = async () => {
    await git.resetHard(start);
    await git.restore();
  };
  const commits: string[] = [];
  for (const t of targets) {
    const short = t.sha.slice(0, 7);
    if (!(await s.verbs.revertNoCommit(t.sha))) {
      await undo();
      throw new RollbackFailed(
        `reverting ${short} (${t.subject}) conflicts with later changes on ${branch}; nothing was pushed`,
      );
    }
    if (!(await git.status()).length) {
      await undo();
      throw new RollbackFailed(
        `${short} (${t.subject}) is already undone on ${branch}; nothing was pushed`,
      );
    }
    commits.push(await git.commit(revertMessage(t, rb, input.run.name)));
  }
  if (!(await openBench(s.ctx))) return { commits };
  const tests = await testTree(s.ctx, await git.treeOf('HEAD'), 'reverted');
  if (!tests.passed) {
    await undo();
    throw new RollbackFailed(
      `tests ${tests.timedOut ? 'time out' : 'fail'} after the revert on ${branch}; nothing was pushed`,
      tests,
    );
  }
  return { commits, tests };
}
