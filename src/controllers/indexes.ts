// The cache indexes the controllers read through, in one place: the
// manager builds its reflectors with them, the controllers query them.
import type { V1Pod as Pod } from '@kubernetes/client-node';
import type { ImprovementRun } from './types.ts';
import { LABEL_RUN } from './job-builder.ts';

/** Runs filed under their target's `namespace/name`. */
export const RUNS_BY_TARGET = 'target';
/** Runner pods filed under their run's `namespace/name`. */
export const PODS_BY_RUN = 'run';

export const runIndexers = {
  [RUNS_BY_TARGET]: (r: ImprovementRun) => [`${r.metadata.namespace}/${r.spec.targetRef.name}`],
};

export const podIndexers = {
  [PODS_BY_RUN]: (p: Pod) => {
    const run = p.metadata?.labels?.[LABEL_RUN];
    return run ? [`${p.metadata!.namespace}/${run}`] : [];
  },
};
