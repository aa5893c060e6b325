import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTestIntegrity, gate } from './gate.ts';
import { runTests, type TestRun } from './run-tests.ts';

const dir = mkdtempSync(join(tmpdir(), 'oc-testing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (over: Partial<TestRun>): TestRun => ({
  command: 't',
  passed: true,
  timedOut: false,
  exitCode: 0,
  durationSeconds: 1,
  outputTail: '',
  ...over,
});

describe('runTests', () => {
  it('passes and fails by exit code and keeps the tail of the output', async () => {
    const ok = await runTests(dir, 'for i in $(seq 1 3000); do echo line$i; done', {
      timeoutSeconds: 30,
      tailChars: 100,
    });
    expect(ok.passed).toBe(true);
    expect(ok.outputTail.length).toBeLessThanOrEqual(100);
    expect(ok.outputTail).toMatch(/line3000\n$/);
    const bad = await runTests(dir, 'echo boom >&2; exit 3', { timeoutSeconds: 30 });
    expect(bad).toMatchObject({ passed: false, exitCode: 3, timedOut: false });
    expect(bad.outputTail).toContain('boom');
  });

  it('kills the whole process group on timeout', async () => {
    const marker = join(dir, 'survivor');
    const started = Date.now();
    const r = await runTests(dir, `(sleep 3; touch ${marker}) & sleep 30`, { timeoutSeconds: 1 });
    expect(r.timedOut).toBe(true);
    expect(r.passed).toBe(false);
    expect(Date.now() - started).toBeLessThan(10000);
    await new Promise((res) => setTimeout(res, 3500));
    expect(() => writeFileSync(join(marker, 'x'), '')).toThrow();
  });

  it('does not pass the runner secrets to the tests', async () => {
    process.env.OPENCODE_FORGE_TOKEN = 'tok-should-not-leak';
    try {
      const r = await runTests(dir, 'env', { timeoutSeconds: 30 });
      expect(r.outputTail).not.toContain('tok-should-not-leak');
      expect(r.outputTail).toContain('CI=true');
    } finally {
      delete process.env.OPENCODE_FORGE_TOKEN;
    }
  });

  it('reads coverage produced by this run only', async () => {
    mkdirSync(join(dir, 'coverage'), { recursive: true });
    writeFileSync(join(dir, 'coverage', 'lcov.info'), 'SF:a\nLF:2\nLH:2\nend_of_record\n');
    const stale = await runTests(dir, 'true', { timeoutSeconds: 30 });
    expect(stale.coverage).toBeUndefined();
    const fresh = await runTests(
      dir,
      'mkdir -p coverage && printf "SF:a\\nLF:4\\nLH:1\\nend_of_record\\n" > coverage/lcov.info',
      { timeoutSeconds: 30 },
    );
    expect(fresh.coverage).toBe(25);
  });
});

describe('gate', () => {
  it('rejects deleted or skipped tests', () => {
    expect(
      checkTestIntegrity(
        'diff --git a/test/a.test.js b/test/a.test.js\n--- a/test/a.test.js\n+++ /dev/null\n',
      ),
    ).toMatch(/deletes test file/);
    expect(
      checkTestIntegrity(
        "diff --git a/test/a.test.js b/test/a.test.js\n+++ b/test/a.test.js\n+test.skip('x', () => {})\n",
      ),
    ).toMatch(/skips a test/);
    expect(
      checkTestIntegrity(
        'diff --git a/src/a.js b/src/a.js\n+++ b/src/a.js\n+// it.skip( is fine outside tests\n',
      ),
    ).toBeUndefined();
  });

  it('keeps a passing change, fails a failing one', () => {
    expect(gate({ type: 'documentation', before: run({}), after: run({}), diff: '' })).toEqual({
      ok: true,
    });
    expect(
      gate({
        type: 'documentation',
        before: run({}),
        after: run({ passed: false, exitCode: 1 }),
        diff: '',
      }),
    ).toMatchObject({ ok: false, kind: 'failed' });
  });

  it('rejects a tests improvement that does not raise coverage', () => {
    expect(
      gate({
        type: 'tests',
        before: run({ coverage: 50 }),
        after: run({ coverage: 50 }),
        diff: '',
      }),
    ).toMatchObject({ ok: false, reason: 'CoverageNotRaised' });
    expect(
      gate({
        type: 'tests',
        before: run({ coverage: 50 }),
        after: run({ coverage: 55 }),
        diff: '',
      }),
    ).toEqual({ ok: true });
    expect(gate({ type: 'tests', before: run({}), after: run({}), diff: '' })).toEqual({
      ok: true,
    });
  });
});
