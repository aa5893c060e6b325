// Where a run's runner executes. The Job executor creates a batch/v1 Job
// (the normal mode); the local executor (src/controllers/local-executor.ts)
// runs the runner as a child process where no kubelet exists. Both record
// the ImprovementRun the same way.
import type { ImprovementRun, ImprovementTarget } from './types.ts';

export type ExecutionState =
  | { state: 'absent' }
  | { state: 'active' }
  | { state: 'succeeded' }
  /** Ended without success; reason is a stable CamelCase failure reason. */
  | { state: 'failed'; reason: string; message: string };

export interface Executor {
  readonly name: 'job' | 'local';
  /** Starts the runner for the run; idempotent (an existing execution is fine). */
  launch(target: ImprovementTarget, run: ImprovementRun): Promise<void>;
  /** What is known about the run's execution. */
  observe(run: ImprovementRun): ExecutionState;
  stop?(): Promise<void>;
}
