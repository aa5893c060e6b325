import { describe, expect, it } from '@jest/globals';
import type { FileChange } from '../files/change.ts';
import { testIntegrityViolation } from './integrity.ts';

const check = (path: string, before: string | null, after: string | null) =>
  testIntegrityViolation([{ path, before, after }]);

const JS = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add } from '../src/math.js';

test('adds', () => {
  assert.equal(add(1, 2), 3);
});

test('adds negatives', () => {
  assert.equal(add(-1, -2), -3);
});
`;

const JEST = `const { add } = require('../src/math');

describe('math', () => {
  beforeEach(() => {
    reset();
  });

  it('adds', () => {
    expect(add(1, 2)).toBe(3);
  });
});
`;

const PY = `import pytest
from calc import add


def test_add():
    assert add(1, 2) == 3


class TestCalc:
    def test_more(self):
        assert add(2, 2) == 4
`;

const GO = `package calc

import (
\t"testing"
)

func TestAdd(t *testing.T) {
\tif Add(1, 2) != 3 {
\t\tt.Fatal("bad")
\t}
}
`;

const RS = `pub fn add(a: i32, b: i32) -> i32 {
    a + b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds() {
        assert_eq!(add(1, 2), 3);
    }
}
`;

const JAVA = `package calc;

import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;

class CalcTest {
    @Test
    void adds() {
        assertEquals(3, Calc.add(1, 2));
    }
}
`;

/** Appends a new test holding `body` after the existing ones, in each language. */
const appended: Record<string, { path: string; before: string; with: (body: string) => string }> = {
  js: {
    path: 'test/math.test.js',
    before: JS,
    with: (body) => `${JS}\ntest('new', () => {\n  ${body}\n});\n`,
  },
  py: {
    path: 'tests/test_calc.py',
    before: PY,
    with: (body) => `${PY}\n\ndef test_new():\n    ${body.replace(/\n/g, '\n    ')}\n`,
  },
  pydeco: {
    path: 'tests/test_calc.py',
    before: PY,
    with: (deco) => `${PY}\n\n${deco}\ndef test_new():\n    assert add(0, 0) == 0\n`,
  },
  go: {
    path: 'calc_test.go',
    before: GO,
    with: (body) => `${GO}\nfunc TestNew(t *testing.T) {\n\t${body}\n}\n`,
  },
  rs: {
    path: 'src/lib.rs',
    before: RS,
    with: (body) =>
      RS.replace(
        '        assert_eq!(add(1, 2), 3);\n    }\n',
        `        assert_eq!(add(1, 2), 3);\n    }\n\n    #[test]\n    fn new_one() {\n        ${body}\n    }\n`,
      ),
  },
  rsattr: {
    path: 'src/lib.rs',
    before: RS,
    with: (attr) =>
      RS.replace(
        '        assert_eq!(add(1, 2), 3);\n    }\n',
        `        assert_eq!(add(1, 2), 3);\n    }\n\n    #[test]\n    ${attr}\n    fn new_one() {}\n`,
      ),
  },
  java: {
    path: 'src/test/java/calc/CalcTest.java',
    before: JAVA,
    with: (body) =>
      JAVA.replace(
        '    }\n}\n',
        `    }\n\n    @Test\n    void more() {\n        ${body}\n    }\n}\n`,
      ),
  },
  javaattr: {
    path: 'src/test/java/calc/CalcTest.java',
    before: JAVA,
    with: (attr) =>
      JAVA.replace(
        '    }\n}\n',
        `    }\n\n    ${attr}\n    @Test\n    void more() {\n        assertEquals(4, Calc.add(2, 2));\n    }\n}\n`,
      ),
  },
};

describe('testIntegrityViolation: legitimate changes pass', () => {
  it('accepts a new test appended after the existing ones, with a new import at the top', () => {
    const after =
      JS.replace(
        "import { add } from '../src/math.js';\n",
        "import { add } from '../src/math.js';\nimport { sub } from '../src/math.js';\n",
      ) + "\ntest('subtracts', () => {\n  assert.equal(sub(3, 1), 2);\n});\n";
    expect(check('test/math.test.js', JS, after)).toBeUndefined();
  });

  it('accepts an existing import widened to more names from the same module', () => {
    const js = JS.replace(
      "import { add } from '../src/math.js';",
      "import { add, sub } from '../src/math.js';",
    );
    expect(
      check(
        'test/math.test.js',
        JS,
        `${js}\ntest('sub', () => {\n  assert.equal(sub(2, 1), 1);\n});\n`,
      ),
    ).toBeUndefined();
    const py = PY.replace('from calc import add\n', 'from calc import add, sub\n');
    expect(check('tests/test_calc.py', PY, py)).toBeUndefined();
    const fake = JEST.replace(
      "const { add } = require('../src/math');",
      "const { add, expect } = require('../src/math');",
    );
    expect(check('test/math.test.js', JEST, fake)).toMatch(
      /^rebinds `expect`, which the existing tests call/,
    );
    const other = JS.replace(
      "import { add } from '../src/math.js';",
      "import { add, sub } from '../src/other.js';",
    );
    expect(check('test/math.test.js', JS, other)).toMatch(/^changes existing test code .*line 3/);
  });

  it('accepts a new test file that imports the code under test', () => {
    const file = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add } from '../src/math.js';

test('adds', () => {
  assert.equal(add(2, 2), 4);
});
`;
    expect(check('test/math.test.js', null, file)).toBeUndefined();
  });

  it('accepts edits to source files, however they look', () => {
    expect(
      check(
        'src/math.js',
        'export const add = (a, b) => a + b;\n',
        'export const add = (a, b) => {\n  if (false) return 0;\n  process.exit(0);\n  return a + b;\n};\n',
      ),
    ).toBeUndefined();
  });

  it('accepts a test appended at the end of an existing describe, with hooks inside a new one', () => {
    const inside = JEST.replace(
      '    expect(add(1, 2)).toBe(3);\n  });\n',
      "    expect(add(1, 2)).toBe(3);\n  });\n\n  it('adds more', () => {\n    expect(add(2, 2)).toBe(4);\n  });\n",
    );
    expect(check('test/math.test.js', JEST, inside)).toBeUndefined();
    const group = `${JEST}\ndescribe('sub', () => {\n  let x;\n  beforeEach(() => {\n    x = 1;\n  });\n  it('subtracts', () => {\n    expect(add(x, -1)).toBe(0);\n  });\n});\n`;
    expect(check('test/math.test.js', JEST, group)).toBeUndefined();
  });

  it('accepts appended tests in Python, Go, Rust and Java', () => {
    expect(
      check(appended.py!.path, PY, appended.py!.with('assert add(2, 3) == 5')),
    ).toBeUndefined();
    expect(
      check(
        'tests/test_calc.py',
        PY,
        `${PY}\n    def test_even_more(self):\n        assert add(3, 3) == 6\n`,
      ),
    ).toBeUndefined();
    expect(
      check(
        'tests/test_calc.py',
        PY,
        PY.replace('from calc import add\n', 'from calc import add\nfrom calc import sub\n'),
      ),
    ).toBeUndefined();
    expect(
      check(
        appended.go!.path,
        GO,
        appended.go!.with('if Add(2, 2) != 4 {\n\t\tt.Fatal("bad")\n\t}'),
      ),
    ).toBeUndefined();
    expect(
      check('calc_test.go', GO, GO.replace('\t"testing"\n', '\t"fmt"\n\t"testing"\n')),
    ).toBeUndefined();
    expect(
      check(appended.rs!.path, RS, appended.rs!.with('assert_eq!(add(2, 2), 4);')),
    ).toBeUndefined();
    expect(
      check(appended.java!.path, JAVA, appended.java!.with('assertEquals(4, Calc.add(2, 2));')),
    ).toBeUndefined();
  });

  it('accepts changes to the code of a Rust file outside its tests', () => {
    expect(check('src/lib.rs', RS, RS.replace('    a + b\n', '    b + a\n'))).toBeUndefined();
    expect(check('src/lib.rs', 'pub fn a() {}\n', 'pub fn a() -> i32 { 1 }\n')).toBeUndefined();
  });

  it('does not count comments: a commented-out skip or exit is not code', () => {
    const { path, before, with: w } = appended.js!;
    expect(
      check(
        path,
        before,
        w("// it.skip('x') and process.exit(0) would be wrong\n  assert.equal(add(0, 0), 0);"),
      ),
    ).toBeUndefined();
    expect(check(path, before, w('/* test.only */ assert.equal(add(0, 0), 0);'))).toBeUndefined();
    expect(check(path, before, `// @ts-nocheck\n${before}`)).toBeUndefined();
    expect(
      check(appended.py!.path, PY, appended.py!.with('# pytest.skip("x")\nassert add(0, 0) == 0')),
    ).toBeUndefined();
  });

  it('reads `skip:` inside a test body as data, not as an option', () => {
    const { path, before, with: w } = appended.js!;
    expect(
      check(
        path,
        before,
        w('const page = list({ skip: 10, take: 5 });\n  assert.equal(page.length, 5);'),
      ),
    ).toBeUndefined();
    expect(
      check(path, before, `${before}\nconst opts = { skip: true };\ntest('x', opts, () => {});\n`),
    ).toMatch(/skip\/todo\/only/);
  });

  it('reads strings as strings: `//` inside one does not hide what follows', () => {
    const { path, before, with: w } = appended.js!;
    expect(check(path, before, w("const url = 'http://x'; process.exit(0);"))).toMatch(
      /process\.exit/,
    );
    expect(check(path, before, w('const re = /"/; const s = "//"; process.exit(0);'))).toMatch(
      /process\.exit/,
    );
  });
});

describe('testIntegrityViolation: existing tests are append-only', () => {
  it('refuses deleting a test file, or emptying it', () => {
    expect(check('test/math.test.js', JS, null)).toBe(
      'deletes the test file test/math.test.js; existing tests are append-only: a human must approve this',
    );
    expect(check('test/math.test.js', JS, '')).toMatch(
      /^changes existing test code in test\/math\.test\.js \(line 1/,
    );
  });

  it('refuses changing or removing an existing line, naming it', () => {
    expect(check('test/math.test.js', JS, JS.replace('add(1, 2), 3', 'add(1, 2), 4'))).toBe(
      'changes existing test code in test/math.test.js (line 6: `assert.equal(add(1, 2), 3);`); existing tests are append-only: a human must approve this',
    );
    expect(
      check(
        'test/math.test.js',
        JS,
        JS.replace('  assert.equal(add(-1', '  // assert.equal(add(-1'),
      ),
    ).toMatch(/changes existing test code in test\/math\.test\.js \(line 10: /);
    const gone = JS.replace(
      "test('adds negatives', () => {\n  assert.equal(add(-1, -2), -3);\n});\n",
      '',
    );
    expect(check('test/math.test.js', JS, gone)).toMatch(
      /changes existing test code .*line 9: `test\('adds negatives'/,
    );
  });

  it('refuses lines added inside an existing test', () => {
    expect(
      check(
        'test/math.test.js',
        JS,
        JS.replace('  assert.equal(add(1, 2), 3);', '  return;\n  assert.equal(add(1, 2), 3);'),
      ),
    ).toBe(
      "adds code inside the existing test 'adds' (line 5) in test/math.test.js (line 6: `return;`); existing tests are append-only: a human must approve this",
    );
    const wrapped = JS.replace(
      '  assert.equal(add(1, 2), 3);',
      '  try {\n  assert.equal(add(1, 2), 3);\n  } catch {}',
    );
    expect(check('test/math.test.js', JS, wrapped)).toMatch(
      /^wraps existing test code in a new block in test\/math\.test\.js \(line 6: `try \{`\)/,
    );
    expect(
      check(
        appended.py!.path,
        PY,
        PY.replace('    assert add(1, 2) == 3\n', '    return\n    assert add(1, 2) == 3\n'),
      ),
    ).toMatch(/inside the existing test 'test_add' \(line 5\) .*`return`/);
    expect(check(appended.py!.path, PY, `${PY}        return\n`)).toMatch(
      /inside the existing test 'test_more'/,
    );
    expect(check('calc_test.go', GO, GO.replace('\tif Add', '\treturn\n\tif Add'))).toMatch(
      /inside the existing test 'TestAdd'/,
    );
  });

  it('refuses wrapping existing tests in a new block', () => {
    const dead = JS.replace("test('adds', () => {", "if (false) {\ntest('adds', () => {").replace(
      '  assert.equal(add(1, 2), 3);\n});\n',
      '  assert.equal(add(1, 2), 3);\n});\n}\n',
    );
    expect(check('test/math.test.js', JS, dead)).toBe(
      'wraps existing test code in a new block in test/math.test.js (line 5: `if (false) {`); existing tests are append-only: a human must approve this',
    );
  });

  it('refuses new lines between existing tests', () => {
    const between = JS.replace("\ntest('adds negatives'", "\nreturn;\n\ntest('adds negatives'");
    expect(check('test/math.test.js', JS, between)).toMatch(
      /^adds code between existing tests in test\/math\.test\.js \(line 9: `return;`\)/,
    );
    const newTest = JEST.replace("\n  it('adds'", "\n  it('new', () => {});\n\n  it('adds'");
    expect(check('test/math.test.js', JEST, newTest)).toMatch(/between existing tests/);
  });

  it('refuses a new statement taking over an existing one (decorators, annotations, `false &&`)', () => {
    expect(
      check('tests/test_calc.py', PY, PY.replace('def test_add', '@noop\ndef test_add')),
    ).toMatch(
      /^turns existing test code into part of a new statement in tests\/test_calc\.py \(line 5: `@noop`\)/,
    );
    expect(
      check(appended.java!.path, JAVA, JAVA.replace('    @Test\n', '    @Disabled\n    @Test\n')),
    ).toMatch(/`@Disabled`/);
    expect(
      check(
        'test/math.test.js',
        JS,
        JS.replace("test('adds', () => {", "const off = false &&\ntest('adds', () => {"),
      ),
    ).toMatch(/turns existing test code into part of a new statement .*`const off = false &&`/);
  });

  it('refuses hooks and load-time statements that would run around the existing tests', () => {
    expect(check('test/math.test.js', JS, `${JS}\nbeforeEach(() => {});\n`)).toMatch(
      /^adds a hook that would run around the existing tests in test\/math\.test\.js \(line 13: `beforeEach/,
    );
    const inGroup = JEST.replace(
      '    expect(add(1, 2)).toBe(3);\n  });\n',
      '    expect(add(1, 2)).toBe(3);\n  });\n  afterEach(() => {});\n',
    );
    expect(check('test/math.test.js', JEST, inGroup)).toMatch(/adds a hook/);
    expect(
      check(
        'test/math.test.js',
        JEST,
        JEST.replace('    reset();\n', '    reset();\n    jest.resetAllMocks();\n'),
      ),
    ).toMatch(/inside the existing beforeEach hook \(line 4\)/);
    expect(
      check('tests/test_calc.py', PY, `${PY}\n    def setup_method(self):\n        pass\n`),
    ).toMatch(/adds a hook/);
    expect(
      check('tests/test_calc.py', PY, `${PY}\npytestmark = pytest.mark.usefixtures('fake')\n`),
    ).toMatch(/adds a hook/);
    expect(
      check(
        appended.java!.path,
        JAVA,
        appended.javaattr!.with('@BeforeEach').replace('@BeforeEach\n    @Test', '@BeforeEach'),
      ),
    ).toMatch(/adds a hook/);
    expect(check('calc_test.go', GO, `${GO}\nfunc TestMain(m *testing.M) {}\n`)).toMatch(
      /adds a hook .*TestMain/,
    );
    expect(check('test/math.test.js', JS, `${JS}\nadd.cache = new Map();\n`)).toMatch(
      /adds a statement that runs when the file loads/,
    );
    expect(check('tests/test_calc.py', PY, `${PY}\npytestmark = pytest.mark.skip\n`)).toMatch(
      /pytest\.mark\.skip\/skipif\/xfail \(skipped or focused tests\)/,
    );
  });

  it('refuses module-wide mocks and patches at load time, even in a new describe', () => {
    expect(
      check(
        'test/math.test.js',
        JEST,
        JEST.replace(
          "const { add } = require('../src/math');\n",
          "const { add } = require('../src/math');\njest.mock('../src/math');\n",
        ),
      ),
    ).toMatch(/adds statement code to the import header/);
    expect(
      check(
        'test/math.test.js',
        JEST,
        `${JEST}\ndescribe('more', () => {\n  jest.spyOn(math, 'add').mockReturnValue(3);\n  it('x', () => {});\n});\n`,
      ),
    ).toMatch(
      /adds jest\.mock\/vi\.mock\/spyOn \(module-wide mock\) outside any test or hook .*line 14/,
    );
    expect(
      check(
        'test/math.test.js',
        JEST,
        `${JEST}\ndescribe('more', () => {\n  math.add = () => 3;\n  it('x', () => {});\n});\n`,
      ),
    ).toMatch(/patches another module when the file loads/);
  });

  it('refuses rebinding names the existing tests use', () => {
    const fake = JEST.replace(
      "const { add } = require('../src/math');\n",
      "const { add } = require('../src/math');\nconst { expect } = require('./fake-expect');\n",
    );
    expect(check('test/math.test.js', JEST, fake)).toMatch(
      /^rebinds `expect`, which the existing tests call/,
    );
    const real = JEST.replace(
      "const { add } = require('../src/math');\n",
      "const { add } = require('../src/math');\nconst { expect } = require('@jest/globals');\n",
    );
    expect(check('test/math.test.js', JEST, real)).toBeUndefined();
    expect(check('tests/test_calc.py', PY, `${PY}\n\ndef test_add():\n    pass\n`)).toMatch(
      /^redefines `test_add` \(line 5\) in tests\/test_calc\.py \(line 14/,
    );
  });

  it('protects #[test] functions and #[cfg(test)] modules in any Rust file', () => {
    expect(check('src/lib.rs', RS, RS.replace('add(1, 2), 3', 'add(1, 2), add(1, 2)'))).toMatch(
      /^changes existing test code in src\/lib\.rs \(line 11: `assert_eq!\(add\(1, 2\), 3\);`\)/,
    );
    expect(check('src/lib.rs', RS, RS.slice(0, RS.indexOf('#[cfg(test)]')))).toMatch(
      /changes existing test code .*`#\[cfg\(test\)\]`/,
    );
    expect(check('src/lib.rs', RS, null)).toMatch(/^deletes src\/lib\.rs, which holds tests/);
    expect(
      check(
        'src/lib.rs',
        RS,
        RS.replace('        assert_eq!', '        return;\n        assert_eq!'),
      ),
    ).toMatch(/inside the existing test 'adds'/);
    const nested = `pub mod inner {\n    pub fn f() -> i32 { 1 }\n\n    #[cfg(test)]\n    mod tests {\n        #[test]\n        fn f_is_one() {\n            assert_eq!(super::f(), 1);\n        }\n    }\n}\n`;
    expect(
      check('src/lib.rs', nested, nested.replace('super::f(), 1', 'super::f(), super::f()')),
    ).toMatch(/changes existing test code in src\/lib\.rs \(line 8/);
    expect(check('src/lib.rs', nested, nested.replace('{ 1 }', '{ 2 - 1 }'))).toBeUndefined();
    expect(check('src/lib.rs', nested, `#[cfg(any())]\n${nested}`)).toMatch(
      /`#\[cfg\(any\(\)\)\]`/,
    );
    const loose = '#[test]\nfn a() {\n    assert!(ok());\n}\n';
    expect(check('src/util.rs', loose, loose.replace('assert!(ok());', 'assert!(true);'))).toMatch(
      /changes existing test code/,
    );
  });

  it('keeps snapshot and fixture files append-only too', () => {
    const snap = 'exports[`a 1`] = `"x"`;\n';
    expect(check('src/__snapshots__/a.test.js.snap', snap, 'exports[`a 1`] = `"y"`;\n')).toMatch(
      /changes existing test code/,
    );
    expect(
      check('src/__snapshots__/a.test.js.snap', snap, `${snap}\nexports[\`b 1\`] = \`"z"\`;\n`),
    ).toBeUndefined();
    expect(check('testdata/logo.png', 'PNG\u0000a', 'PNG\u0000b')).toMatch(
      /^changes the test file testdata\/logo\.png/,
    );
  });

  it('returns the first violation, in the order of the changes', () => {
    const changes: FileChange[] = [
      { path: 'src/math.js', before: 'a\n', after: 'b\n' },
      { path: 'test/b.test.js', before: JS, after: JS.replace('3);', '4);') },
      { path: 'test/a.test.js', before: JS, after: null },
    ];
    expect(testIntegrityViolation(changes)).toMatch(
      /^changes existing test code in test\/b\.test\.js/,
    );
    const twice = appended.js!.with('process.exit(0);\n  it.skip("x");');
    expect(check('test/math.test.js', JS, twice)).toMatch(/process\.exit .*line 14/);
  });
});

describe('testIntegrityViolation: added test code must not neuter tests', () => {
  // Each string is test code a change would add: input the rule must refuse,
  // never run. The assertion is that the rule names what it found.
  const cases: Array<[keyof typeof appended, string, RegExp]> = [
    ['js', 'process.exit(0);', /process\.exit \(early termination\)/],
    ['js', 'process.exitCode = 0;', /process\.exitCode \(early termination\)/],
    ['js', "process.on('exit', () => { process.exitCode = 0; });", /early termination/],
    ['js', 'process.kill(process.pid);', /process\.kill\(process\.pid\)/],
    ['js', "test.skip('x', () => {});", /\.skip\/\.only\/\.todo \(skipped or focused tests\)/],
    ['js', "it.only('x', () => {});", /skipped or focused tests/],
    ['js', "describe.only('x', () => {});", /skipped or focused tests/],
    ['js', "test.todo('x');", /skipped or focused tests/],
    ['js', "test('x', { skip: true }, () => {});", /\{ skip\/todo\/only \} option/],
    ['js', "test('x', { todo: 'later' }, () => {});", /\{ skip\/todo\/only \} option/],
    [
      'js',
      "test('x', {\n    skip: process.env.CI,\n  }, () => {});",
      /\{ skip\/todo\/only \} option/,
    ],
    ['js', "globalThis['process']['exit'](0);", /process\['exit'\]/],
    ['js', "eval(atob('cHJvY2Vzcy5leGl0KDAp'));", /eval\/new Function \(hidden code\)/],
    ['py', 'getattr(sys, "exit")(0)', /hidden code/],
    ['js', "xit('x', () => {});", /xit\/xdescribe\/fit/],
    ['js', "xdescribe('x', () => {});", /xit\/xdescribe\/fit/],
    ['js', "fit('x', () => {});", /xit\/xdescribe\/fit/],
    ['js', 't.skip();', /t\.skip\(\)/],
    ['js', 'expect(true).toBe(true);', /tautological assertion/],
    ['js', 'expect(result).toBe(result);', /expect\(x\)\.toBe\(x\)/],
    ['js', "expect('a').toEqual('a');", /tautological assertion/],
    ['js', 'expect(1).toBeTruthy();', /expect\(<constant>\)\.toBeTruthy\(\)/],
    ['js', 'assert(true);', /assert\(true\) \(tautological assertion\)/],
    ['js', 'assert.ok(true);', /assert\(true\)/],
    ['js', 'assert.ok(1);', /assert\(true\)/],
    ['js', 'assert.equal(1, 1);', /assert\.equal\(1, 1\)/],
    ['js', "assert.strictEqual('a', 'a');", /assert\.equal\(1, 1\)/],
    ['js', 'assert.deepEqual(x, x);', /assert\.equal\(1, 1\)/],
    ['js', 'if (false) {', /if \(false\) \(dead guard\)/],
    ['js', 'if (0) assert.equal(add(1, 1), 3);', /dead guard/],
    ['js', 'try { assert.equal(add(1, 1), 3); } catch {}', /empty catch \{\} \(swallowed errors\)/],
    [
      'js',
      'try {\n    assert.equal(add(1, 1), 3);\n  } catch (e) {\n    // fine\n  }',
      /empty catch \{\}/,
    ],
    ['js', 'return p.catch(() => {});', /\.catch\(\(\) => \{\}\)/],
    ['js', 'assert.equal = () => {};', /overridden test framework/],
    ['py', 'sys.exit(0)', /sys\.exit \(early termination\)/],
    ['py', 'os._exit(0)', /os\._exit/],
    ['py', 'pytest.exit("done")', /pytest\.exit/],
    ['py', 'pytest.skip("later")', /pytest\.skip\(\)/],
    ['py', 'assert True', /assert True \(tautological assertion\)/],
    ['py', 'assert 1 == 1', /assert True/],
    ['py', 'self.assertEqual(1, 1)', /assertEquals\(1, 1\)/],
    ['py', 'if False:\n    assert add(1, 1) == 3', /if False: \(dead guard\)/],
    [
      'py',
      'try:\n    assert add(1, 1) == 3\nexcept:\n    pass',
      /except: pass \(swallowed errors\)/,
    ],
    ['py', 'try:\n    assert add(1, 1) == 3\nexcept Exception:\n    pass', /except: pass/],
    ['pydeco', '@pytest.mark.skip', /@pytest\.mark\.skip\/skipif\/xfail/],
    ['pydeco', '@pytest.mark.skipif(True, reason="x")', /@pytest\.mark\.skip/],
    ['pydeco', '@pytest.mark.xfail', /@pytest\.mark\.skip\/skipif\/xfail/],
    ['pydeco', '@unittest.skip("x")', /@unittest\.skip/],
    ['go', 'os.Exit(0)', /os\.Exit \(early termination\)/],
    ['go', 'runtime.Goexit()', /runtime\.Goexit/],
    ['go', 't.Skip("later")', /t\.Skip \(skipped or focused tests\)/],
    ['go', 't.SkipNow()', /t\.Skip/],
    ['go', 'if false {\n\t\tt.Fatal("x")\n\t}', /if false \{ \(dead guard\)/],
    ['rs', 'std::process::exit(0);', /std::process::exit/],
    ['rs', 'assert!(true);', /assert!\(true\)/],
    ['rs', 'assert_eq!(1, 1);', /assert!\(true\)/],
    ['rs', 'if false { assert_eq!(add(1, 1), 3); }', /dead guard/],
    ['rsattr', '#[ignore]', /#\[ignore\] \(skipped or focused tests\)/],
    ['java', 'System.exit(0);', /System\.exit/],
    ['java', 'assertEquals(1, 1);', /assertEquals\(1, 1\)/],
    ['java', 'assertTrue(true);', /tautological assertion/],
    ['java', 'if (false) { assertEquals(4, Calc.add(2, 2)); }', /dead guard/],
    [
      'java',
      'try { assertEquals(5, Calc.add(2, 2)); } catch (AssertionError e) {}',
      /swallowed errors/,
    ],
    ['javaattr', '@Disabled', /@Disabled\/@Ignore/],
    ['javaattr', '@Ignore', /@Disabled\/@Ignore/],
  ];

  it.each(cases)('%s: refuses %s', (lang, code, why) => {
    const { path, before, with: w } = appended[lang]!;
    const message = check(path, before, w(code));
    expect(message).toMatch(why);
    expect(message).toMatch(
      new RegExp(`^adds .* to ${path.replace(/[./]/g, '\\$&')} \\(line \\d+: `),
    );
    expect(message).toMatch(/a test must be able to fail: a human must approve this$/);
  });

  it('refuses the same constructs in a new test file', () => {
    expect(check('test/b.test.js', null, 'process.exit(0);\n')).toBe(
      'adds process.exit (early termination) to test/b.test.js (line 1: `process.exit(0);`); a test must be able to fail: a human must approve this',
    );
    const file = "import { add } from '../src/math.js';\ntest.skip('x', () => { add(1, 1); });\n";
    expect(check('test/b.test.js', null, file)).toMatch(/skipped or focused tests/);
  });

  it('refuses a Go build constraint that would drop a test file', () => {
    expect(check('calc_test.go', GO, `//go:build never\n\n${GO}`)).toMatch(
      /^adds \/\/go:build \(build constraint\) to calc_test\.go \(line 1/,
    );
  });
});

describe('testIntegrityViolation: a new test file must test the code', () => {
  const body = "\ntest('x', () => {\n  assert.equal(add(1, 1), 2);\n});\n";
  it('needs an import of the code under test', () => {
    expect(check('test/b.test.js', null, `import { add } from './helpers.js';${body}`)).toBe(
      "adds test/b.test.js, a test file that imports none of the code under test (no relative import outside the test helpers); a new test must exercise the project's code: a human must approve this",
    );
    expect(
      check(
        'test/b.test.js',
        null,
        `import type { Add } from '../src/math.js';\nconst add: Add = (a, b) => a + b;${body}`,
      ),
    ).toMatch(/imports none of the code under test/);
    expect(
      check('src/math.test.ts', null, `import { add } from './math.ts';${body}`),
    ).toBeUndefined();
    expect(check('test/b.test.js', null, `const { add } = require('..');${body}`)).toBeUndefined();
  });

  it("counts an import of the package's own name", () => {
    const file = `import { add } from 'calc-lib';${body}`;
    expect(check('test/b.test.js', null, file)).toMatch(/imports none of the code under test/);
    const pkg = {
      path: 'package.json',
      before: '{"name":"calc-lib"}',
      after: '{"name":"calc-lib","x":1}',
    };
    expect(
      testIntegrityViolation([pkg, { path: 'test/b.test.js', before: null, after: file }]),
    ).toBeUndefined();
    expect(
      testIntegrityViolation([{ path: 'test/b.test.js', before: null, after: file }], {
        packageName: 'calc-lib',
      }),
    ).toBeUndefined();
    expect(
      testIntegrityViolation(
        [{ path: 'test/b.test.js', before: null, after: `import { x } from 'other';${body}` }],
        {
          packageName: 'calc-lib',
        },
      ),
    ).toMatch(/or of the package 'calc-lib'/);
  });

  it('needs test declarations', () => {
    expect(
      check(
        'test/b.test.js',
        null,
        "import { add } from '../src/math.js';\nconsole.log(add(1, 2));\n",
      ),
    ).toBe(
      "adds test/b.test.js, a test file that declares no tests; a new test file must test the project's code: a human must approve this",
    );
    expect(check('tests/__init__.py', null, '')).toBeUndefined();
  });

  it('reads Python imports, and accepts Go and Rust tests as they are', () => {
    const py = 'def test_add():\n    assert add(1, 2) == 3\n';
    expect(check('tests/test_new.py', null, `from calc import add\n\n\n${py}`)).toBeUndefined();
    expect(check('tests/test_new.py', null, `from .helpers import add\n\n\n${py}`)).toBeUndefined();
    expect(check('tests/test_new.py', null, `import unittest\nimport os\n\n\n${py}`)).toMatch(
      /imports none of the code under test/,
    );
    expect(
      check(
        'new_test.go',
        null,
        'package calc\n\nimport "testing"\n\nfunc TestSub(t *testing.T) {\n\tif Sub(2, 1) != 1 {\n\t\tt.Fatal("x")\n\t}\n}\n',
      ),
    ).toBeUndefined();
    expect(
      check('tests/it.rs', null, '#[test]\nfn sums() {\n    assert_eq!(calc::add(1, 1), 2);\n}\n'),
    ).toBeUndefined();
  });

  it('refuses top-level hooks in new JS files and package-wide hooks in Go', () => {
    expect(
      check(
        'test/b.test.js',
        null,
        `import { add } from '../src/math.js';\nbeforeEach(() => {});${body}`,
      ),
    ).toMatch(/top-level hook/);
    expect(
      check(
        'b_test.go',
        null,
        'package calc\n\nimport "testing"\n\nfunc TestMain(m *testing.M) {}\n',
      ),
    ).toMatch(/adds TestMain/);
  });
});

describe('testIntegrityViolation: coverage exclusions', () => {
  it('refuses a new coverage exclusion in a source file, keeps existing ones', () => {
    expect(
      check(
        'src/math.js',
        'export const a = 1;\n',
        '/* istanbul ignore next */\nexport const a = 1;\n',
      ),
    ).toBe(
      "adds a coverage exclusion (istanbul/c8/v8 ignore) to src/math.js (line 1: `/* istanbul ignore next */`); hiding code from coverage needs a human's approval",
    );
    const kept = '/* c8 ignore next */\nexport const a = 1;\n';
    expect(check('src/math.js', kept, `${kept}export const b = 2;\n`)).toBeUndefined();
    expect(check('calc.py', 'x = 1\n', 'x = 1  # pragma: no cover\n')).toMatch(/pragma: no cover/);
  });
});
