import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { detectExtraChecks } from './commands.ts';
import { countFindings } from './findings.ts';
import { checksWorse } from './gate.ts';
import { qualityOf } from './quality.ts';
import type { CheckRun } from './run-tests.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-checks-'));
  dirs.push(dir);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}
const pkg = (dev: Record<string, string>) => JSON.stringify({ devDependencies: dev });

describe('detectExtraChecks', () => {
  test.each([
    ['nothing configured', {}, []],
    ['eslint installed but not configured', { 'package.json': pkg({ eslint: '9' }) }, []],
    [
      'eslint with a flat config, and TypeScript with a tsconfig',
      {
        'package.json': pkg({ eslint: '9', typescript: '5' }),
        'eslint.config.js': 'export default [];',
        'tsconfig.json': '{}',
      },
      ['eslint', 'tsc'],
    ],
    [
      'biome configured',
      { 'package.json': pkg({ '@biomejs/biome': '2' }), 'biome.json': '{}' },
      ['biome'],
    ],
    ['ruff in pyproject', { 'pyproject.toml': '[tool.ruff]\nline-length = 100\n' }, ['ruff']],
    ['flake8 in setup.cfg', { 'setup.cfg': '[flake8]\nmax-line-length = 100\n' }, ['flake8']],
    ['a Go module', { 'go.mod': 'module x\n' }, ['go vet']],
  ])('%s', async (_name, files, names) => {
    expect((await detectExtraChecks(repo(files))).map((c) => c.name)).toEqual(names);
  });
});

describe('countFindings', () => {
  test('counts each location format once, and nothing else', () => {
    const out = [
      'a.py:3:1: F401 `os` imported but unused', // ruff concise, flake8
      './x.go:5:2: unreachable code', // go vet
      'src/a.ts(3,7): error TS2322: Type mismatch', // tsc
      '/repo/src/a.js',
      "  3:7  error  'x' is assigned a value but never used  no-unused-vars", // eslint
      '::error title=lint/style,file=a.ts,line=1::Use const', // biome github
      '✖ 1 problem (1 error, 0 warnings)',
      'Found 1 error.',
      'ok 1 - add',
      '# tests 2',
    ].join('\n');
    expect(countFindings(out)).toBe(5);
  });
});

const check = (name: string, findings: number, passed = true): CheckRun => ({
  name,
  command: name,
  findings,
  passed,
  timedOut: false,
  exitCode: passed ? 0 : 1,
  durationSeconds: 1,
  outputTail: '',
});

describe('checksWorse', () => {
  test('more findings, or a check that passed now failing, is worse; fewer or equal is not', () => {
    expect(checksWorse([check('eslint', 3)], [check('eslint', 3)])).toBeUndefined();
    expect(checksWorse([check('eslint', 3)], [check('eslint', 1)])).toBeUndefined();
    expect(checksWorse([check('eslint', 3)], [check('eslint', 4)])).toEqual({
      check: 'eslint',
      message: 'the change raised the findings of eslint (`eslint`) from 3 to 4',
    });
    expect(checksWorse([check('tsc', 0)], [check('tsc', 0, false)])?.message).toBe(
      'tsc (`tsc`) passed on the unchanged tree and fails with the change (exit 1)',
    );
    // A check without a baseline does not gate.
    expect(checksWorse([], [check('eslint', 9)])).toBeUndefined();
  });
});

describe('qualityOf', () => {
  test('sums the findings before and after, per check', () => {
    expect(qualityOf(undefined)).toBeUndefined();
    expect(
      qualityOf([check('eslint', 3), check('tsc', 2)], [check('eslint', 1), check('tsc', 2)]),
    ).toEqual({
      findingsBefore: 5,
      findings: 3,
      checks: [
        { name: 'eslint', command: 'eslint', findingsBefore: 3, findings: 1 },
        { name: 'tsc', command: 'tsc', findingsBefore: 2, findings: 2 },
      ],
    });
    expect(qualityOf([check('eslint', 3)])).toMatchObject({ findingsBefore: 3, findings: 3 });
  });
});
