import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '../testing/run-tests.ts';
import { coverageOf } from './coverage.ts';
import { lineCoverage, listSources, markRanges, readV8Coverage } from './v8-coverage.ts';

const tmp: string[] = [];
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tmp.push(d);
  return d;
};

const write = (dir: string, files: Record<string, string>) => {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
};

// 8 code lines: `add` 3, `mul` 4, the export 1; the comment and blank line do not count.
const MATH = `// arithmetic
function add(a, b) {
  return a + b;
}

function mul(a, b) {
  const r = a * b;
  return r;
}

module.exports = { add, mul, dep: require('dep') };
`;

/** A small project; `tests` are extra test files. */
function project(tests: Record<string, string>): string {
  const dir = fresh('oc-v8-project-');
  write(dir, {
    'package.json': '{ "name": "p", "private": true }\n',
    'src/math.js': MATH,
    'src/unused.js': 'exports.never = function () {\n  return 1;\n};\n',
    'node_modules/dep/index.js': 'module.exports = function dep() {\n  return 2;\n};\n',
    'node_modules/dep/package.json': '{ "name": "dep", "main": "index.js" }\n',
    'test/add.test.js': `const test = require('node:test');
const assert = require('node:assert');
const { add } = require('../src/math.js');
test('add', () => assert.strictEqual(add(1, 2), 3));
`,
    ...tests,
  });
  return dir;
}

/** Runs `node --test` in `dir` with NODE_V8_COVERAGE, as the bench does; returns the V8 dir. */
function nodeTest(dir: string): string {
  const v8 = join(fresh('oc-v8-out-'), 'v8');
  const r = spawnSync(process.execPath, ['--test'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', NODE_V8_COVERAGE: v8 },
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  return v8;
}

const pathsOf = (files: { path: string }[], dir: string) =>
  files.map((f) => f.path.slice(dir.length + 1)).sort();

describe('V8 coverage of a real node --test run', () => {
  it('leaves a function never called uncovered, and counts a never-loaded file as uncovered', async () => {
    const dir = project({});
    const r = await readV8Coverage(nodeTest(dir), dir);
    expect(r?.source).toBe('v8');
    const math = r?.files.find((f) => f.path === join(dir, 'src/math.js'));
    // add (3 lines) and the export ran; the 4 lines of mul did not.
    expect(math?.percent).toBe(50);
    expect(r?.files.find((f) => f.path === join(dir, 'src/unused.js'))?.percent).toBe(0);
    // 4 of math's 8 lines, none of unused's 3.
    expect(r?.percent).toBe(36.36);
    // Neither node_modules nor test files count; paths are absolute under the tree.
    expect(pathsOf(r!.files, dir)).toEqual(['src/math.js', 'src/unused.js']);
  });

  it('rises when a test calls the function, and again when a test loads the unused file', async () => {
    const mulTest = `const test = require('node:test');
const assert = require('node:assert');
const { mul } = require('../src/math.js');
test('mul', () => assert.strictEqual(mul(2, 3), 6));
`;
    const before = await readV8Coverage(nodeTest(project({})), '/nonexistent');
    expect(before).toBeUndefined();

    const base = project({});
    const b = await readV8Coverage(nodeTest(base), base);
    const withMul = project({ 'test/mul.test.js': mulTest });
    const m = await readV8Coverage(nodeTest(withMul), withMul);
    expect(m?.files.find((f) => f.path === join(withMul, 'src/math.js'))?.percent).toBe(100);
    expect(m!.percent).toBeGreaterThan(b!.percent);
    expect(m?.percent).toBe(72.73);

    const withUnused = project({
      'test/mul.test.js': mulTest,
      'test/unused.test.js': `require('node:test')('loads', () => require('../src/unused.js'));\n`,
    });
    const u = await readV8Coverage(nodeTest(withUnused), withUnused);
    // Loading the file runs its top level (2 of its 3 lines): coverage rises, honestly not to 100.
    expect(u?.files.find((f) => f.path === join(withUnused, 'src/unused.js'))?.percent).toBe(66.67);
    expect(u!.percent).toBeGreaterThan(m!.percent);
  });

  it('measures ES modules and TypeScript run with its types stripped', async () => {
    const dir = fresh('oc-v8-esm-');
    write(dir, {
      'package.json': '{ "type": "module" }\n',
      'src/f.ts': `export function used(a: number): number {
  return a + 1;
}
export function unused(a: number): number {
  return a - 1;
}
`,
      'test/f.test.mjs': `import test from 'node:test';
import { used } from '../src/f.ts';
test('used', () => {
  if (used(1) !== 2) throw new Error('no');
});
`,
    });
    const r = await readV8Coverage(nodeTest(dir), dir);
    // All of \`used\`; of \`unused\` only its \`export\` line, which ran at load.
    expect(r?.files).toEqual([{ path: join(dir, 'src/f.ts'), percent: 66.67 }]);
  });

  it('ignores a script whose text was rewritten (offsets do not match the file)', async () => {
    const dir = fresh('oc-v8-rewritten-');
    const text = 'function a() {\n  return 1;\n}\n';
    write(dir, { 'src/a.js': text });
    const v8 = fresh('oc-v8-fake-');
    const url = `file://${join(dir, 'src/a.js')}`;
    const script = (end: number) => ({
      result: [{ url, functions: [{ ranges: [{ startOffset: 0, endOffset: end, count: 1 }] }] }],
    });
    writeFileSync(join(v8, 'coverage-1.json'), JSON.stringify(script(500)));
    expect((await readV8Coverage(v8, dir))?.percent).toBe(0);
    writeFileSync(join(v8, 'coverage-2.json'), JSON.stringify(script(text.length)));
    expect((await readV8Coverage(v8, dir))?.percent).toBe(100);
  });
});

describe('V8 ranges and lines', () => {
  it('lets the innermost range win, whatever the order of functions', () => {
    const ran = new Uint8Array(20);
    markRanges(ran, [
      { startOffset: 5, endOffset: 15, count: 0 },
      { startOffset: 0, endOffset: 20, count: 1 },
      { startOffset: 8, endOffset: 10, count: 3 },
    ]);
    expect([...ran].join('')).toBe('11111000110000011111');
  });

  it('counts lines with code outside comments, covered when any code character ran', () => {
    const text = 'a();\n// c\n  /* x */ b();\n\n';
    const ran = new Uint8Array(text.length);
    expect(lineCoverage(text, ran)).toEqual({ lines: 2, covered: 0 });
    ran.fill(1, text.indexOf('b'), text.indexOf('b') + 1);
    expect(lineCoverage(text, ran)).toEqual({ lines: 2, covered: 1 });
    // A comment that ran does not make its line covered.
    ran.fill(0).fill(1, text.indexOf('/*'), text.indexOf('*/') + 2);
    expect(lineCoverage(text, ran)).toEqual({ lines: 2, covered: 0 });
  });

  it('lists own sources only: no tests, node_modules, dot-dirs or other languages', async () => {
    const dir = fresh('oc-v8-list-');
    write(dir, {
      'a.ts': '',
      'b/c.mjs': '',
      'b/c.test.mjs': '',
      'spec/d.js': '',
      'node_modules/x/y.js': '',
      '.cache/z.js': '',
      'e.py': '',
      'f.tsx': '',
    });
    expect(await listSources(dir)).toEqual(['a.ts', 'f.tsx', 'b/c.mjs']);
  });
});

describe('coverage of a test run', () => {
  it('prefers the report the repository wrote over the measured one, and drops the V8 output', async () => {
    const dir = project({});
    const v8 = nodeTest(dir);
    expect((await coverageOf(dir, v8))?.source).toBe('v8');
    write(dir, { 'coverage/lcov.info': 'SF:a\nLF:4\nLH:1\nend_of_record\n' });
    expect(await coverageOf(dir, v8)).toMatchObject({ source: 'lcov', percent: 25 });
    rmSync(join(dir, 'coverage'), { recursive: true });

    const out = join(fresh('oc-v8-run-'), 'v8');
    const run = await runTests(dir, `"${process.execPath}" --test`, {
      timeoutSeconds: 60,
      env: { NODE_V8_COVERAGE: out },
    });
    expect(run.passed).toBe(true);
    expect(run.coverageReport?.source).toBe('v8');
    expect(run.coverage).toBe(36.36);
    expect(existsSync(out)).toBe(false);
  });
});
