// Runs a step (set-up or tests) in the Job's test container instead of as a
// child of the runner: a request on the shared volume, answered by the
// container's shell loop (src/contracts/test-container-protocol.ts). The result is the same
// TestRun as a local run: same timeout, count, coverage and tail.
import { open, stat } from 'node:fs/promises';
import {
  clearCoverage,
  finishRun,
  MAX_COUNTED_OUTPUT,
  type RunTestsOptions,
  type TestRun,
} from '../testing/run-tests.ts';
import { removeRequest, runRemote } from '../../contracts/test-container-protocol.ts';

/** At most the last `max` bytes of a file; '' when it does not exist. */
async function readTail(file: string, max: number): Promise<string> {
  const size = await stat(file).then(
    (s) => s.size,
    () => -1,
  );
  if (size < 0) return '';
  const fh = await open(file, 'r');
  try {
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    await fh.read(buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}

/** A `runTests` that runs in the test container serving `bench`. */
export function containerRunTests(
  bench: string,
  o: { graceSeconds?: number; pollMs?: number } = {},
): (dir: string, command: string, opts: RunTestsOptions) => Promise<TestRun> {
  return async (dir, command, opts) => {
    await clearCoverage(dir, opts);
    const started = Date.now();
    const r = await runRemote(
      bench,
      { dir, command, timeoutSeconds: opts.timeoutSeconds, env: { CI: 'true', ...opts.env } },
      o,
    );
    const output = await readTail(r.outputFile, MAX_COUNTED_OUTPUT);
    await removeRequest(bench, r.id);
    return finishRun(dir, command, opts, {
      output,
      exitCode: r.exitCode,
      timedOut: r.timedOut,
      oomKilled: r.oomKilled,
      started,
      note: r.problem,
    });
  };
}
