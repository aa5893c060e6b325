// Runs the repository's test command with a timeout. The command runs in its
// own process group so a timeout kills everything it started (watchers,
// servers, grandchildren), not just the shell. Only the tail of the output is
// kept: enough to explain a failure, bounded for status and prompts.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { secrets } from '../../util/logger.ts';
import { COVERAGE_FILES, readCoverage } from '../analysis/coverage.ts';

export interface TestRun {
  command: string;
  passed: boolean;
  timedOut: boolean;
  exitCode: number | null;
  durationSeconds: number;
  /** Last lines of stdout+stderr, secrets redacted. */
  outputTail: string;
  coverage?: number;
}

export const OUTPUT_TAIL_CHARS = 4000;

export interface RunTestsOptions {
  timeoutSeconds: number;
  /** Extra env for the tests; the runner's own secrets are never passed on. */
  env?: Record<string, string>;
  tailChars?: number;
}

/** Env for the test process: the runner's env minus anything secret-bearing. */
function testEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^OPENCODE_|TOKEN|SECRET|PASSWORD|API_KEY|^GIT_CONFIG/i.test(k)) continue;
    env[k] = v;
  }
  return { ...env, CI: 'true', ...extra };
}

export async function runTests(
  dir: string,
  command: string,
  opts: RunTestsOptions,
): Promise<TestRun> {
  // A stale report from an earlier run must not pass for this run's coverage.
  await Promise.all(COVERAGE_FILES.map(([f]) => rm(join(dir, f), { force: true })));
  const started = Date.now();
  const tailChars = opts.tailChars ?? OUTPUT_TAIL_CHARS;
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-tailChars * 2);
  };
  const child = spawn('sh', ['-c', command], {
    cwd: dir,
    env: testEnv(opts.env),
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
  const coverage = await readCoverage(dir);
  let outputTail = secrets.redact(tail).slice(-tailChars);
  if (timedOut) outputTail += `\n[opencode] tests timed out after ${opts.timeoutSeconds}s`;
  return {
    command,
    passed: !timedOut && exitCode === 0,
    timedOut,
    exitCode,
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    outputTail,
    coverage: coverage?.percent,
  };
}
