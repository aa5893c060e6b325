import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countExecutedTests } from './test-count.ts';

const dir = mkdtempSync(join(tmpdir(), 'oc-count-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs node's own test runner on a file with 3 passing, 1 failing, 1 skipped, 1 todo test. */
function nodeTest(reporter: 'tap' | 'spec', color = false): string {
  const file = join(dir, 'sample.test.mjs');
  writeFileSync(
    file,
    `import test, { describe, it } from 'node:test';
import assert from 'node:assert';
test('passes', () => {});
test('fails', () => { assert.equal(1, 2); });
test('skipped', { skip: true }, () => {});
test('todo', { todo: true }, () => {});
describe('group', () => { it('a', () => {}); it('b', () => {}); });
`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: color ? '1' : '0' };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  if (!color) env.NO_COLOR = '1';
  const r = spawnSync(process.execPath, ['--test', `--test-reporter=${reporter}`, file], {
    encoding: 'utf8',
    env,
    cwd: dir,
  });
  return r.stdout + r.stderr;
}

// `jest` 30 with colours, two files: 3 passed, 1 failed, 1 skipped, 1 todo.
const JEST = [
  '\u001b[1m\u001b[31m FAIL \u001b[39m\u001b[22m ./a.test.js',
  '  \u001b[31m●\u001b[39m bad',
  '',
  '\u001b[1mTest Suites: \u001b[22m\u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m, \u001b[1m\u001b[32m1 passed\u001b[39m\u001b[22m, 2 total',
  '\u001b[1mTests:       \u001b[22m\u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m, \u001b[1m\u001b[33m1 skipped\u001b[39m\u001b[22m, \u001b[1m\u001b[35m1 todo\u001b[39m\u001b[22m, \u001b[1m\u001b[32m3 passed\u001b[39m\u001b[22m, 6 total',
  '\u001b[1mSnapshots:   \u001b[22m0 total',
  '\u001b[1mTime:\u001b[22m        0.413 s',
  '\u001b[2mRan all test suites\u001b[22m\u001b[2m.\u001b[22m',
].join('\n');

const VITEST = ` ✓ src/sum.test.ts (3 tests) 2ms
 ❯ src/sub.test.ts (3 tests | 1 failed | 1 skipped) 4ms
   × sub > negative 3ms
     → expected -1 to be 1

⎯⎯⎯⎯⎯⎯⎯ Failed Tests 1 ⎯⎯⎯⎯⎯⎯⎯

 Test Files  1 failed | 1 passed (2)
      Tests  1 failed | 4 passed | 1 skipped (6)
   Start at  12:00:00
   Duration  310ms (transform 20ms, setup 0ms, collect 30ms, tests 8ms, environment 0ms, prepare 60ms)
`;

const MOCHA = `

  math
    ✔ adds
    ✔ adds negatives
    1) subtracts
    - multiplies


  4 passing (12ms)
  1 pending
  1 failing

  1) math
       subtracts:
     AssertionError [ERR_ASSERTION]: 1 == 2
`;

const AVA = `
  ✔ adds
  ✔ adds negatives
  - later
  ─

  5 tests passed
  1 test skipped
  1 test todo
`;

const TAPE = `TAP version 13
# adds
ok 1 should be strictly equal
# subtracts
not ok 2 should be strictly equal
  ---
    operator: equal
  ...

1..3
# tests 3
# pass  2
# fail  1
`;

const PYTEST = `============================= test session starts ==============================
platform linux -- Python 3.12.1, pytest-8.0.0, pluggy-1.4.0
rootdir: /repo
collected 8 items

tests/test_calc.py ..F.s.xX.                                             [100%]

=================================== FAILURES ===================================
___________________________________ test_sub ___________________________________
E       assert 1 == 2
=========================== short test summary info ============================
FAILED tests/test_calc.py::test_sub - assert 1 == 2
======== 1 failed, 5 passed, 1 skipped, 1 xfailed, 1 xpassed in 0.12s =========
`;

// go test -v ./... (real output): TestAdd fails through its subtest "big".
const GO = `=== RUN   TestAdd
=== RUN   TestAdd/small
=== RUN   TestAdd/big
    calc_test.go:7: boom
--- FAIL: TestAdd (0.00s)
    --- PASS: TestAdd/small (0.00s)
    --- FAIL: TestAdd/big (0.00s)
=== RUN   TestSkip
    calc_test.go:9: later
--- SKIP: TestSkip (0.00s)
=== RUN   TestOk
--- PASS: TestOk (0.00s)
FAIL
FAIL	example.com/calc	0.003s
=== RUN   TestParse
--- PASS: TestParse (0.00s)
PASS
ok  	example.com/calc/parse	0.002s
FAIL
`;

const GO_JSON = [
  '{"Time":"2026-12-04T17:07:05.268Z","Action":"run","Package":"example.com/calc","Test":"TestAdd"}',
  '{"Time":"2026-12-04T17:07:05.268Z","Action":"output","Package":"example.com/calc","Test":"TestAdd/small","Output":"--- PASS: TestAdd/small (0.00s)\\n"}',
  '{"Time":"2026-12-04T17:07:05.268Z","Action":"pass","Package":"example.com/calc","Test":"TestAdd/small","Elapsed":0}',
  '{"Time":"2026-12-04T17:07:05.268Z","Action":"fail","Package":"example.com/calc","Test":"TestAdd/big","Elapsed":0}',
  '{"Time":"2026-12-04T17:07:05.268Z","Action":"fail","Package":"example.com/calc","Test":"TestAdd","Elapsed":0}',
  '{"Time":"2026-12-04T17:07:05.268Z","Action":"skip","Package":"example.com/calc","Test":"TestSkip","Elapsed":0}',
  '{"Time":"2026-12-04T17:07:05.268Z","Action":"pass","Package":"example.com/calc","Test":"TestOk","Elapsed":0}',
  '{"Time":"2026-12-04T17:07:05.269Z","Action":"fail","Package":"example.com/calc","Elapsed":0.003}',
].join('\n');

// cargo test (real output): unit tests, an integration test binary, doc-tests.
const CARGO = `   Compiling rs v0.1.0 (/tmp/cap/rs)
    Finished \`test\` profile [unoptimized + debuginfo] target(s) in 0.14s
     Running unittests src/lib.rs (target/debug/deps/rs-a35a48c092d3f767)

running 3 tests
test tests::adds ... ok
test tests::bad ... ok
test tests::later ... ignored

test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/it.rs (target/debug/deps/it-f79ac83c53990106)

running 1 test
test it_works ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

   Doc-tests rs

running 1 test
test src/lib.rs - doc (line 2) ... FAILED

test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
`;

// python -m unittest (real output).
const UNITTEST = `.FsxE
======================================================================
FAIL: test_b (test_u.T.test_b)
----------------------------------------------------------------------
AssertionError: 1 != 2

----------------------------------------------------------------------
Ran 5 tests in 0.001s

FAILED (failures=1, errors=1, skipped=1, expected failures=1)
`;

describe('countExecutedTests', () => {
  it("reads node's test runner, TAP and spec reporters, from a real run", () => {
    // 6 tests: 3 pass (passes, a, b), 1 fail, 1 skipped, 1 todo; the suite is not a test.
    const want = { executed: 4, failed: 1 };
    expect(countExecutedTests(nodeTest('tap'))).toEqual({ ...want, reporter: 'tap' });
    expect(countExecutedTests(nodeTest('spec'))).toEqual({ ...want, reporter: 'node-spec' });
    expect(countExecutedTests(nodeTest('spec', true))).toEqual({ ...want, reporter: 'node-spec' });
  });

  it.each([
    ['jest', JEST, { executed: 4, failed: 1, reporter: 'jest' }],
    ['vitest', VITEST, { executed: 5, failed: 1, reporter: 'vitest' }],
    ['mocha', MOCHA, { executed: 5, failed: 1, reporter: 'mocha' }],
    ['ava', AVA, { executed: 5, failed: 0, reporter: 'ava' }],
    ['tape', TAPE, { executed: 3, failed: 1, reporter: 'tap' }],
    ['pytest', PYTEST, { executed: 7, failed: 1, reporter: 'pytest' }],
    ['go test -v', GO, { executed: 5, failed: 2, reporter: 'go' }],
    ['go test -json', GO_JSON, { executed: 4, failed: 2, reporter: 'go' }],
    ['cargo test', CARGO, { executed: 4, failed: 1, reporter: 'cargo' }],
    ['python -m unittest', UNITTEST, { executed: 3, failed: 2, reporter: 'unittest' }],
  ])('reads %s', (_name, output, want) => {
    expect(countExecutedTests(output)).toEqual(want);
  });

  it('reads the short and empty forms', () => {
    expect(countExecutedTests('.....\n5 passed in 0.10s\n')).toEqual({
      executed: 5,
      failed: 0,
      reporter: 'pytest',
    });
    expect(countExecutedTests('==== 3 passed, 2 warnings in 0.05s ====\n')).toMatchObject({
      executed: 3,
    });
    expect(
      countExecutedTests(
        'collected 0 items\n\n============================ no tests ran in 0.01s =============================\n',
      ),
    ).toEqual({
      executed: 0,
      failed: 0,
      reporter: 'pytest',
    });
    expect(countExecutedTests('Tests:       0 total\n')).toEqual({
      executed: 0,
      failed: 0,
      reporter: 'jest',
    });
    expect(countExecutedTests('      Tests  5 passed (5)\n')).toEqual({
      executed: 5,
      failed: 0,
      reporter: 'vitest',
    });
    expect(countExecutedTests('  0 passing (1ms)\n')).toEqual({
      executed: 0,
      failed: 0,
      reporter: 'mocha',
    });
  });

  it('reads nextest, bun and deno', () => {
    const nextest =
      '        PASS [   0.004s] calc tests::adds\n------------\n     Summary [   0.010s] 5 tests run: 4 passed, 1 failed, 1 skipped\n';
    expect(countExecutedTests(nextest)).toEqual({ executed: 5, failed: 1, reporter: 'nextest' });
    const bun =
      'src/math.test.ts:\n✓ adds [0.10ms]\n\n 3 pass\n 1 skip\n 1 fail\n 4 expect() calls\nRan 5 tests across 1 files. [12.00ms]\n';
    expect(countExecutedTests(bun)).toEqual({ executed: 4, failed: 1, reporter: 'bun' });
    const deno =
      'running 3 tests from ./math_test.ts\nadds ... ok (1ms)\n\nFAILED | 1 passed | 1 failed | 1 ignored (10ms)\n';
    expect(countExecutedTests(deno)).toEqual({ executed: 2, failed: 1, reporter: 'deno' });
  });

  it('gives no count for `go test` without -v, or output it does not know', () => {
    const quiet =
      '--- FAIL: TestAdd (0.00s)\n    --- FAIL: TestAdd/big (0.00s)\n        calc_test.go:7: boom\nFAIL\nFAIL\texample.com/calc\t0.003s\nok  \texample.com/calc/parse\t0.002s\n';
    expect(countExecutedTests(quiet)).toBeUndefined();
    expect(countExecutedTests('ok  \texample.com/calc\t0.003s\n')).toBeUndefined();
    expect(countExecutedTests('')).toBeUndefined();
    expect(countExecutedTests('all good\n5 tests\n# comment\n')).toBeUndefined();
  });

  it('sums per-run and per-binary summaries; takes the final TAP summary', () => {
    const twoJest = `${JEST}\n${JEST.replace('3 passed', '7 passed')}\n`;
    expect(countExecutedTests(twoJest)).toEqual({ executed: 12, failed: 2, reporter: 'jest' });
    const perFile = '# tests 2\n# pass 2\n# fail 0\n# tests 9\n# pass 7\n# fail 1\n# skip 1\n';
    expect(countExecutedTests(perFile)).toEqual({ executed: 8, failed: 1, reporter: 'tap' });
    expect(countExecutedTests(`${CARGO}\n${JEST}`)).toEqual({
      executed: 8,
      failed: 2,
      reporter: 'cargo+jest',
    });
  });

  it('does not count skipped, todo, ignored or expected failures', () => {
    const skippedOnly = countExecutedTests('Tests:       4 skipped, 1 todo, 5 total\n');
    expect(skippedOnly).toEqual({ executed: 0, failed: 0, reporter: 'jest' });
    expect(
      countExecutedTests(
        'test result: ok. 0 passed; 0 failed; 3 ignored; 0 measured; 0 filtered out; finished in 0.00s\n',
      ),
    ).toMatchObject({
      executed: 0,
    });
    expect(countExecutedTests('==== 2 passed, 3 xfailed in 0.1s ====\n')).toMatchObject({
      executed: 2,
    });
  });

  it('handles progress lines overwritten with carriage returns and CRLF', () => {
    expect(
      countExecutedTests('Running...\r 3/5\rTests:       5 passed, 5 total\r\n'),
    ).toMatchObject({ executed: 5 });
  });

  it('stays linear on megabytes of output, even on one huge line', () => {
    const noise = 'PASS src/x.test.ts\n  ✓ does a thing (3 ms)\n'.repeat(100_000);
    let t = Date.now();
    expect(countExecutedTests(`${noise}Tests:       5 passed, 5 total\n`)).toMatchObject({
      executed: 5,
    });
    expect(Date.now() - t).toBeLessThan(3000);
    t = Date.now();
    const line = `      Tests  1 ${'a '.repeat(2_000_000)}`;
    expect(countExecutedTests(`${line}\n=${' in 1'.repeat(500_000)}\n`)).toBeUndefined();
    expect(Date.now() - t).toBeLessThan(3000);
  });

  it("does not count a test file that ran no test (node 20 reports it under the file's path)", () => {
    const tap =
      'ok 1 - add\nok 2 - /tmp/x/test/strings.test.js\n1..2\n# tests 2\n# pass 2\n# fail 0\n';
    expect(countExecutedTests(tap)).toMatchObject({ executed: 1 });
    const spec =
      '✔ add (0.8ms)\n✔ /tmp/x/test/strings.test.js (69.3ms)\nℹ tests 2\nℹ pass 2\nℹ fail 0\n';
    expect(countExecutedTests(spec)).toMatchObject({ executed: 1 });
    // A test that is merely named like a file, nested under its suite, still counts.
    expect(
      countExecutedTests('    ok 1 - reads a.js\nok 1 - suite\n# tests 2\n# pass 2\n'),
    ).toMatchObject({ executed: 2 });
  });
});
