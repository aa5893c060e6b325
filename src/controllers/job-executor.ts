// The normal executor: a batch/v1 Job per run (job-builder.ts). What the
// run's pod says (pod-failure.ts) decides the cases the Job alone would
// leave to its deadline; the pods come from a reflector on the runner pods'
// label, indexed here by run.
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { isAlreadyExists, isNotFound, type KubeApi } from '../kube/api.ts';
import type { Reflector } from '../kube/reflector.ts';
import { PODS_BY_RUN } from './indexes.ts';
import type { Executor, ExecutionState } from './executor.ts';
import { buildJob, LABEL_RUN, type JobDefaults } from './job-builder.ts';
import { classifyPod, jobEnding, jobFailure } from './pod-failure.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';

type Job = V1Job & { metadata: { name: string; namespace?: string } };
export type Pod = V1Pod & { metadata: { name: string; namespace?: string } };

/** How long a pull or a missing Secret may keep a pod from starting before the run fails. */
export const DEFAULT_POD_START_GRACE_MS = 120_000;

export interface JobExecutorOptions {
  /** The runner pods (label app.kubernetes.io/managed-by); without it only the Job is read. */
  pods?: Reflector<Pod>;
  podStartGraceMs?: number;
  now?: () => Date;
}

const MAX_REMEMBERED = 10_000;

export class JobExecutor implements Executor {
  readonly name = 'job' as const;
  private readonly api: KubeApi;
  private readonly jobs: Reflector<Job>;
  private readonly defaults: JobDefaults;
  private readonly pods?: Reflector<Pod>;
  private readonly graceMs: number;
  private readonly now: () => Date;
  /** Job uids whose pod was deleted while the Job was running (not by its own controller). */
  private readonly podDeleted = new Set<string>();

  constructor(
    api: KubeApi,
    jobs: Reflector<Job>,
    defaults: JobDefaults,
    o: JobExecutorOptions = {},
  ) {
    this.api = api;
    this.jobs = jobs;
    this.defaults = defaults;
    this.pods = o.pods;
    this.graceMs = o.podStartGraceMs ?? DEFAULT_POD_START_GRACE_MS;
    this.now = o.now ?? (() => new Date());
    this.pods?.on((type, pod) => this.notePodGone(type, pod));
  }

  private notePodGone(type: string, pod: Pod): void {
    const run = pod.metadata.labels?.[LABEL_RUN];
    if (!run) return;
    const runKey = `${pod.metadata.namespace}/${run}`;
    // A pod going away while its Job still runs and its controller is not
    // the one ending it: someone (or something) deleted it.
    const gone = type === 'DELETED' || !!pod.metadata.deletionTimestamp;
    const phase = pod.status?.phase;
    if (!gone || phase === 'Succeeded') return;
    const job = this.jobs.get(runKey);
    if (!job || job.metadata.deletionTimestamp || jobEnding(job)) return;
    const jobUid = pod.metadata.ownerReferences?.find((r) => r.kind === 'Job')?.uid;
    if (!jobUid || jobUid !== job.metadata.uid) return;
    this.podDeleted.add(jobUid);
    if (this.podDeleted.size > MAX_REMEMBERED)
      this.podDeleted.delete(this.podDeleted.values().next().value!);
  }

  async launch(target: ImprovementTarget, run: ImprovementRun): Promise<void> {
    try {
      await this.api.createJob(run.metadata.namespace!, buildJob(target, run, this.defaults));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  observe(run: ImprovementRun): ExecutionState {
    const key = `${run.metadata.namespace}/${run.metadata.name}`;
    const job = this.jobs.get(key);
    if (!job) return { state: 'absent' };
    const failed = jobFailure(job, !!job.metadata.uid && this.podDeleted.has(job.metadata.uid));
    let recheckAfterMs: number | undefined;
    for (const pod of this.pods?.byIndex(PODS_BY_RUN, key) ?? []) {
      const verdict = classifyPod(pod, this.now(), this.graceMs);
      if (verdict && 'failure' in verdict)
        return { state: 'failed', ...verdict.failure, stopExecution: !failed };
      if (verdict) recheckAfterMs = Math.min(recheckAfterMs ?? Infinity, verdict.recheckAfterMs);
    }
    if (failed) return { state: 'failed', ...failed };
    if (job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'))
      return { state: 'succeeded' };
    return { state: 'active', recheckAfterMs };
  }

  /** Deletes the run's Job and its pods (a run the operator failed while its pod still ran). */
  async stopExecution(run: ImprovementRun): Promise<void> {
    try {
      await this.api.batch.deleteNamespacedJob({
        name: run.metadata.name,
        namespace: run.metadata.namespace!,
        propagationPolicy: 'Background',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
