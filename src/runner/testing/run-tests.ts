// Runs one command of the repository's (set-up or tests) with a timeout, in
// the sandbox the caller prepared. The command runs in its own process group
// so a timeout kills everything it started (watchers, servers,
// grandchildren), not just the shell. The whole output is read once for the
// number of executed tests; only its tail is kept: enough to explain a
// failure, bounded for status and prompts.
import { spawn } from 'node:child_process';
import { secrets } from '../../util/logger.ts';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { COVERAGE_FILES, coverageOf, type CoverageReport } from '../analysis/coverage.ts';
import { wrap, type Isolation, type SandboxMounts } from '../sandbox/isolation.ts';
import { countFindings } from './findings.ts';
import { countExecutedTests } from './test-count.ts';

export interface TestRun {
  command: string;
  passed: boolean;
  timedOut: boolean;
  exitCode: number | null;
  durationSeconds: number;
  /** Last lines of stdout+stderr, secrets redacted. */
  outputTail: string;
  coverage?: number;
  /** The coverage report the run left, with paths under `dir`. */
  coverageReport?: CoverageReport;
  /** Tests executed (passed + failed), parsed from the output; undefined when unrecognised. */
  executed?: number;
  /** Lint or type-check findings in the output (see findings.ts); read for extra checks. */
  findings?: number;
  /** The OOM killer killed a process of it (known in the Job's test container only). */
  oomKilled?: boolean;
  /** Where the command ran (the exported tree). */
  dir?: string;
}

/** One extra check's run (lint, type check), named as configured. */
export type CheckRun = TestRun & { name: string };

export const OUTPUT_TAIL_CHARS = 4000;
/** Output beyond this is not searched for a test summary (it is still drained). */
export const MAX_COUNTED_OUTPUT = 64 << 20;

export interface RunTestsOptions {
  timeoutSeconds: number;
  /** Extra env for the command; the runner's own secrets are never passed on. */
  env?: Record<string, string>;
  tailChars?: number;
  /** Namespaces or none; default none (a plain child process). */
  isolation?: Isolation;
  /** Writable and hidden directories besides `dir` (which is always writable). */
  mounts?: SandboxMounts;
}

/** Env for the repository's code: the runner's env minus anything secret-bearing. */
export function scrubbedEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^OPENCODE_|TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|CREDENTIAL|AUTH|^GIT_|^KUBE/i.test(k))
      continue;
    env[k] = v;
  }
  return { ...env, CI: 'true', ...extra };
}

export async function runTests(
  dir: string,
  command: string,
  opts: RunTestsOptions,
): Promise<TestRun> {
  // A report committed to the repository must not pass for this run's coverage,
  // nor V8 output left from before (NODE_V8_COVERAGE: where Node measures it).
  await clearCoverage(dir, opts);
  const started = Date.now();
  const chunks: Buffer[] = [];
  let kept = 0;
  const keep = (chunk: Buffer) => {
    if (kept >= MAX_COUNTED_OUTPUT) {
      // Past the cap keep only a rolling tail.
      chunks.splice(0, Math.max(0, chunks.length - 64));
    }
    chunks.push(chunk);
    kept += chunk.length;
  };
  const mounts: SandboxMounts = {
    writable: [dir, ...(opts.mounts?.writable ?? [])],
    hidden: opts.mounts?.hidden ?? [],
  };
  const w = wrap(command, mounts, opts.isolation ?? { kind: 'none', why: 'not requested' });
  const child = spawn(w.file, w.args, {
    cwd: dir,
    env: scrubbedEnv({ ...opts.env, ...w.env }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let timedOut = false;
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup('SIGTERM');
    setTimeout(() => killGroup('SIGKILL'), 5000).unref();
  }, opts.timeoutSeconds * 1000);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('error', () => resolve(127));
    child.on('close', (code) => resolve(code));
  });
  clearTimeout(timer);
  // Leftover background processes of a passing run must not outlive it either.
  killGroup('SIGKILL');
  return finishRun(dir, command, opts, {
    output: Buffer.concat(chunks).toString('utf8'),
    exitCode,
    timedOut,
    started,
  });
}

/** Removes coverage reports left from before, so only this run's can count. */
export async function clearCoverage(dir: string, opts: RunTestsOptions): Promise<void> {
  const v8Dir = opts.env?.NODE_V8_COVERAGE;
  await Promise.all([
    ...COVERAGE_FILES.map(([f]) => rm(join(dir, f), { force: true })),
    ...(v8Dir ? [rm(v8Dir, { recursive: true, force: true })] : []),
  ]);
}

/**
 * The TestRun of a finished command, wherever it ran: the executed-test
 * count from the output, the coverage it left, the redacted tail.
 */
export async function finishRun(
  dir: string,
  command: string,
  opts: RunTestsOptions,
  r: {
    output: string;
    exitCode: number | null;
    timedOut: boolean;
    started: number;
    note?: string;
    oomKilled?: boolean;
  },
): Promise<TestRun> {
  const { output, exitCode, timedOut } = r;
  const v8Dir = opts.env?.NODE_V8_COVERAGE;
  const tailChars = opts.tailChars ?? OUTPUT_TAIL_CHARS;
  const count = countExecutedTests(output);
  // The repository's own report wins; else what V8 measured, read once and dropped.
  const coverage = await coverageOf(dir, v8Dir).finally(() =>
    v8Dir ? rm(v8Dir, { recursive: true, force: true }) : undefined,
  );
  let outputTail = secrets.redact(output.slice(-tailChars * 2)).slice(-tailChars);
  if (timedOut) outputTail += `\n[opencode] timed out after ${opts.timeoutSeconds}s`;
  if (r.oomKilled)
    outputTail += '\n[opencode] killed by the OOM killer: the test container ran out of memory';
  if (r.note) outputTail += `\n[opencode] ${r.note}`;
  return {
    command,
    passed: !timedOut && exitCode === 0,
    timedOut,
    exitCode,
    durationSeconds: Math.round((Date.now() - r.started) / 100) / 10,
    outputTail,
    coverage: coverage?.percent,
    coverageReport: coverage,
    executed: count?.executed,
    findings: countFindings(output),
    ...(r.oomKilled ? { oomKilled: true } : {}),
    dir,
  };
}

/** The command itself could not run: the shell found no such program, or could not execute it. */
export function commandMissing(run: TestRun): boolean {
  return (
    !run.timedOut &&
    (run.exitCode === 127 ||
      run.exitCode === 126 ||
      // npm and make report a shell's 127 as their own failure: read the last lines.
      /(^|\n)(sh|bash)(: (line )?\d+)?: [^\n]*: (not found|command not found)/.test(
        run.outputTail.slice(-600),
      ))
  );
}
