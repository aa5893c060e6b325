// How many tests a run executed (passed + failed; skipped and todo do not
// count), read from the summary lines of the common test runners. The gate
// compares it with the baseline: a suite that quietly runs fewer tests is
// weaker, whatever its exit code says.

export interface TestCount {
  executed: number;
  failed: number;
  reporter: string;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

const num = (m: RegExpExecArray | null, i = 1) => (m ? Number(m[i]) : 0);

/** Last match of a line pattern (global regex, multiline). */
function last(text: string, re: RegExp): RegExpExecArray | null {
  let found: RegExpExecArray | null = null;
  for (const m of text.matchAll(re)) found = m as RegExpExecArray;
  return found;
}

function sum(text: string, re: RegExp, group = 1): { total: number; seen: number } {
  let total = 0;
  let seen = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[group]);
    seen++;
  }
  return { total, seen };
}

export function countExecutedTests(raw: string): TestCount | undefined {
  const text = raw.replace(ANSI, '').replace(/\r/g, '');

  // jest: "Tests:       1 failed, 2 skipped, 5 passed, 8 total"
  const jest = last(text, /^Tests:\s+(.*\d+ total)\s*$/gm);
  if (jest) {
    const part = (w: string) => num(new RegExp(`(\\d+) ${w}`).exec(jest[1]!));
    return { executed: part('passed') + part('failed'), failed: part('failed'), reporter: 'jest' };
  }
  // vitest: " Tests  1 failed | 4 passed | 1 skipped (6)"
  const vitest = last(text, /^\s*Tests\s+((?:\d+ \w+(?: \| )?)+)\s*\(\d+\)\s*$/gm);
  if (vitest) {
    const part = (w: string) => num(new RegExp(`(\\d+) ${w}`).exec(vitest[1]!));
    return {
      executed: part('passed') + part('failed'),
      failed: part('failed'),
      reporter: 'vitest',
    };
  }
  // cargo: one "test result:" line per test binary.
  const cargoPass = sum(text, /^test result: \w+\. (\d+) passed; \d+ failed/gm);
  if (cargoPass.seen) {
    const failed = sum(text, /^test result: \w+\. \d+ passed; (\d+) failed/gm).total;
    return { executed: cargoPass.total + failed, failed, reporter: 'cargo' };
  }
  // pytest: "==== 5 passed, 1 failed, 2 skipped in 0.12s ====", "-q": "5 passed in 0.1s"
  const pytest = last(
    text,
    /^=*\s*((?:\d+ (?:passed|failed|skipped|xfailed|xpassed|errors?|warnings?|deselected)(?:, )?)+) in [\d.]+s/gm,
  );
  if (pytest) {
    const part = (w: string) => num(new RegExp(`(\\d+) ${w}`).exec(pytest[1]!));
    const failed = part('failed') + part('errors?');
    return {
      executed: part('passed') + failed + part('xpassed') + part('xfailed'),
      failed,
      reporter: 'pytest',
    };
  }
  if (/^=+ no tests ran/m.test(text)) return { executed: 0, failed: 0, reporter: 'pytest' };
  // node's spec reporter: "ℹ tests 5", "ℹ pass 4", "ℹ fail 1", "ℹ skipped 0", "ℹ todo 0"
  const specTests = last(text, /^ℹ tests (\d+)$/gm);
  if (specTests) {
    const skipped = num(last(text, /^ℹ skipped (\d+)$/gm)) + num(last(text, /^ℹ todo (\d+)$/gm));
    return {
      executed: num(specTests) - skipped,
      failed: num(last(text, /^ℹ fail (\d+)$/gm)),
      reporter: 'node-spec',
    };
  }
  // TAP (node --test, tape, tap): "# tests 5", "# pass 5", "# fail 0", "# skip(ped) 1", "# todo 1"
  const tapTests = last(text, /^# tests (\d+)$/gm);
  if (tapTests) {
    const skipped =
      num(last(text, /^# skip(?:ped)? (\d+)$/gm)) + num(last(text, /^# todo (\d+)$/gm));
    return {
      executed: num(tapTests) - skipped,
      failed: num(last(text, /^# fail (\d+)$/gm)),
      reporter: 'tap',
    };
  }
  // mocha: "5 passing (12ms)", "1 failing"
  const mocha = last(text, /^\s*(\d+) passing(?: \(\w+\))?\s*$/gm);
  if (mocha) {
    const failed = num(last(text, /^\s*(\d+) failing\s*$/gm));
    return { executed: num(mocha) + failed, failed, reporter: 'mocha' };
  }
  // ava: "5 tests passed", "1 test failed"
  const avaPassed = last(text, /^\s*(\d+) tests? passed/gm);
  if (avaPassed) {
    const failed = num(last(text, /^\s*(\d+) tests? failed/gm));
    return { executed: num(avaPassed) + failed, failed, reporter: 'ava' };
  }
  // go test -v: one line per test and subtest.
  const goPass = sum(text, /^\s*--- PASS: /gm).seen;
  const goFail = sum(text, /^\s*--- FAIL: /gm).seen;
  if (goPass + goFail > 0) return { executed: goPass + goFail, failed: goFail, reporter: 'go' };
  return undefined;
}
