// How many tests a run executed (passed + failed; skipped, todo, ignored and
// expected failures do not count), read from the summary lines of the
// common test runners. The gate compares it with the baseline: a suite that
// quietly runs fewer tests is weaker, whatever its exit code says.
//
// One pass over the lines, after stripping terminal colour codes: linear in
// the output, which may be megabytes. Runners that print one summary per
// run (jest, vitest, mocha, ava, pytest, unittest, bun, deno) or per test
// binary or package (cargo, nextest, go) are summed, so `a && b` counts
// both; TAP and node's spec reporter print a final summary after any
// per-file ones, so the last block is taken.

export interface TestCount {
  executed: number;
  failed: number;
  /** Which summary was read, e.g. `jest`, or `cargo+jest` when several ran. */
  reporter: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

/** `(\d+) word` pairs of a summary, by word. */
function items(text: string, re: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(re)) out.set(m[2]!, (out.get(m[2]!) ?? 0) + Number(m[1]));
  return out;
}
const get = (m: Map<string, number>, ...words: string[]) =>
  words.reduce((n, w) => n + (m.get(w) ?? 0), 0);

const JEST = /^Tests:\s+((?:\d+ [a-z]+, )*\d+ total)\s*$/;
const JEST_ITEM = /(\d+) (failed|passed|skipped|todo|total)/g;
const VITEST =
  /^\s*Tests {2,}(\d+ [a-z]+(?: [a-z]+)?(?: \| \d+ [a-z]+(?: [a-z]+)?)*) +\((\d+)\)\s*$/;
const VITEST_ITEM = /(\d+) (failed|passed|skipped|todo|expected fail)/g;
const MOCHA_PASSING = /^\s*(\d+) passing \(\d+(?:\.\d+)?(?:ms|s|m|h)\)\s*$/;
const MOCHA_FAILING = /^\s*(\d+) failing\s*$/;
const AVA = /^\s*(\d+) (?:tests? (passed|failed|skipped|todo)|known (failure)s?)\s*$/;
const PYTEST =
  /^=+ (.+?) in \d+(?:\.\d+)?s(?: \([\d:.]+\))? =+$|^((?:\d+ [a-z]+, )*\d+ [a-z]+) in \d+(?:\.\d+)?s(?: \([\d:.]+\))?$/;
const PYTEST_PART =
  /^\d+ (?:passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|rerun)$/;
const PYTEST_ITEM = /(\d+) (passed|failed|errors?|xpassed)\b/g;
const PYTEST_NONE = /^=*\s*no tests ran in \d+(?:\.\d+)?s/;
const UNITTEST_RAN = /^Ran (\d+) tests? in \d+(?:\.\d+)?s$/;
const UNITTEST_END = /^(OK|FAILED)(?: \((.*)\))?$/;
const UNITTEST_ITEM = /(failures|errors|skipped|expected failures|unexpected successes)=(\d+)/g;
const TAP = /^# (tests|pass|fail|cancelled|skipped|skip|todo) +(\d+)\s*$/;
const FILE_AS_TAP_TEST = /^ok \d+ - \S*\.[cm]?[jt]sx?\s*$/;
const FILE_AS_SPEC_TEST = /^✔ \S*\.[cm]?[jt]sx? \([\d.]+m?s\)\s*$/;
const SPEC = /^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$/;
const GO_RESULT = /^\s*--- (PASS|FAIL): /;
const GO_RUN = /^=== RUN\s/;
const GO_JSON = /^\{.*"Action":\s*"(pass|fail)".*"Test":\s*"/;
const CARGO = /^test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed; \d+ ignored;/;
const NEXTEST = /^\s*Summary \[[^\]]*\]\s+(\d+) tests? run: (.*)$/;
const NEXTEST_ITEM = /(\d+) (failed|timed out)/g;
const BUN = /^\s*(\d+) (pass|fail|skip|todo)\s*$/;
const BUN_RAN = /^Ran (\d+) tests? across \d+ files?\./;
const DENO = /^(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/;

export function countExecutedTests(output: string): TestCount | undefined {
  const totals = new Map<string, { executed: number; failed: number }>();
  const add = (reporter: string, executed: number, failed: number) => {
    const t = totals.get(reporter) ?? { executed: 0, failed: 0 };
    t.executed += executed;
    t.failed += failed;
    totals.set(reporter, t);
  };
  let tap: Map<string, number> | undefined;
  let spec: Map<string, number> | undefined;
  // Node 20 reports a test file that ran no test (it exited early, say) as one
  // passing top-level result named by its path: that is no test.
  let tapFileOnly = 0;
  let specFileOnly = 0;
  let mocha: { passed: number; failed: number } | undefined;
  const flushMocha = () => {
    if (mocha) add('mocha', mocha.passed + mocha.failed, mocha.failed);
    mocha = undefined;
  };
  let unittest: number | undefined;
  let bun = new Map<string, number>();
  let goRun = false;
  const go = { passed: 0, failed: 0 };
  const goJson = { passed: 0, failed: 0 };

  const text = output.includes('\u001b') ? output.replace(ANSI, '') : output;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    start = end + 1;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const cr = line.lastIndexOf('\r');
    if (cr >= 0) line = line.slice(cr + 1); // a progress line overwritten in place
    const first = line.trimStart()[0];
    if (first === undefined) continue;
    let m: RegExpExecArray | null;

    if (first === 'T') {
      if ((m = JEST.exec(line))) {
        const it = items(m[1]!, JEST_ITEM);
        add('jest', get(it, 'passed', 'failed'), get(it, 'failed'));
      } else if ((m = VITEST.exec(line))) {
        const it = items(m[1]!, VITEST_ITEM);
        add('vitest', get(it, 'passed', 'failed'), get(it, 'failed'));
      }
    } else if (first === '#') {
      if ((m = TAP.exec(line))) {
        if (m[1] === 'tests' || !tap) tap = new Map();
        tap.set(m[1] === 'skip' ? 'skipped' : m[1]!, Number(m[2]));
      }
    } else if (first === 'o' && FILE_AS_TAP_TEST.test(line)) {
      tapFileOnly++;
    } else if (first === '✔' && FILE_AS_SPEC_TEST.test(line)) {
      specFileOnly++;
    } else if (first === 'ℹ') {
      if ((m = SPEC.exec(line))) {
        if (m[1] === 'tests' || !spec) spec = new Map();
        spec.set(m[1]!, Number(m[2]));
      }
    } else if (first === '-') {
      if ((m = GO_RESULT.exec(line))) {
        if (m[1] === 'PASS') go.passed++;
        else go.failed++;
      }
    } else if (first === '=') {
      if (GO_RUN.test(line)) goRun = true;
      else pytest(line);
    } else if (first === '{') {
      if ((m = GO_JSON.exec(line))) {
        if (m[1] === 'pass') goJson.passed++;
        else goJson.failed++;
      }
    } else if (first === 't') {
      if ((m = CARGO.exec(line))) add('cargo', Number(m[1]) + Number(m[2]), Number(m[2]));
    } else if (first === 'S') {
      if ((m = NEXTEST.exec(line))) {
        const it = items(m[2]!, NEXTEST_ITEM);
        add('nextest', Number(m[1]), get(it, 'failed', 'timed out'));
      }
    } else if (first === 'R') {
      if ((m = UNITTEST_RAN.exec(line))) {
        if (unittest !== undefined) add('unittest', unittest, 0);
        unittest = Number(m[1]);
      } else if (BUN_RAN.test(line)) {
        add('bun', get(bun, 'pass', 'fail'), get(bun, 'fail'));
        bun = new Map();
      }
    } else if (
      (first === 'O' || first === 'F') &&
      unittest !== undefined &&
      (m = UNITTEST_END.exec(line))
    ) {
      const it = new Map<string, number>();
      for (const x of (m[2] ?? '').matchAll(UNITTEST_ITEM)) it.set(x[1]!, Number(x[2]));
      const failed = get(it, 'failures', 'errors');
      add('unittest', unittest - get(it, 'skipped', 'expected failures'), failed);
      unittest = undefined;
    } else if ((first === 'o' || first === 'F') && (m = DENO.exec(line))) {
      add('deno', Number(m[1]) + Number(m[2]), Number(m[2]));
    } else if (first === 'n') {
      if (PYTEST_NONE.test(line)) add('pytest', 0, 0);
    } else if (first >= '0' && first <= '9') {
      if ((m = MOCHA_PASSING.exec(line))) {
        flushMocha();
        mocha = { passed: Number(m[1]), failed: 0 };
      } else if ((m = MOCHA_FAILING.exec(line))) {
        if (mocha) mocha.failed += Number(m[1]);
      } else if ((m = AVA.exec(line))) {
        const what = m[2] ?? m[3];
        if (what === 'passed') add('ava', Number(m[1]), 0);
        else if (what === 'failed') add('ava', Number(m[1]), Number(m[1]));
        else add('ava', 0, 0);
      } else if ((m = BUN.exec(line))) {
        bun.set(m[2]!, (bun.get(m[2]!) ?? 0) + Number(m[1]));
      } else {
        pytest(line);
      }
    }
  }
  flushMocha();
  if (unittest !== undefined) add('unittest', unittest, 0);
  if (tap) {
    add(
      'tap',
      tap.has('pass') || tap.has('fail')
        ? get(tap, 'pass', 'fail', 'cancelled') - tapFileOnly
        : get(tap, 'tests') - get(tap, 'skipped', 'todo') - tapFileOnly,
      get(tap, 'fail', 'cancelled'),
    );
  }
  if (spec)
    add(
      'node-spec',
      get(spec, 'pass', 'fail', 'cancelled') - specFileOnly,
      get(spec, 'fail', 'cancelled'),
    );
  // `go test` without -v prints failures but not passes: no count then.
  if (goRun && go.passed + go.failed > 0) add('go', go.passed + go.failed, go.failed);
  if (goJson.passed + goJson.failed > 0) add('go', goJson.passed + goJson.failed, goJson.failed);

  if (totals.size === 0) return undefined;
  let executed = 0;
  let failed = 0;
  for (const t of totals.values()) {
    executed += t.executed;
    failed += t.failed;
  }
  return { executed, failed, reporter: [...totals.keys()].join('+') };

  function pytest(line: string) {
    const m = PYTEST.exec(line);
    const body = m?.[1] ?? m?.[2];
    if (!body) return;
    if (/^no tests ran$/.test(body)) return add('pytest', 0, 0);
    const parts = body.split(', ');
    if (!parts.every((p) => PYTEST_PART.test(p))) return;
    const it = items(body, PYTEST_ITEM);
    const failed = get(it, 'failed', 'error', 'errors');
    add('pytest', get(it, 'passed', 'xpassed') + failed, failed);
  }
}
