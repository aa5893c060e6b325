import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../util/logger.ts';
import type { GitClient } from '../git/git-client.ts';
import type { RunTestsOptions, TestRun } from '../testing/run-tests.ts';
import { TestBench } from './bench.ts';

const root = mkdtempSync(join(tmpdir(), 'oc-bench-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('TestBench coverage env', () => {
  it('measures coverage in the test step only, into a fresh directory outside the tree', async () => {
    const git = {
      exportTree: async (_tree: string, dest: string) => {
        mkdirSync(dest, { recursive: true });
        writeFileSync(join(dest, 'a.js'), 'module.exports = 1;\n');
      },
    } as unknown as GitClient;
    const seen: { dir: string; env: Record<string, string> }[] = [];
    const bench = new TestBench({
      git,
      clone: join(root, 'clone'),
      root: join(root, 'bench'),
      cacheDir: join(root, 'cache'),
      // Set-up runs for real: it records its env in the private home.
      setupCommand: 'env > "$HOME/setup-$(basename "$PWD").env"',
      setupTimeoutSeconds: 30,
      testCommand: 'true',
      testTimeoutSeconds: 30,
      log: createLogger({ level: 'silent' }),
      runTests: async (dir: string, command: string, opts: RunTestsOptions): Promise<TestRun> => {
        seen.push({ dir, env: opts.env ?? {} });
        return {
          command,
          passed: true,
          timedOut: false,
          exitCode: 0,
          durationSeconds: 0,
          outputTail: '',
        };
      },
    });
    mkdirSync(join(root, 'clone'));
    const a = await bench.check('t1', 'base');
    const b = await bench.check('t2', 'cand');
    expect(a.setup).toMatchObject({ passed: true });
    expect(b.tests?.passed).toBe(true);
    expect(seen).toHaveLength(2);

    const [first, second] = seen;
    const v8 = first!.env.NODE_V8_COVERAGE!;
    expect(v8.startsWith(join(root, 'bench', 'tmp') + '/')).toBe(true);
    expect(v8.startsWith(first!.dir)).toBe(false);
    expect(second!.env.NODE_V8_COVERAGE).not.toBe(v8);
    expect(first!.env.GOFLAGS).toBe(
      `-modcacherw -coverprofile=${join(first!.dir, 'coverage.out')}`,
    );

    const home = join(root, 'bench', 'home');
    const setupEnvs = readdirSync(home)
      .filter((f) => f.startsWith('setup-'))
      .map((f) => readFileSync(join(home, f), 'utf8'));
    expect(setupEnvs).toHaveLength(2);
    for (const env of setupEnvs) {
      expect(env).not.toMatch(/^NODE_V8_COVERAGE=/m);
      expect(env).toMatch(/^GOFLAGS=-modcacherw$/m);
    }
  });
});

describe('TestBench with the container executor', () => {
  it('runs set-up and tests through the real test-container loop, with the same TestRun', async () => {
    const { spawn } = await import('node:child_process');
    const { requestStop, testLoopCommand } =
      await import('../../contracts/test-container-protocol.ts');
    const shared = join(root, 'shared-bench');
    mkdirSync(shared, { recursive: true });
    const [file, ...args] = testLoopCommand(shared);
    const loop = spawn(file!, args, { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => loop.on('close', resolve));
    try {
      const git = {
        exportTree: async (_tree: string, dest: string) => {
          mkdirSync(dest, { recursive: true });
          writeFileSync(join(dest, 'a.js'), 'module.exports = 1;\n');
        },
      } as unknown as GitClient;
      const bench = new TestBench({
        git,
        clone: join(root, 'clone2'),
        root: join(shared, 'clone2'),
        cacheDir: join(shared, '.cache'),
        setupCommand: 'echo installed > installed.txt',
        setupTimeoutSeconds: 30,
        testCommand:
          'test -f installed.txt && test "$CI" = true && test "$HOME" = "$(dirname "$PWD")/home" && echo "Tests: 1 failed, 4 passed, 5 total" && exit 1',
        testTimeoutSeconds: 30,
        log: createLogger({ level: 'silent' }),
        executor: { kind: 'container', bench: shared },
      });
      expect(await bench.isolationInUse()).toEqual({ kind: 'container' });
      const r = await bench.check('t1', 'base');
      expect(r.setup).toMatchObject({ passed: true, exitCode: 0, timedOut: false });
      expect(r.tests).toMatchObject({ passed: false, exitCode: 1, executed: 5, timedOut: false });
      expect(r.tests!.outputTail).toContain('Tests: 1 failed, 4 passed, 5 total');

      const slow = new TestBench({
        git,
        clone: join(root, 'clone2'),
        root: join(shared, 'clone3'),
        cacheDir: join(shared, '.cache'),
        setupTimeoutSeconds: 30,
        testCommand: 'sleep 20',
        testTimeoutSeconds: 1,
        log: createLogger({ level: 'silent' }),
        executor: { kind: 'container', bench: shared },
      });
      const t = await slow.check('t2', 'slow');
      expect(t.tests).toMatchObject({ passed: false, timedOut: true });
      expect(t.tests!.outputTail).toContain('[opencode] timed out after 1s');
    } finally {
      await requestStop(shared);
    }
    expect(await exited).toBe(0);
  });
});
