// The local executor: where no kubelet exists (the demo, a laptop), the
// runner runs as a child process of the operator instead of a Job's pod. It
// gets the same environment a Job would (Secret references resolved by the
// operator, which in this mode runs with the user's own kubeconfig) and
// records the ImprovementRun through the API exactly as the Job path does.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Api } from '@kubernetes/client-node';
import { JOB_ENV } from '../contracts/job-env.ts';
import { secrets, type Logger } from '../util/logger.ts';
import type { Executor, ExecutionState } from './executor.ts';
import { runnerEnv } from './job-builder.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';

export interface LocalExecutorOptions {
  core: CoreV1Api;
  logger: Logger;
  /** Kubeconfig the runner uses to write the run status. */
  kubeconfig?: string;
  /** Command that starts the runner; `job` is appended. Default: this Node and our runner entry point. */
  runnerCommand?: string[];
  /** Extra environment for the runner (e.g. OLLAMA_HOST). */
  env?: Record<string, string>;
  /** Called with each line the runner writes, for progress display. */
  onOutput?: (run: string, line: string) => void;
}

interface Child {
  proc: ChildProcess;
  state: ExecutionState;
  tail: string[];
  workspace: string;
}

export function defaultRunnerCommand(): string[] {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return [process.execPath, new URL(`../cli/runner.${ext}`, import.meta.url).pathname];
}

export class LocalExecutor implements Executor {
  readonly name = 'local' as const;
  private readonly o: LocalExecutorOptions;
  private readonly children = new Map<string, Child>();
  private readonly starting = new Map<string, Promise<void>>();

  constructor(opts: LocalExecutorOptions) {
    this.o = opts;
  }

  private key(run: ImprovementRun): string {
    return `${run.metadata.namespace}/${run.metadata.name}`;
  }

  async launch(target: ImprovementTarget, run: ImprovementRun): Promise<void> {
    const key = this.key(run);
    if (this.children.has(key)) return;
    // The target's reconcile (right after creating the run) and the run's own
    // reconcile both launch it, concurrently: without this, both pass the
    // check above while reading Secrets and two runners race on one branch.
    const pending = this.starting.get(key);
    if (pending) return pending;
    const start = this.start(key, target, run).finally(() => this.starting.delete(key));
    this.starting.set(key, start);
    return start;
  }

  private async start(key: string, target: ImprovementTarget, run: ImprovementRun): Promise<void> {
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.o.env,
    };
    for (const v of runnerEnv(target, run)) {
      if (v.value !== undefined) env[v.name] = v.value;
      const ref = v.valueFrom?.secretKeyRef;
      if (ref) {
        const secret = await this.o.core.readNamespacedSecret({
          name: ref.name ?? '',
          namespace: run.metadata.namespace!,
        });
        const value = Buffer.from(secret.data?.[ref.key ?? ''] ?? '', 'base64').toString('utf8');
        secrets.add(value);
        env[v.name] = value;
      }
    }
    const workspace = mkdtempSync(join(tmpdir(), `opencode-run-${run.metadata.name}-`));
    env[JOB_ENV.workspace] = workspace;
    if (this.o.kubeconfig) env.KUBECONFIG = this.o.kubeconfig;
    const [cmd, ...args] = this.o.runnerCommand ?? defaultRunnerCommand();
    const proc = spawn(cmd!, [...args, 'job'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const child: Child = { proc, state: { state: 'active' }, tail: [], workspace };
    this.children.set(key, child);
    const onData = (d: Buffer) => {
      for (const line of secrets.redact(d.toString()).split('\n').filter(Boolean)) {
        child.tail.push(line);
        if (child.tail.length > 20) child.tail.shift();
        this.o.onOutput?.(run.metadata.name, line);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on(
      'error',
      (err) =>
        (child.state = {
          state: 'failed',
          reason: 'JobFailed',
          message: `could not start the runner: ${err.message}`,
        }),
    );
    proc.on('exit', (code, signal) => {
      child.state =
        code === 0
          ? { state: 'succeeded' }
          : {
              state: 'failed',
              reason: 'JobFailed',
              message: `the local runner exited with ${signal ?? `code ${code}`}: ${child.tail.slice(-3).join(' | ')}`,
            };
      rmSync(workspace, { recursive: true, force: true });
      this.o.logger.info({ run: run.metadata.name, code, signal }, 'local runner exited');
    });
  }

  observe(run: ImprovementRun): ExecutionState {
    const child = this.children.get(this.key(run));
    if (child) return child.state;
    // Launched by an earlier operator process, whose children died with it.
    if (run.status?.jobName)
      return {
        state: 'failed',
        reason: 'JobFailed',
        message: 'the local runner process was lost (the operator restarted)',
      };
    return { state: 'absent' };
  }

  async stop(): Promise<void> {
    const waits = [...this.children.values()]
      .filter((c) => c.proc.exitCode === null && c.proc.signalCode === null)
      .map(
        (c) => new Promise<void>((r) => (c.proc.once('exit', () => r()), c.proc.kill('SIGTERM'))),
      );
    await Promise.all(waits);
  }
}
