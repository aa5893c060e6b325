// The spec as the API server cannot check it: the schedule and time zone
// parse, and the Secrets it names exist with their keys.
import { HashedScheduleError, resolveHashed } from '../../scheduling/hashed.ts';
import { isScheduleError } from '../../scheduling/schedule.ts';
import { REASON } from '../conditions.ts';
import type { Ctx, TargetEnv } from './context.ts';

/** Secrets are not watched (the operator may only get them): re-check a missing one on this period. */
const SECRET_RECHECK_MS = 30_000;

export async function validate(env: TargetEnv, ctx: Ctx): Promise<void> {
  const { spec, metadata } = ctx.target;
  let expr: string;
  try {
    expr = resolveHashed(spec.schedule, `${metadata.namespace}/${metadata.name}`);
  } catch (err) {
    if (!(err instanceof HashedScheduleError)) throw err;
    ctx.stalled = {
      reason: REASON.InvalidSchedule,
      message: `spec.schedule: schedule "${spec.schedule}": ${err.message}`,
    };
    return;
  }
  const parsed = env.schedules.parse(expr, spec.timeZone ?? 'Etc/UTC');
  if (isScheduleError(parsed)) {
    ctx.stalled = { reason: parsed.reason, message: `spec.${parsed.field}: ${parsed.message}` };
    return;
  }
  ctx.schedule = parsed;
  const refs = [
    ['spec.repository.credentialsSecretRef', spec.repository.credentialsSecretRef],
    ['spec.model.apiKeySecretRef', spec.model?.apiKeySecretRef],
  ] as const;
  for (const [field, ref] of refs) {
    if (!ref) continue;
    const found = await env.secrets.check(metadata.namespace!, ref.name, ref.key, ctx.now);
    if (found === 'no-key') {
      ctx.stalled = {
        reason: REASON.SecretKeyNotFound,
        message: `${field}: Secret ${ref.name} has no key "${ref.key}"; add it or change ${field}.key`,
      };
    } else if (found === 'missing') {
      ctx.stalled = {
        reason: REASON.SecretNotFound,
        message: `${field}: Secret ${ref.name} not found in namespace ${metadata.namespace}; create it or fix ${field}.name`,
      };
    }
    if (ctx.stalled) {
      ctx.requeueMs.push(SECRET_RECHECK_MS);
      return;
    }
  }
}
