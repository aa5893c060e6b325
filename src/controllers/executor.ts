// Where a run's runner executes. The Job executor creates a batch/v1 Job
// (the normal mode); the local executor (src/controllers/local-executor.ts)
// runs the runner as a child process where no kubelet exists. Both record
// the ImprovementRun the same way.
import type { ImprovementRun, ImprovementTarget } from './types.ts';

export type ExecutionState =
  | { state: 'absent' }
  /** Running; recheckAfterMs when a grace period is running out (a pull, a missing Secret). */
  | { state: 'active'; recheckAfterMs?: number }
  | { state: 'succeeded' }
  /**
   * Ended, or cannot succeed; reason is a stable CamelCase failure reason.
   * stopExecution: it is still running and should be stopped once the run is failed.
   */
  | { state: 'failed'; reason: string; message: string; stopExecution?: boolean };

export interface Executor {
  readonly name: 'job' | 'local';
  /** Starts the runner for the run; idempotent (an existing execution is fine). */
  launch(target: ImprovementTarget, run: ImprovementRun): Promise<void>;
  /** What is known about the run's execution. */
  observe(run: ImprovementRun): ExecutionState;
  /** Ends the run's execution early (the run was failed while it still ran). */
  stopExecution?(run: ImprovementRun): Promise<void>;
  stop?(): Promise<void>;
}
