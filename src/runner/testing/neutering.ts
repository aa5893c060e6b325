// Constructs that make tests pass without testing anything, by name and
// language. They are matched on added test code with comments blanked out
// (strings kept: `eval('process.exit(0)')` is still an exit), one line at a
// time, except the MULTILINE ones, matched on each run of added lines.
import type { CodeLanguage } from '../files/kinds.ts';

export interface Construct {
  /** What the message calls it, e.g. `process.exit`. */
  name: string;
  category:
    | 'early termination'
    | 'skipped or focused tests'
    | 'tautological assertion'
    | 'dead guard'
    | 'swallowed errors'
    | 'overridden test framework'
    | 'module-wide mock'
    | 'build constraint'
    | 'test environment switch'
    | 'coverage exclusion'
    | 'coverage forgery'
    | 'hidden code';
  re: RegExp;
  /** Match the raw line, strings included (names of files the code could forge). */
  raw?: boolean;
  /** Languages it applies to; all when absent. */
  langs?: readonly CodeLanguage[];
  /**
   * `declaration`: only in the arguments of a test or group declaration, or
   * in code that runs when the file loads (an options object kept in a
   * variable), not inside a test's body.
   */
  where?: 'declaration';
}

const JS: readonly CodeLanguage[] = ['js'];
const PY: readonly CodeLanguage[] = ['python'];
const GO: readonly CodeLanguage[] = ['go'];
const RS: readonly CodeLanguage[] = ['rust'];
const JVM: readonly CodeLanguage[] = ['jvm'];
const C: readonly CodeLanguage[] = ['c'];
const SCRIPT: readonly CodeLanguage[] = ['script'];
const C_LIKE: readonly CodeLanguage[] = ['js', 'jvm', 'c'];

/** A literal that is the same on every run. */
const LIT = String.raw`(?:true|false|null|undefined|None|True|False|nil|-?\d+(?:\.\d+)?|'[^'\\\n]*'|"[^"\\\n]*")`;
/** The same literal or plain name on both sides (backreference \1). */
const SAME = String.raw`(${LIT}|[\w$.]+)\s*,\s*\1\s*[,)]`;
const TRUTHY = String.raw`(?:true|True|!0|!!1|!\s*false|-?[1-9]\d*|'[^'\n]+'|"[^"\n]+")`;
const FALSY = String.raw`(?:false|False|0|null|None|nil|undefined|''|"")`;
const re = (source: string, flags = '') => new RegExp(source, flags);

export const NEUTERING: readonly Construct[] = [
  // coverage forgery: the gate reads coverage from reports the tests write;
  // test code has no business naming them.
  {
    name: 'a coverage report or its location',
    category: 'coverage forgery',
    re: /lcov|coverage-(?:summary|final)|cobertura|NODE_V8_COVERAGE|coverprofile|coverage\.(?:out|xml)|\.nyc_output|\.coverage\b/i,
    raw: true,
  },
  // early termination: the runner sees a clean exit before any failure
  {
    name: 'process.exit',
    category: 'early termination',
    re: /(?<!expect\s*\(\s*)(?<![\w$.])process\s*(?:\.\s*|\[\s*['"`])(?:exit|abort|reallyExit)\b(?!Code)/,
    langs: JS,
  },
  {
    name: 'process.exitCode',
    category: 'early termination',
    re: /(?<![\w$.])process\s*(?:\.\s*|\[\s*['"`])exitCode\b['"`]?\s*\]?\s*(?:[-+*/|&]?=(?!=)|\+\+|--)/,
    langs: JS,
  },
  {
    name: "process.on('exit')",
    category: 'early termination',
    re: /(?<![\w$.])process\s*\.\s*(?:on|once|addListener|prependListener|prependOnceListener)\s*\(\s*['"`](?:exit|beforeExit|uncaughtException|unhandledRejection)\b/,
    langs: JS,
  },
  {
    name: 'process.kill(process.pid)',
    category: 'early termination',
    re: /\bprocess\s*\.\s*kill\s*\(\s*(?:process\s*\.\s*p?pid|0)\b/,
    langs: JS,
  },
  {
    name: 'exit taken from process',
    category: 'early termination',
    re: /\{[^}]*\b(?:exit|exitCode|abort|reallyExit)\b[^}]*\}\s*=\s*(?:globalThis\s*\.\s*)?process\b|\bimport\s*\{[^}]*\b(?:exit|abort|reallyExit)\b[^}]*\}\s*from\s*['"](?:node:)?process['"]|require\s*\(\s*['"](?:node:)?process['"]\s*\)\s*\.\s*(?:exit|abort|reallyExit|exitCode)\b/,
    langs: JS,
  },
  { name: 'Deno.exit', category: 'early termination', re: /\bDeno\s*\.\s*exit\b/, langs: JS },
  {
    name: "process['exit']",
    category: 'early termination',
    re: /\[\s*['"`](?:exit|exitCode|reallyExit|abort|kill)['"`]\s*\]|(?:const|let|var)\s+[\w$]+\s*=\s*(?:globalThis\s*\.\s*)?process\s*(?:[;,)]|$)/,
    langs: JS,
  },
  {
    name: 'eval/new Function',
    category: 'hidden code',
    re: /(?<![\w$.])(?:eval|Function)\s*\(|\bnew\s+Function\b|\bvm\s*\.\s*(?:run\w*|compileFunction)\s*\(/,
    langs: JS,
  },
  {
    name: 'exec/eval/getattr',
    category: 'hidden code',
    re: /(?<![\w.])(?:exec|eval|compile|__import__)\s*\(|\bgetattr\s*\(\s*(?:sys|os|pytest|builtins|unittest)\b/,
    langs: PY,
  },
  { name: 'sys.exit', category: 'early termination', re: /\bsys\s*\.\s*exit\b/, langs: PY },
  {
    name: 'os._exit',
    category: 'early termination',
    re: /\bos\s*\.\s*(?:_exit|abort)\b|\bos\s*\.\s*kill\s*\(\s*os\s*\.\s*getpid\b/,
    langs: PY,
  },
  { name: 'pytest.exit', category: 'early termination', re: /\bpytest\s*\.\s*exit\b/, langs: PY },
  {
    name: 'raise SystemExit',
    category: 'early termination',
    re: /\braise\s+SystemExit\b|(?<![\w.])(?:exit|quit)\s*\(|\bfrom\s+(?:sys|os)\s+import\b[^#\n]*\b(?:exit|_exit|abort)\b/,
    langs: PY,
  },
  {
    name: 'os.Exit',
    category: 'early termination',
    // `os.Exit(m.Run())` in a TestMain reports the tests' own result.
    re: /\bos\s*\.\s*Exit\s*\((?!\s*\w+\s*\.\s*Run\s*\(\s*\)\s*\))|\bsyscall\s*\.\s*(?:Exit|Kill)\b/,
    langs: GO,
  },
  {
    name: 'runtime.Goexit',
    category: 'early termination',
    re: /\bruntime\s*\.\s*Goexit\b/,
    langs: GO,
  },
  {
    name: 'std::process::exit',
    category: 'early termination',
    re: /\bprocess\s*::\s*(?:exit|abort)\b|\blibc\s*::\s*(?:_?exit|abort|kill)\b/,
    langs: RS,
  },
  {
    name: 'System.exit',
    category: 'early termination',
    re: /\bSystem\s*\.\s*exit\b|\bRuntime\s*\.\s*getRuntime\s*\(\s*\)\s*\.\s*(?:exit|halt)\b|\bexitProcess\s*\(|\bEnvironment\s*\.\s*Exit\b/,
    langs: JVM,
  },
  {
    name: 'exit()',
    category: 'early termination',
    re: /(?<![\w.>$])(?:std\s*::\s*)?(?:exit|_exit|_Exit|quick_exit|abort)\s*\(/,
    langs: C,
  },
  {
    name: 'exit',
    category: 'early termination',
    re: /(?<![\w.:$@])(?:exit!?|abort)(?![\w?:])|\bKernel\s*\.\s*exit\b|\bSystem\s*\.\s*halt\b/,
    langs: SCRIPT,
  },

  // skipped, focused, todo or inverted tests
  {
    name: '.skip/.only/.todo',
    category: 'skipped or focused tests',
    re: /(?<![\w$])(?:describe|it|test|suite|context|specify|bench)(?:\s*\.\s*(?:each|concurrent|serial|sequential|parallel|shuffle)\b)*\s*\.\s*(?:skip|only|todo|skipIf|runIf|failing|fails)\b/,
    langs: JS,
  },
  { name: '.only', category: 'skipped or focused tests', re: /\.\s*only\s*[(`.]/, langs: JS },
  {
    name: 't.skip()',
    category: 'skipped or focused tests',
    re: /(?<![\w$.])(?:t|ctx|context|this|tc|test)\s*\.\s*(?:skip|todo)\s*\(/,
    langs: JS,
  },
  {
    name: 'xit/xdescribe/fit',
    category: 'skipped or focused tests',
    re: /(?<![\w$.])(?:xit|xdescribe|xtest|xcontext|xspecify|xsuite|fit|fdescribe|ftest|pending)\s*\(/,
    langs: JS,
  },
  {
    name: '{ skip/todo/only } option',
    category: 'skipped or focused tests',
    re: /(?<![\w$.'"])(?:skip|todo|only)\s*:\s*(?!\s*(?:false|0|null|undefined|void\s+0)\b|\s*''|\s*""|\s*[,}])/,
    langs: JS,
    // `{ skip: 10, take: 5 }` inside a test is pagination, not an option.
    where: 'declaration',
  },
  {
    name: '@pytest.mark.skip/skipif/xfail',
    category: 'skipped or focused tests',
    re: /\bmark\s*\.\s*(?:skip|skipif|xfail)\b/,
    langs: PY,
  },
  {
    name: 'pytest.skip()',
    category: 'skipped or focused tests',
    re: /\bpytest\s*\.\s*(?:skip|xfail|importorskip)\s*\(/,
    langs: PY,
  },
  {
    name: '@unittest.skip',
    category: 'skipped or focused tests',
    re: /\bunittest\s*\.\s*(?:skip\w*|expectedFailure|SkipTest)\b|@\s*(?:skip|skipIf|skipUnless|expectedFailure)\b|\bskipTest\s*\(|\bSkipTest\b|\bimport\b[^#\n]*\b(?:skip|skipIf|skipUnless|expectedFailure|xfail)\b/,
    langs: PY,
  },
  {
    name: '__test__ = False',
    category: 'skipped or focused tests',
    re: /^\s*__test__\s*=/,
    langs: PY,
  },
  {
    name: 't.Skip',
    category: 'skipped or focused tests',
    re: /\b\w+\s*\.\s*(?:Skip|Skipf|SkipNow)\s*\(|\bflag\s*\.\s*Set\s*\(\s*"test\./,
    langs: GO,
  },
  {
    name: '#[ignore]',
    category: 'skipped or focused tests',
    re: /#\s*\[\s*(?:cfg_attr\s*\([^\]]*,\s*)?ignore\b/,
    langs: RS,
  },
  {
    name: '#[cfg(...)] that never holds',
    category: 'skipped or focused tests',
    re: /#\s*!\s*\[\s*cfg\s*\(|#\s*\[\s*cfg\s*\(\s*(?:any\s*\(\s*\)|not\s*\(\s*test\s*\)|false\b|FALSE\b|all\s*\([^\]]*\bnot\s*\(\s*test\s*\))/,
    langs: RS,
  },
  {
    name: '@Disabled/@Ignore',
    category: 'skipped or focused tests',
    re: /@\s*(?:Disabled\w*|Ignore|EnabledIf\w*|EnabledOn\w*)\b|\[\s*(?:Ignore|Explicit)\b|\bSkip\s*=|\bassume(?:True|False|That|NotNull)?\s*\(|\bmarkTestSkipped\s*\(|\bXCTSkip\w*\b/,
    langs: JVM,
  },
  {
    name: 'GTEST_SKIP/DISABLED_',
    category: 'skipped or focused tests',
    re: /\bGTEST_SKIP\b|\bDISABLED_\w/,
    langs: C,
  },
  {
    name: 'skip/pending/xit',
    category: 'skipped or focused tests',
    re: /(?<![\w.:])(?:xit|xdescribe|xcontext|xspecify|skip|pending)\b|@(?:module)?tag\s+:skip\b/,
    langs: SCRIPT,
  },

  // assertions that cannot fail
  {
    name: 'expect(x).toBe(x)',
    category: 'tautological assertion',
    re: re(
      String.raw`\bexpect\s*\(\s*(${LIT}|[\w$.]+)\s*\)\s*\.\s*(?:toBe|toEqual|toStrictEqual|to\s*\.\s*(?:equal|eql|deep\s*\.\s*equal|be))\s*\(\s*\1\s*\)`,
    ),
  },
  {
    name: 'expect(<constant>).toBeTruthy()',
    category: 'tautological assertion',
    re: re(
      String.raw`\bexpect\s*\(\s*(?:${TRUTHY}|\{\s*\}|\[\s*\])\s*\)\s*\.\s*(?:toBeTruthy|toBeDefined|toBeTrue|to\s*\.\s*(?:be\s*\.\s*)?(?:ok|true|exist))\b|\bexpect\s*\(\s*${FALSY}\s*\)\s*\.\s*(?:toBeFalsy|toBeFalse|toBeNull|toBeUndefined|to\s*\.\s*(?:be\s*\.\s*)?(?:false|null|undefined|not\s*\.\s*ok))\b`,
    ),
  },
  {
    name: 'assert(true)',
    category: 'tautological assertion',
    re: re(
      String.raw`(?<![\w$.])assert(?:\s*\.\s*(?:ok|isOk|isTrue|true|truthy))?\s*\(\s*${TRUTHY}\s*[,)]`,
    ),
  },
  {
    name: 'assert.equal(1, 1)',
    category: 'tautological assertion',
    re: re(
      String.raw`(?<![\w$])(?:assert|t|tap|chai\s*\.\s*assert)\s*\.\s*(?:equal|equals|strictEqual|deepEqual|deepStrictEqual|is|same|strictSame|eql|looseEqual|deepEquals)\s*\(\s*${SAME}`,
    ),
  },
  {
    name: 't.pass()',
    category: 'tautological assertion',
    re: re(
      String.raw`(?<![\w$.])t\s*\.\s*pass\s*\(|(?<![\w$.])t\s*\.\s*(?:true|truthy|ok|assert)\s*\(\s*${TRUTHY}\s*[,)]`,
    ),
    langs: JS,
  },
  {
    name: 'assertEquals(1, 1)',
    category: 'tautological assertion',
    re: re(
      String.raw`\bassert(?:Equals?|Same|Is|CountEqual|ListEqual|DictEqual|SequenceEqual|ArrayEquals)\s*\(\s*${SAME}|\bassert(?:True|Truthy)\s*\(\s*(?:true|True|1)\s*[,)]|\bassert(?:False|Falsy|IsNone|Null)\s*\(\s*${FALSY}\s*[,)]|\bassertThat\s*\(\s*(?:true|1)\s*\)\s*\.\s*isTrue\b`,
    ),
  },
  {
    name: 'assert True',
    category: 'tautological assertion',
    re: re(
      String.raw`(?<![\w.])assert\s*\(?\s*(?:True|1|not\s+(?:False|None|0)|'[^'\n]+'|"[^"\n]+")\s*\)?\s*(?:,|$)|(?<![\w.])assert\s+(${LIT}|[\w.]+)\s*(?:==|is)\s*\1\s*(?:,|$)`,
    ),
    langs: PY,
  },
  {
    name: 'assert.True(t, true)',
    category: 'tautological assertion',
    re: re(
      String.raw`\b(?:assert|require)\s*\.\s*Truef?\s*\(\s*\w+\s*,\s*true\s*[,)]|\b(?:assert|require)\s*\.\s*(?:Equal|Equalf|Exactly|EqualValues)\s*\(\s*\w+\s*,\s*${SAME}`,
    ),
    langs: GO,
  },
  {
    name: 'assert!(true)',
    category: 'tautological assertion',
    re: re(
      String.raw`(?<!\w)(?:debug_)?assert!\s*\(\s*(?:true|!\s*false)\s*[,)]|(?<!\w)(?:debug_)?assert_eq!\s*\(\s*${SAME}`,
    ),
    langs: RS,
  },

  // guards that never hold, around test code
  {
    name: 'if (false)',
    category: 'dead guard',
    re: /\b(?:if|while)\s*\(\s*(?:false|0|!\s*true|!\s*1|null|undefined|void\s+0|''|""|NaN)\s*\)/,
    langs: C_LIKE,
  },
  {
    name: 'false && …',
    category: 'dead guard',
    re: /(?:^\s*|[;{]\s*)(?:(?:false|0|null|undefined|!\s*true)\s*&&|(?:true|1|!\s*false)\s*\|\|)/,
    langs: JS,
  },
  {
    name: 'if False:',
    category: 'dead guard',
    re: /\b(?:if|elif|while)\s+(?:False|0|None|not\s+True|\(\s*False\s*\))\s*:/,
    langs: PY,
  },
  {
    name: 'if false {',
    category: 'dead guard',
    re: /\bif\s+(?:false|!\s*true)\s*\{/,
    langs: ['go', 'rust', 'jvm'],
  },
  {
    name: 'if false',
    category: 'dead guard',
    re: /\bif\s+(?:false|nil)\b|\bunless\s+true\b/,
    langs: SCRIPT,
  },

  // errors caught and dropped
  {
    name: '.catch(() => {})',
    category: 'swallowed errors',
    re: /\.\s*catch\s*\(\s*(?:(?:\(\s*[\w$]*\s*\)|[\w$]+)\s*=>\s*(?:\{\s*\}|undefined|null|void\s+0|0|false|true)|noop|function\s*[\w$]*\s*\([^)]*\)\s*\{\s*\})\s*\)/,
    langs: JS,
  },
  {
    name: 'finally { return }',
    category: 'swallowed errors',
    re: /\bfinally\s*\{\s*return\b/,
    langs: C_LIKE,
  },
  {
    name: 'contextlib.suppress(Exception)',
    category: 'swallowed errors',
    re: /\bsuppress\s*\(\s*(?:BaseException|Exception|AssertionError)\b/,
    langs: PY,
  },
  { name: 'catch_unwind', category: 'swallowed errors', re: /\bcatch_unwind\b/, langs: RS },
  { name: 'recover()', category: 'swallowed errors', re: /\brecover\s*\(\s*\)/, langs: GO },
  { name: 'rescue nil', category: 'swallowed errors', re: /\brescue\s+nil\b/, langs: SCRIPT },

  // the framework itself replaced
  {
    name: 'assert/expect replaced',
    category: 'overridden test framework',
    re: /(?<![\w$.])(?:assert|expect|chai|should|test|it|describe)\s*(?:\.\s*[\w$]+\s*)*(?<![=!<>+\-*/%&|^])=(?![=>])|(?<![\w$.])(?:globalThis|global|window)\s*\.\s*(?:expect|test|it|describe|assert|process)\b\s*=(?!=)|\bObject\s*\.\s*(?:defineProperty|defineProperties|assign|setPrototypeOf)\s*\(\s*(?:assert|expect|chai|globalThis|global|process)\b|\b(?:spyOn|method|stub|replace|replaceGetter)\s*\(\s*(?:assert|expect|chai)\b/,
    langs: JS,
  },
  {
    name: 'TestCase.assert* replaced',
    category: 'overridden test framework',
    re: /\b(?:TestCase|self|cls|pytest)\s*\.\s*(?:assert\w*|fail\w*|run|setUp|tearDown|_outcome|skip|main)\s*=(?!=)|\bbuiltins\s*\.\s*\w+\s*=(?!=)|\bsetattr\s*\(\s*(?:self|cls|TestCase|unittest\s*\.\s*TestCase|builtins|pytest)\b/,
    langs: PY,
  },
];

/** Matched on each run of added lines joined with newlines. */
export const NEUTERING_MULTILINE: readonly Construct[] = [
  {
    name: 'empty catch {}',
    category: 'swallowed errors',
    re: /\bcatch\s*(?:\([^)]*\))?\s*\{\s*\}/,
    langs: C_LIKE,
  },
  {
    name: 'except: pass',
    category: 'swallowed errors',
    re: /\bexcept\s*(?:\(?\s*(?:BaseException|Exception|AssertionError)\b[^:\n]*)?:\s*(?:pass|\.\.\.)\s*(?:$|\n|;)/,
    langs: PY,
  },
  {
    name: 'empty rescue',
    category: 'swallowed errors',
    re: /\brescue\b[^\n]*\n\s*end\b/,
    langs: SCRIPT,
  },
];

/**
 * Calls that change a module, a global or the clock for every test that
 * runs after them: refused where they run at load time (outside any test or
 * hook) in an existing test file, or at the top of a new one.
 */
export const MODULE_WIDE: readonly Construct[] = [
  {
    name: 'jest.mock/vi.mock/spyOn',
    category: 'module-wide mock',
    re: /(?<![\w$.])(?:jest|vi)\s*\.\s*(?:mock|doMock|unstable_mockModule|spyOn|replaceProperty|stubGlobal|stubEnv|useFakeTimers|setSystemTime)\s*\(|(?<![\w$.])(?:sinon|td)\s*\.\s*(?:stub|replace|spy|mock|fake|useFakeTimers)\b|(?<![\w$.])mock\s*\.\s*(?:method|module|getter|setter|property|timers)\b/,
    langs: JS,
  },
  {
    name: 'patch(...).start()',
    category: 'module-wide mock',
    re: /\bpatch(?:\s*\.\s*(?:object|dict|multiple))?\s*\([^)]*\)\s*\.\s*start\s*\(|\bsys\s*\.\s*modules\s*\[[^\]]*\]\s*=(?!=)|\bsetattr\s*\(/,
    langs: PY,
  },
];

/** Directives that live in comments; matched on the raw added lines of test files. */
export const DIRECTIVES: readonly Construct[] = [
  {
    name: '//go:build',
    category: 'build constraint',
    re: /^\s*\/\/\s*(?:go:build|\+build)\b/,
    langs: GO,
  },
  {
    name: '@jest-environment',
    category: 'test environment switch',
    re: /@(?:jest|vitest)-environment\b/,
    langs: JS,
  },
];

/** Comments that hide code from coverage; refused when a change adds one anywhere. */
export const COVERAGE_EXCLUSIONS: readonly Construct[] = [
  {
    name: 'istanbul/c8/v8 ignore',
    category: 'coverage exclusion',
    re: /\b(?:istanbul|c8|v8|node:coverage)\s+(?:ignore|disable)\b/,
  },
  {
    name: 'pragma: no cover',
    category: 'coverage exclusion',
    re: /#\s*pragma:\s*no\s*(?:cover|branch)\b/i,
  },
  {
    name: 'LCOV_EXCL',
    category: 'coverage exclusion',
    re: /\bLCOV_EXCL_(?:LINE|START|BR_LINE|BR_START)\b|\bGCOVR_EXCL_(?:LINE|START)\b/,
  },
  {
    name: '#[coverage(off)]',
    category: 'coverage exclusion',
    re: /#\s*\[\s*coverage\s*\(\s*off\s*\)/,
  },
  {
    name: 'coverage:ignore',
    category: 'coverage exclusion',
    re: /\bcoverage:ignore-(?:line|start|file)\b/,
  },
];

export function applies(c: Construct, lang: CodeLanguage | undefined): boolean {
  return !c.langs || (lang !== undefined && c.langs.includes(lang));
}
