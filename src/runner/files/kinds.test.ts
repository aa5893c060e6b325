import { describe, expect, it } from '@jest/globals';
import { codeLanguage, isTestFile, mayHoldTests } from './kinds.ts';
import { lex } from './lex.ts';

describe('isTestFile', () => {
  it.each([
    'test/math.js',
    'tests/helpers/db.py',
    'src/__tests__/x.js',
    'spec/models/user_spec.rb',
    'src/math.test.ts',
    'src/math.spec.tsx',
    'src/math-test.mjs',
    'src/math_test.cjs',
    'test.js',
    'lib/test-parser.js',
    'tests.py',
    'app/tests.py',
    'test_math.py',
    'pkg/math_test.py',
    'conftest.py',
    'pkg/math_test.go',
    'lib/math_test.rb',
    'test/test_math.rb',
    'src/test/java/calc/CalcTest.java',
    'app/src/CalcTests.kt',
    'Calc.Tests/CalcTests.cs',
    'it/CalcIT.java',
    'src/CalcSpec.scala',
    'tests/CalcTest.php',
    'math_test.cc',
    'math_unittest.cpp',
    'src/__snapshots__/a.test.js.snap',
    'pkg/testdata/golden.txt',
    'Tests/Helpers.swift',
  ])('%s is a test file', (p) => expect(isTestFile(p)).toBe(true));

  it.each([
    'src/math.ts',
    'src/testing-utils.ts',
    'src/runner/testing/run-tests.ts',
    'src/contest.py',
    'src/Latest.java',
    'src/Contest.kt',
    'src/attestation.go',
    'src/lib.rs',
    'docs/testing.md',
  ])('%s is not', (p) => expect(isTestFile(p)).toBe(false));

  it('treats every Rust source as a possible holder of tests', () => {
    expect(mayHoldTests('src/lib.rs')).toBe(true);
    expect(mayHoldTests('src/lib.go')).toBe(false);
  });
});

describe('codeLanguage', () => {
  it('maps extensions to the families the integrity rules read', () => {
    expect(
      ['a.mts', 'a.py', 'a.go', 'a.rs', 'A.java', 'a.cc', 'a.rb', 'a.json'].map(codeLanguage),
    ).toEqual(['js', 'python', 'go', 'rust', 'jvm', 'c', 'script', undefined]);
  });
});

describe('lex', () => {
  it('blanks comments, keeps strings in code and blanks them in the skeleton', () => {
    const { code, skeleton } = lex("a(); // b()\nconst s = 'x // y'; /* c */ d();\n", 'js');
    expect(code[0]!.trimEnd()).toBe('a();');
    expect(code[1]).toBe("const s = 'x // y';         d();");
    expect(skeleton[1]).toBe("const s = '      ';         d();");
  });

  it('reads regexes, templates, Python strings and Rust lifetimes', () => {
    expect(lex('x = /"/; y(); // z', 'js').code[0]!.trimEnd()).toBe('x = /"/; y();');
    expect(lex('a = b / c; // d', 'js').code[0]!.trimEnd()).toBe('a = b / c;');
    const t = lex('f(`a ${g({ k: 1 })} // b`); // c', 'js');
    expect(t.code[0]!.trimEnd()).toBe('f(`a ${g({ k: 1 })} // b`);');
    expect(t.skeleton[0]!.trimEnd()).toBe('f(`  ${g({ k: 1 })}     `);');
    const py = lex('s = """a\n# not a comment\n"""  # comment\n', 'python');
    expect(py.code[1]).toBe('# not a comment');
    expect(py.code[2]!.trimEnd()).toBe('"""');
    expect(py.carried[1]).toBe(2);
    const rs = lex("fn f<'a>(x: &'a str) -> char { '{' } // }", 'rust');
    expect(rs.skeleton[0]!.trimEnd()).toBe("fn f<'a>(x: &'a str) -> char { ' ' }");
  });
});
