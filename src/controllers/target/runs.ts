// Creating runs: the ImprovementRun built by a pure function (as buildJob
// builds the Job), the concurrency policy, and the RunCreated Event.
import { API_VERSION, LABEL_TARGET, RUN } from '../../crds/index.ts';
import { isAlreadyExists, isNotFound } from '../../kube/api.ts';
import { REASON } from '../conditions.ts';
import type { ImprovementRun, ImprovementTarget } from '../types.ts';
import { activeRuns, announceRun, type Ctx, type TargetEnv } from './context.ts';

/** Makes room for a new run under the concurrency policy; false means wait. */
export async function makeRoom(env: TargetEnv, ctx: Ctx, why: string): Promise<boolean> {
  const active = activeRuns(ctx);
  if (!active.length) return true;
  if (ctx.target.spec.concurrencyPolicy !== 'Replace') return false;
  for (const run of active) {
    await env.d.api
      .deleteCustom('improvementruns', run.metadata.namespace!, run.metadata.name)
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    void env.d.recorder.event(
      ctx.target,
      'Normal',
      REASON.RunReplaced,
      `deleted active run ${run.metadata.name} to make room for ${why} (concurrencyPolicy Replace)`,
    );
  }
  ctx.runs = ctx.runs.filter((r) => !active.includes(r));
  return true;
}

type RunSpec = Omit<ImprovementRun['spec'], 'targetRef'>;

/** The ImprovementRun for target: owned by it (garbage-collected with it), labelled with its name. */
export function buildRun(
  target: ImprovementTarget,
  name: string,
  spec: RunSpec,
  labels: Record<string, string> = {},
): ImprovementRun {
  const { metadata } = target;
  return {
    apiVersion: API_VERSION,
    kind: RUN.kind,
    metadata: {
      name,
      namespace: metadata.namespace,
      labels: { ...labels, [LABEL_TARGET]: metadata.name },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: 'ImprovementTarget',
          name: metadata.name,
          uid: metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { targetRef: { name: metadata.name }, ...spec },
  };
}

/** Creates the run and launches it; false when it already existed (another pass or replica made it). */
export async function createRun(
  env: TargetEnv,
  ctx: Ctx,
  name: string,
  spec: RunSpec,
  labels: Record<string, string> = {},
): Promise<boolean> {
  try {
    const created = await env.d.api.createCustom<ImprovementRun>(
      'improvementruns',
      ctx.target.metadata.namespace!,
      buildRun(ctx.target, name, spec, labels),
    );
    ctx.runs.push(created);
    await env.d.launch?.(ctx.target, created);
    announceRun(env, ctx, name, spec.trigger);
    return true;
  } catch (err) {
    // AlreadyExists is the lock: another replica or an earlier attempt made it.
    if (!isAlreadyExists(err)) throw err;
    announceRun(env, ctx, name, spec.trigger);
    return false;
  }
}
