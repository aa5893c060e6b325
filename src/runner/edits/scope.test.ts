import { describe, expect, it } from '@jest/globals';
import type { ImprovementType } from '../../crds/index.ts';
import { scopeViolation } from './scope.ts';

const change = (path: string, before: string | null, after: string | null) => ({
  path,
  before,
  after,
});
const check = (type: ImprovementType, path: string, before: string | null, after: string | null) =>
  scopeViolation(type, [change(path, before, after)]);

const ADD = 'export function add(a, b) {\n  return a + b;\n}\n';

describe('scopeViolation: documentation', () => {
  it('accepts a JSDoc comment added to src/math.js', () => {
    const after =
      '/**\n * Adds two numbers.\n * @param {number} a\n * @returns {number}\n */\n' + ADD;
    expect(check('documentation', 'src/math.js', ADD, after)).toBeUndefined();
  });

  it('refuses `return a + b` becoming `return a - b`, naming the file and line', () => {
    expect(check('documentation', 'src/math.js', ADD, ADD.replace('a + b', 'a - b'))).toBe(
      'a documentation improvement changes code in src/math.js (tokens differ at line 2); documentation may change docs files and comments only',
    );
  });

  it('refuses a changed string literal, template literal or regex, even around comment-like text', () => {
    const cases: Array<[string, string]> = [
      ['const s = "hello"; // hi\n', 'const s = "hullo"; // hi\n'],
      ['const s = `a ${b} c`;\n', 'const s = `a ${b} d`;\n'],
      ['const u = "http://x/a";\n', 'const u = "http://x/b";\n'],
      ['const r = /a\\/\\/b/g;\n', 'const r = /a\\/\\/c/g;\n'],
    ];
    for (const [before, after] of cases)
      expect(check('documentation', 'src/a.js', before, after)).toMatch(
        /changes code in src\/a\.js/,
      );
  });

  it('accepts comment-only edits anywhere, but not a comment that turns into a line break', () => {
    const before = 'function f() {\n  return x;\n}\n';
    expect(
      check(
        'documentation',
        'src/a.ts',
        before,
        'function f() {\n  return /* why */ x; // note\n}\n',
      ),
    ).toBeUndefined();
    // A multi-line comment after `return` is a line terminator: ASI returns undefined.
    expect(
      check('documentation', 'src/a.ts', before, 'function f() {\n  return /* why\n */ x;\n}\n'),
    ).toMatch(/changes code in src\/a\.ts/);
  });

  it('refuses tool directives in comments: lint, coverage, type-check pragmas', () => {
    for (const directive of [
      '// eslint-disable-next-line',
      '/* istanbul ignore next */',
      '// @ts-ignore',
    ])
      expect(check('documentation', 'src/a.ts', 'f();\n', `${directive}\nf();\n`)).toMatch(
        /changes a tool directive comment in src\/a\.ts \(line 1\)/,
      );
  });

  it('treats JSX text as code and JSX comments as comments', () => {
    const before = 'const e = <p>Hello</p>;\n';
    expect(
      check('documentation', 'src/a.jsx', before, 'const e = <p>{/* greet */}Hello</p>;\n'),
    ).toBeUndefined();
    expect(check('documentation', 'src/a.jsx', before, 'const e = <p>Goodbye</p>;\n')).toMatch(
      /changes code/,
    );
    // `//` in JSX text is text, not a comment.
    expect(
      check(
        'documentation',
        'src/a.jsx',
        'const e = <a>http://x.y/a</a>;\n',
        'const e = <a>http://x.y/b</a>;\n',
      ),
    ).toMatch(/changes code/);
  });

  it('refuses a file that does not parse: comments cannot be told from code', () => {
    expect(check('documentation', 'src/a.ts', 'const e = (x;\n', 'const e = (x; // c\n')).toMatch(
      /does not parse as TypeScript before the change/,
    );
  });

  it('accepts a changed `# comment` in Python but refuses `x = 1` becoming `x = 2`', () => {
    const before = 'x = 1  # the answer\n';
    expect(check('documentation', 'a.py', before, 'x = 1  # the first answer\n')).toBeUndefined();
    expect(check('documentation', 'a.py', before, 'x = 2  # the answer\n')).toBe(
      'a documentation improvement changes code in a.py (tokens differ at line 1); documentation may change docs files and comments only',
    );
  });

  it('reads Python strings, docstrings and indentation as code', () => {
    expect(check('documentation', 'a.py', 's = "a # b"\n', 's = "a # c"\n')).toMatch(
      /changes code/,
    );
    expect(
      check('documentation', 'a.py', 'def f():\n    """Doc."""\n', 'def f():\n    """More."""\n'),
    ).toMatch(/changes code/);
    expect(
      check('documentation', 'a.py', 'if x:\n    a()\nb()\n', 'if x:\n    a()\n    b()\n'),
    ).toMatch(/line 3/);
    expect(
      check(
        'documentation',
        'a.py',
        'def f():\n    return 1\n',
        'def f():\n    # one\n    return 1\n',
      ),
    ).toBeUndefined();
  });

  it('knows shell, YAML, Go and Rust comments from strings', () => {
    expect(check('documentation', 'a.sh', 'echo a # x\n', 'echo a # y\n')).toBeUndefined();
    expect(check('documentation', 'a.sh', 'echo a#x\n', 'echo a#y\n')).toMatch(/changes code/);
    expect(
      check('documentation', 'a.sh', 'cat <<EOF\n# data\nEOF\n', 'cat <<EOF\n# changed\nEOF\n'),
    ).toMatch(/line 2/);
    const yaml = 'a: b # note\nrun: |\n  make # all\n';
    expect(check('documentation', 'a.yaml', yaml, yaml.replace('note', 'a note'))).toBeUndefined();
    expect(check('documentation', 'a.yaml', yaml, yaml.replace('all', 'clean'))).toMatch(/line 3/);
    expect(
      check('documentation', 'a.go', 'package a\n// F does\n', 'package a\n// F does things\n'),
    ).toBeUndefined();
    expect(check('documentation', 'a.go', 'package a\n', '//go:build linux\npackage a\n')).toMatch(
      /tool directive/,
    );
    // cgo: the comment before `import "C"` is C source.
    const cgo = 'package a\n\n// #include <x.h>\nimport "C"\n';
    expect(check('documentation', 'a.go', cgo, cgo.replace('x.h', 'y.h'))).toMatch(/line 3/);
    expect(
      check('documentation', 'a.rs', 'let s = r#"a"// b"#;\n', 'let s = r#"a"// c"#;\n'),
    ).toMatch(/changes code/);
  });

  it('changes docs files freely, but creates no code and touches no dependency file', () => {
    expect(check('documentation', 'README.md', '# a\n', '# b\n')).toBeUndefined();
    expect(check('documentation', 'docs/guide.md', null, '# new\n')).toBeUndefined();
    expect(check('documentation', 'src/new.js', null, '// hi\n')).toMatch(
      /creates src\/new\.js, which is not a docs file/,
    );
    expect(check('documentation', 'src/old.js', '// hi\n', null)).toMatch(/deletes src\/old\.js/);
    expect(check('documentation', 'config.json', '{}\n', '{ }\n')).toMatch(
      /config\.json, which is not a docs file/,
    );
    // requirements.txt looks like prose but is a dependency file.
    expect(check('documentation', 'requirements.txt', 'a\n', 'b\n')).toMatch(/a dependency file/);
  });
});

describe('scopeViolation: style', () => {
  it('accepts reindenting and respacing, refuses renaming a variable', () => {
    const before = 'function f(a,b){\nreturn a+b\n}\n';
    expect(
      check('style', 'src/a.js', before, 'function f(a, b) {\n  return a + b;\n}\n'),
    ).toBeUndefined();
    expect(check('style', 'src/a.js', before, 'function f(a,c){\nreturn a+c\n}\n')).toBe(
      'a style improvement changes code in src/a.js (tokens differ at line 1); style may change formatting only (whitespace, line breaks, optional commas and semicolons, quote style)',
    );
  });

  it("accepts 'a' becoming \"a\", refuses 'a' becoming 'b'", () => {
    const before = "const s = 'a';\n";
    expect(check('style', 'src/a.ts', before, 'const s = "a";\n')).toBeUndefined();
    expect(check('style', 'src/a.ts', before, "const s = 'b';\n")).toMatch(/changes code/);
    // A directive's spelling is what makes it a directive.
    expect(check('style', 'src/a.js', "'use strict';\n", '"use\\x20strict";\n')).toMatch(
      /changes code/,
    );
  });

  it('accepts trailing commas and optional semicolons, unless the tree changes', () => {
    expect(
      check(
        'style',
        'src/a.ts',
        'f(a, b,);\nconst o = {a: 1,};\n',
        'f(a, b)\nconst o = { a: 1 }\n',
      ),
    ).toBeUndefined();
    expect(check('style', 'src/a.js', 'const x = [1,,];\n', 'const x = [1,];\n')).toMatch(
      /changes code/,
    );
    // Without the semicolon the next line's parenthesis makes a call.
    expect(check('style', 'src/a.js', 'let a = b;\n(c)\n', 'let a = b\n(c)\n')).toMatch(
      /changes code/,
    );
  });

  it('keeps comment text, whitespace aside', () => {
    expect(
      check('style', 'src/a.js', '// a  comment\nx()\n', '//   a comment\nx()\n'),
    ).toBeUndefined();
    expect(check('style', 'src/a.js', '// a comment\nx()\n', '// b comment\nx()\n')).toMatch(
      /changes code/,
    );
  });

  it('keeps Python block structure, string contents and shell word splitting', () => {
    expect(
      check('style', 'a.py', 'def f(a,b):\n  return a+b\n', 'def f(a, b):\n    return a + b\n'),
    ).toBeUndefined();
    expect(check('style', 'a.py', 'x = f(a,\n      b)\n', 'x = f(\n    a, b\n)\n')).toBeUndefined();
    expect(check('style', 'a.py', 'if x:\n  a()\nb()\n', 'if x:\n    a()\n    b()\n')).toMatch(
      /line 3/,
    );
    expect(check('style', 'a.py', 's = """a  \nb"""\n', 's = """a\nb"""\n')).toMatch(
      /changes code/,
    );
    expect(check('style', 'a.sh', 'a=1\n', 'a = 1\n')).toMatch(/changes code/);
    expect(check('style', 'a.go', 'return\nx\n', 'return x\n')).toMatch(/changes code/);
  });

  it('in languages it cannot read, allows only trailing whitespace and final newlines', () => {
    expect(check('style', 'a.json', '{"a": 1}  \n', '{"a": 1}')).toBeUndefined();
    expect(check('style', 'a.json', '{"a": 1}', '{"a": 2}')).toMatch(/beyond trailing whitespace/);
  });

  it('creates and deletes nothing and touches no dependency file', () => {
    expect(check('style', 'src/new.js', null, 'x\n')).toMatch(/creates src\/new\.js/);
    expect(check('style', 'src/old.js', 'x\n', null)).toMatch(/deletes src\/old\.js/);
    expect(check('style', 'package-lock.json', '{}', '{}\n')).toMatch(/dependency file/);
  });
});

describe('scopeViolation: tests', () => {
  it('refuses a change to src/, accepts a new test file', () => {
    expect(check('tests', 'src/a.js', 'a\n', 'b\n')).toBe(
      'a tests improvement changes src/a.js, which is not a test file; tests may change and create test files only',
    );
    expect(check('tests', 'test/new.test.js', null, 'test("x", () => {});\n')).toBeUndefined();
    expect(check('tests', 'test/a.test.js', 'a\n', 'b\n')).toBeUndefined();
  });

  it('refuses deleting a test file', () => {
    expect(check('tests', 'test/old.test.js', 'x\n', null)).toMatch(/deletes test\/old\.test\.js/);
  });
});

describe('scopeViolation: dependencies and the other types', () => {
  it('refuses a refactoring that touches package-lock.json; a dependencies improvement may', () => {
    expect(check('refactoring', 'package-lock.json', '{}\n', '{ }\n')).toBe(
      'a refactoring improvement changes package-lock.json, a dependency file; only a dependencies or security improvement may touch dependency manifests and lockfiles',
    );
    expect(check('dependencies', 'package-lock.json', '{}\n', '{ }\n')).toBeUndefined();
    expect(check('dependencies', 'src/a.js', 'a\n', null)).toBeUndefined();
  });

  it('leaves code changes of bugfix, feature, performance and security to the other checks', () => {
    for (const type of ['bugfix', 'feature', 'performance', 'security'] as const)
      expect(check(type, 'src/a.js', 'a\n', 'b\n')).toBeUndefined();
    for (const type of ['bugfix', 'feature', 'performance'] as const)
      expect(check(type, 'go.sum', 'a\n', 'b\n')).toMatch(/go\.sum, a dependency file/);
  });

  it('lets a security improvement upgrade a dependency (a fix is often an upgrade)', () => {
    expect(check('security', 'go.sum', 'a\n', 'b\n')).toBeUndefined();
    expect(check('security', 'web/package-lock.json', '{}\n', '{ }\n')).toBeUndefined();
  });

  it('reports the first violating file and skips unchanged ones', () => {
    expect(
      scopeViolation('documentation', [
        change('src/a.js', 'x;\n', 'x;\n'),
        change('README.md', 'a\n', 'b\n'),
        change('src/b.js', 'y;\n', 'z;\n'),
        change('src/c.js', 'y;\n', 'z;\n'),
      ]),
    ).toMatch(/src\/b\.js/);
  });
});
