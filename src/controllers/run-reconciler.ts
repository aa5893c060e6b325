// Reconciles one ImprovementRun: launch its execution (a Job), and when the
// execution ends without the runner having reported an outcome (deadline,
// OOM, image pull, crash), mark the run Failed with a stable reason. The
// runner owns the outcome; the operator owns everything else.
import { GROUP, VERSION } from '../crds/index.ts';
import type { KubeApi } from '../kube/api.ts';
import { isConflict, isNotFound } from '../kube/api.ts';
import type { Clock } from '../kube/clock.ts';
import type { Recorder } from '../kube/events.ts';
import type { Reflector } from '../kube/reflector.ts';
import type { OperatorMetrics } from '../metrics/metrics.ts';
import type { Logger } from '../util/logger.ts';
import { REASON } from './conditions.ts';
import { ANNOUNCE_WINDOW_MS, announceRunCreated } from './run-created.ts';
import type { Executor } from './executor.ts';
import type { WorkResult } from '../kube/work-queue.ts';
import { isTerminal, type ImprovementRun, type ImprovementTarget } from './types.ts';

export interface RunReconcilerDeps {
  api: KubeApi;
  runs: Reflector<ImprovementRun>;
  targets: Reflector<ImprovementTarget>;
  executor: Executor;
  clock: Clock;
  metrics: OperatorMetrics;
  recorder: Recorder;
  logger: Logger;
}

/** How long a launched run may have no visible execution before we believe it is gone. */
const VANISHED_GRACE_MS = 60_000;

export class RunReconciler {
  private readonly d: RunReconcilerDeps;
  /** Runs this process has launched (bounded): no second create call for them. */
  private readonly launched = new Set<string>();
  /** Runs this process has considered announcing (bounded). */
  private readonly announced = new Set<string>();
  /** Launches in flight, by run uid. */
  private readonly launching = new Map<string, Promise<void>>();

  constructor(deps: RunReconcilerDeps) {
    this.d = deps;
  }

  /** Records RunCreated for a run created shortly before this process first saw it (its creator may have died first). */
  private announceRecent(target: ImprovementTarget, run: ImprovementRun): void {
    const uid = run.metadata.uid ?? run.metadata.name;
    if (this.announced.has(uid)) return;
    this.announced.add(uid);
    if (this.announced.size > 10_000) this.announced.delete(this.announced.values().next().value!);
    const created = Date.parse(String(run.metadata.creationTimestamp ?? ''));
    if (created > this.d.clock.now().getTime() - ANNOUNCE_WINDOW_MS)
      announceRunCreated(this.d.recorder, target, run.metadata.name, run.spec.trigger);
  }

  async reconcile(namespace: string, name: string): Promise<WorkResult> {
    const { runs, targets, executor } = this.d;
    const run = runs.get(`${namespace}/${name}`);
    if (!run || run.metadata.deletionTimestamp) return;
    const target = targets.get(`${namespace}/${run.spec.targetRef.name}`);
    if (!target || target.metadata.deletionTimestamp) return; // garbage collection removes the run
    this.announceRecent(target, run);
    if (isTerminal(run)) return;

    const exec = executor.observe(run);
    if (exec.state === 'absent') {
      if (run.status?.jobName) return this.checkVanished(run);
      if (!this.launched.has(run.metadata.uid ?? name)) await this.launch(target, run);
    }
    if (exec.state === 'absent' || exec.state === 'active') {
      // Recorded here, off the path from slot to Job (the target reconciler
      // launched it). Conditional on the version this cache entry holds, and
      // naming no phase the runner may have set: from a stale entry it would
      // otherwise turn the runner's outcome back into Pending.
      if (!run.status?.jobName) {
        const written = await this.writeStatus(run, {
          ...(run.status?.phase ? {} : { phase: 'Pending' }),
          jobName: name,
        });
        if (!written) return { requeueAfterMs: 1000 };
      }
      return exec.state === 'active' && exec.recheckAfterMs !== undefined
        ? { requeueAfterMs: Math.max(exec.recheckAfterMs, 100) }
        : undefined;
    }

    // The execution ended. The runner writes its outcome before it exits; read
    // the run afresh so a lagging cache is not mistaken for a missing outcome.
    const fresh = await this.getFresh(namespace, name);
    if (!fresh || isTerminal(fresh)) return;
    const failure =
      exec.state === 'failed'
        ? { reason: exec.reason, message: exec.message }
        : { reason: 'JobFailed', message: 'the runner exited without reporting an outcome' };
    if (!(await this.markFailed(fresh, failure))) return { requeueAfterMs: 1000 };
    // A pod that cannot finish (an image that is not there, an OOM-killed
    // test container the runner still waits on) would hold its node until
    // the deadline.
    if (exec.state === 'failed' && exec.stopExecution) await executor.stopExecution?.(fresh);
  }

  /**
   * Starts the run's execution (idempotent) and observes the schedule lag. A
   * second call while one is in flight (the run's own watch event arriving
   * before its Job is created) waits for that one instead of creating again.
   */
  launch(target: ImprovementTarget, run: ImprovementRun): Promise<void> {
    const id = run.metadata.uid ?? run.metadata.name;
    const pending = this.launching.get(id);
    if (pending) return pending;
    const p = this.doLaunch(target, run, id).finally(() => this.launching.delete(id));
    this.launching.set(id, p);
    return p;
  }

  private async doLaunch(target: ImprovementTarget, run: ImprovementRun, id: string) {
    await this.d.executor.launch(target, run);
    const first = !this.launched.has(id);
    this.launched.add(id);
    if (this.launched.size > 10_000) this.launched.delete(this.launched.values().next().value!);
    if (
      first &&
      !run.status?.jobName &&
      run.spec.trigger === 'schedule' &&
      run.spec.scheduledTime
    ) {
      const lag = (this.d.clock.now().getTime() - Date.parse(run.spec.scheduledTime)) / 1000;
      this.d.metrics.scheduleLag.observe(
        { namespace: run.metadata.namespace!, target: target.metadata.name },
        Math.max(lag, 0),
      );
    }
  }

  private async checkVanished(run: ImprovementRun): Promise<WorkResult> {
    const age =
      this.d.clock.now().getTime() - Date.parse(String(run.metadata.creationTimestamp ?? 0));
    if (age < VANISHED_GRACE_MS || this.d.executor.name !== 'job')
      return { requeueAfterMs: VANISHED_GRACE_MS };
    try {
      await this.d.api.batch.readNamespacedJob({
        name: run.status!.jobName!,
        namespace: run.metadata.namespace!,
      });
      return; // it exists: the cache will catch up
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const fresh = await this.getFresh(run.metadata.namespace!, run.metadata.name);
    if (fresh && !isTerminal(fresh))
      await this.markFailed(fresh, {
        reason: 'JobFailed',
        message: `Job ${run.status!.jobName} was deleted before the run reported an outcome`,
      });
  }

  private async getFresh(namespace: string, name: string): Promise<ImprovementRun | undefined> {
    try {
      return (await this.d.api.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: 'improvementruns',
        name,
      })) as ImprovementRun;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * A status merge patch that applies only to the version read (the API
   * server answers 409 otherwise); false when the run has moved on since.
   */
  private async writeStatus(
    run: ImprovementRun,
    status: NonNullable<ImprovementRun['status']>,
  ): Promise<boolean> {
    try {
      await this.d.api.patchStatus('improvementruns', run.metadata.namespace!, run.metadata.name, {
        metadata: { resourceVersion: run.metadata.resourceVersion },
        status,
      });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  private async markFailed(
    run: ImprovementRun,
    failure: { reason: string; message: string },
  ): Promise<boolean> {
    const now = this.d.clock.now().toISOString();
    // `run` was read afresh just before: a conflict means it changed since (the runner reported).
    const written = await this.writeStatus(run, {
      phase: 'Failed',
      completionTime: now,
      startTime: run.status?.startTime ?? now,
      failure,
    });
    if (!written) return false;
    this.d.logger.info(
      { run: run.metadata.name, reason: failure.reason },
      'run failed without an outcome',
    );
    void this.d.recorder.event(
      run,
      'Warning',
      REASON.RunFailed,
      `${failure.reason}: ${failure.message}`,
    );
    return true;
  }
}
