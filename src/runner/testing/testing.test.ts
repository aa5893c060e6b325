import { afterAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gate } from './gate.ts';
import { probeIsolation } from '../sandbox/isolation.ts';
import { commandMissing, runTests, type TestRun } from './run-tests.ts';

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

describe('runTests in namespaces', () => {
  const ns = probeIsolation(join(dir, 'probe'));

  it('hides the runner: its processes, its env, its clone; only the sandbox is writable', async () => {
    const isolation = await ns;
    if (isolation.kind === 'none') {
      // Reported, not silently passed: the CI machine has user namespaces.
      expect(isolation.why).toMatch(/namespaces|unshare/);
      return;
    }
    const box = join(dir, 'box');
    const home = join(dir, 'home');
    const clone = join(dir, 'clone');
    for (const d of [box, home, clone]) mkdirSync(d, { recursive: true });
    writeFileSync(join(clone, 'config'), 'runner-only\n');
    process.env.OPENCODE_FORGE_TOKEN = 'tok-should-not-leak';
    try {
      const r = await runTests(
        box,
        [
          'echo "pids: $(ls /proc | grep -c "^[0-9]")"',
          `cat ${clone}/config || echo clone-hidden`,
          'echo inside > here.txt && echo wrote-box',
          `echo x > ${home}/h.txt && echo wrote-home`,
          `echo x > ${dir}/escape.txt 2>/dev/null || echo outside-refused`,
          'echo x > /dev/shm/opencode-escape-test && echo shm-private',
          'echo x > /dev/opencode-escape-test 2>/dev/null || echo dev-refused',
          'echo x > /dev/null && echo dev-null-ok',
          'cat /proc/1/environ | tr "\\0" "\\n" | grep -c OPENCODE_ || true',
          'echo "env: $OPENCODE_FORGE_TOKEN"',
        ].join('; '),
        { timeoutSeconds: 30, isolation, mounts: { writable: [home], hidden: [clone] } },
      );
      expect(r.passed).toBe(true);
      expect(r.outputTail).toContain('clone-hidden');
      expect(r.outputTail).not.toContain('runner-only');
      expect(r.outputTail).toContain('wrote-box');
      expect(r.outputTail).toContain('wrote-home');
      expect(r.outputTail).toContain('outside-refused');
      expect(r.outputTail).not.toContain('tok-should-not-leak');
      // Only the sandbox's own few processes are visible.
      expect(Number(/pids: (\d+)/.exec(r.outputTail)?.[1])).toBeLessThan(8);
      expect(existsSync(join(dir, 'escape.txt'))).toBe(false);
      expect(r.outputTail).toContain('shm-private');
      expect(existsSync('/dev/shm/opencode-escape-test')).toBe(false);
      expect(r.outputTail).toContain('dev-refused');
      expect(existsSync('/dev/opencode-escape-test')).toBe(false);
      expect(r.outputTail).toContain('dev-null-ok');
      expect(readFileSync(join(box, 'here.txt'), 'utf8')).toBe('inside\n');
    } finally {
      delete process.env.OPENCODE_FORGE_TOKEN;
    }
  });

  it('kills everything in the namespace on timeout', async () => {
    const isolation = await ns;
    if (isolation.kind === 'none') return;
    const box = join(dir, 'box2');
    mkdirSync(box, { recursive: true });
    const started = Date.now();
    const r = await runTests(box, '(sleep 3; touch late) & sleep 30', {
      timeoutSeconds: 1,
      isolation,
    });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10000);
    await new Promise((res) => setTimeout(res, 3500));
    expect(existsSync(join(box, 'late'))).toBe(false);
  });
});

describe('commandMissing', () => {
  it('tells a missing program from a failing test', () => {
    expect(commandMissing(run({ passed: false, exitCode: 127 }))).toBe(true);
    expect(
      commandMissing(
        run({
          passed: false,
          exitCode: 1,
          outputTail: '> xo && ava && tsd\nsh: 1: tsd: not found\n',
        }),
      ),
    ).toBe(true);
    expect(
      commandMissing(run({ passed: false, exitCode: 1, outputTail: 'not ok 1 - add\n# fail 1\n' })),
    ).toBe(false);
  });
});

describe('gate', () => {
  it('keeps a passing change, fails a failing one', () => {
    expect(gate({ type: 'documentation', before: run({}), after: run({}) })).toEqual({ ok: true });
    expect(
      gate({ type: 'documentation', before: run({}), after: run({ passed: false, exitCode: 1 }) }),
    ).toMatchObject({ ok: false, kind: 'failed' });
  });

  it('refuses a suite that runs fewer tests, none, or stops reporting a count', () => {
    const before = run({ executed: 5 });
    expect(gate({ type: 'bugfix', before, after: run({ executed: 5 }) })).toEqual({ ok: true });
    expect(gate({ type: 'bugfix', before, after: run({ executed: 6 }) })).toEqual({ ok: true });
    expect(gate({ type: 'bugfix', before, after: run({ executed: 4 }) })).toMatchObject({
      ok: false,
      reason: 'TestsWeakened',
      message: expect.stringContaining('5 -> 4'),
    });
    expect(gate({ type: 'bugfix', before, after: run({}) })).toMatchObject({
      reason: 'TestsWeakened',
    });
    expect(gate({ type: 'bugfix', before: run({}), after: run({ executed: 0 }) })).toMatchObject({
      reason: 'TestsWeakened',
      message: expect.stringContaining('no test at all'),
    });
  });

  it('requires a tests improvement to raise coverage, and never skips the check', () => {
    expect(
      gate({ type: 'tests', before: run({ coverage: 50 }), after: run({ coverage: 50 }) }),
    ).toMatchObject({ ok: false, reason: 'CoverageNotRaised' });
    expect(
      gate({ type: 'tests', before: run({ coverage: 50 }), after: run({ coverage: 55 }) }),
    ).toEqual({ ok: true });
    expect(gate({ type: 'tests', before: run({}), after: run({ coverage: 55 }) })).toMatchObject({
      ok: false,
      reason: 'CoverageNotRaised',
    });
  });
});
