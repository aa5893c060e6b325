import type { V1Job } from '@kubernetes/client-node';
import { isAlreadyExists, type KubeApi } from '../kube/api.ts';
import type { Reflector } from '../kube/reflector.ts';
import type { Executor, ExecutionState } from './executor.ts';
import { buildJob, type JobDefaults } from './job-builder.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';

type Job = V1Job & { metadata: { name: string; namespace?: string } };

/** Job conditions' reasons mapped to stable run failure reasons. */
export function jobFailure(job: V1Job): { reason: string; message: string } | undefined {
  const failed = job.status?.conditions?.find((c) => c.type === 'Failed' && c.status === 'True');
  if (!failed) return undefined;
  const reason = failed.reason === 'DeadlineExceeded' ? 'DeadlineExceeded' : 'JobFailed';
  return {
    reason,
    message: `Job ${job.metadata?.name} failed (${failed.reason ?? 'unknown'}): ${failed.message ?? 'no message'}`,
  };
}

export class JobExecutor implements Executor {
  readonly name = 'job' as const;
  private readonly api: KubeApi;
  private readonly jobs: Reflector<Job>;
  private readonly defaults: JobDefaults;

  constructor(api: KubeApi, jobs: Reflector<Job>, defaults: JobDefaults) {
    this.api = api;
    this.jobs = jobs;
    this.defaults = defaults;
  }

  async launch(target: ImprovementTarget, run: ImprovementRun): Promise<void> {
    try {
      await this.api.createJob(run.metadata.namespace!, buildJob(target, run, this.defaults));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }

  observe(run: ImprovementRun): ExecutionState {
    const job = this.jobs.get(`${run.metadata.namespace}/${run.metadata.name}`);
    if (!job) return { state: 'absent' };
    const failure = jobFailure(job);
    if (failure) return { state: 'failed', ...failure };
    if (job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'))
      return { state: 'succeeded' };
    return { state: 'active' };
  }
}
