// The one status write of a pass: only when something changed, and never
// over a newer version (a conflict retries the whole pass with fresh data).
import { isDeepStrictEqual } from 'node:util';
import { isConflict } from '../../kube/api.ts';
import { RetryableError } from '../../util/errors.ts';
import type { ImprovementTarget } from '../types.ts';
import type { Ctx, TargetEnv } from './context.ts';

export async function writeStatus(env: TargetEnv, ctx: Ctx): Promise<void> {
  // The API server returns keys sorted (Go maps); compare content, not key order.
  const plain = (x: unknown) => JSON.parse(JSON.stringify(x ?? {})) as unknown;
  if (isDeepStrictEqual(plain(ctx.status), plain(ctx.prior))) return;
  try {
    const saved = await env.d.api.replaceStatus<ImprovementTarget>('improvementtargets', {
      ...ctx.target,
      status: ctx.status,
    });
    // Write-through: the next reconcile must not start from the version we just replaced.
    env.d.targets.replaceIfUnchanged(saved, ctx.target.metadata.resourceVersion);
  } catch (err) {
    if (!isConflict(err)) throw err;
    // Our cache was stale; the next reconcile redoes everything from fresh data.
    ctx.newlyCounted = ctx.newlyMerged = [];
    throw new RetryableError(
      'Conflict',
      'status changed since it was read',
      100 + Math.floor(Math.random() * 200),
      { cause: err },
    );
  }
}
