// rollback: sets spec.rollback with a fresh id and exactly one mode. The
// other modes are nulled in the same merge patch, because a merge patch
// merges into the previous spec.rollback and the CRD refuses two modes.
import { randomBytes } from 'node:crypto';
import { GROUP, TARGET } from '../crds/index.ts';
import { PluginError } from './errors.ts';
import type { PluginClient } from './kube.ts';

export interface RollbackFlags {
  commit?: string;
  run?: string;
  reset?: boolean;
}

export interface RollbackSpec {
  id: string;
  commit: string | null;
  run: string | null;
  resetWorkBranch: true | null;
}

const COMMIT = /^[0-9a-f]{7,40}$/;

/** Sortable and unique enough for a human-triggered action: UTC time plus 24 random bits. */
export function newRollbackId(now: Date, random = randomBytes(3).toString('hex')): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${random}`;
}

export function rollbackSpec(flags: RollbackFlags, now: Date): RollbackSpec {
  const given = [
    flags.commit !== undefined && '--commit',
    flags.run !== undefined && '--run',
    flags.reset && '--reset',
  ].filter((f): f is string => !!f);
  if (given.length !== 1)
    throw new PluginError(
      `rollback needs exactly one of --commit <sha>, --run <run-name> or --reset; got ${given.length ? given.join(' and ') : 'none'}`,
    );
  if (flags.commit !== undefined && !COMMIT.test(flags.commit))
    throw new PluginError(
      `--commit "${flags.commit}" is not a commit sha: expected 7 to 40 lowercase hex digits`,
    );
  if (flags.run !== undefined && !flags.run)
    throw new PluginError('--run needs the name of an ImprovementRun');
  return {
    id: newRollbackId(now),
    commit: flags.commit ?? null,
    run: flags.run ?? null,
    resetWorkBranch: flags.reset ? true : null,
  };
}

export async function requestRollback(
  client: PluginClient,
  name: string,
  rollback: RollbackSpec,
): Promise<string> {
  await client.patchTarget(name, { spec: { rollback } });
  const what = rollback.commit
    ? `revert commit ${rollback.commit}`
    : rollback.run
      ? `revert run ${rollback.run}`
      : 'reset the work branch to main';
  return `${TARGET.singular}.${GROUP}/${name} rollback requested (id ${rollback.id}: ${what})`;
}
