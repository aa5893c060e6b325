// Refuses edits that make a test suite weaker: fewer test declarations in a
// test file, a test file emptied, or a new skip/only/ignore marker. Counting
// is per file and ignores commented-out lines, so renaming or moving a test
// inside a file passes while deleting one does not.

/** Files that hold tests, by the conventions of the common ecosystems. */
export function isTestFile(path: string): boolean {
  return (
    /(^|\/)(test|tests|__tests__|spec|specs|testing)\//.test(path) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(path) ||
    /(^|\/)test_[^/]*\.py$/.test(path) ||
    /_test\.(py|go)$/.test(path) ||
    /(^|\/)conftest\.py$/.test(path) ||
    /Tests?\.(java|kt|cs|scala)$/.test(path) ||
    /_spec\.rb$/.test(path) ||
    /\.rs$/.test(path) // Rust unit tests live beside the code
  );
}

const TEST_DECLS: Array<[string, RegExp]> = [
  ['it(/test(/describe(', /(?<![\w.$])[xf]?(it|test|describe)(\.\w+)*\s*\(/g],
  ['def test_', /\bdef\s+test_?\w*/g],
  ['func Test', /\bfunc\s+(Test|Benchmark|Example|Fuzz)\w*\s*\(/g],
  ['#[test]', /#\[(\w+::)?test\]/g],
  ['@Test', /@(Test|ParameterizedTest)\b/g],
];

const SKIPS: Array<[string, RegExp]> = [
  ['@pytest.mark.skip/xfail', /@pytest\.mark\.(skip|skipif|xfail)\b/g],
  ['pytest.skip(', /\bpytest\.skip\s*\(/g],
  ['@unittest.skip', /@unittest\.(skip|skipIf|skipUnless|expectedFailure)\b/g],
  ['xit(/xdescribe(/xtest(', /(?<![\w.$])x(it|describe|test)\s*\(/g],
  ['fit(/fdescribe(', /(?<![\w.$])f(it|describe)\s*\(/g],
  ['.skip', /(?<!mark|pytest|unittest)\.skip\b/g],
  ['.only', /\.only\b/g],
  ['t.Skip(', /\b\w+\.Skip(Now|f)?\s*\(/g],
  ['#[ignore]', /#\[ignore\b/g],
  ['@Disabled/@Ignore', /@(Disabled|Ignore)\b/g],
];

/** Drops comment-only lines: a commented-out test no longer runs. */
function liveCode(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*|\/\*|--|#(?!\[))/.test(l))
    .join('\n');
}

function count(text: string, re: RegExp): number {
  return [...text.matchAll(re)].length;
}

/** Returns why the change weakens the tests, or undefined when it does not. */
export function testWeakening(
  path: string,
  before: string | null,
  after: string,
): string | undefined {
  if (!isTestFile(path)) return undefined;
  const old = liveCode(before ?? '');
  const now = liveCode(after);
  if (before !== null && before.trim() !== '' && after.trim() === '') {
    return `deletes the test file ${path}`;
  }
  for (const [name, re] of SKIPS) {
    const was = count(old, re);
    const is = count(now, re);
    if (is > was) return `skips or focuses tests (${name}) in ${path}`;
  }
  for (const [name, re] of TEST_DECLS) {
    const was = count(old, re);
    const is = count(now, re);
    if (is < was) return `removes ${was - is} test declaration(s) (${name}) from ${path}`;
  }
  return undefined;
}
