import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectTestCommand } from '../testing/commands.ts';
import {
  parseCobertura,
  parseGoCover,
  parseIstanbulSummary,
  parseLcov,
  readCoverage,
} from './coverage.ts';
import { classifyIssue, rankCandidates } from './rank.ts';
import { issueCandidates, testCandidates } from './findings.ts';
import { buildRepoMap, topLevelSymbols } from './repo-map.ts';
import type { Candidate } from '../types.ts';

const tmp: string[] = [];
function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'oc-analysis-'));
  tmp.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('detectTestCommand', () => {
  const pkg = JSON.stringify({ scripts: { test: 'node --test' } });
  it.each([
    [{ 'package.json': pkg }, 'npm test'],
    [{ 'package.json': pkg, 'pnpm-lock.yaml': '' }, 'pnpm test'],
    [{ 'package.json': pkg, 'yarn.lock': '' }, 'yarn test'],
    [{ 'pyproject.toml': '[project]' }, 'pytest'],
    [{ 'go.mod': 'module x' }, 'go test -v ./...'],
    [{ 'Cargo.toml': '[package]' }, 'cargo test'],
    [{ Makefile: 'build:\n\tcc x.c\ntest: build\n\t./t\n' }, 'make test'],
  ])('detects %j', (files, expected) => {
    return expect(detectTestCommand(repo(files))).resolves.toBe(expected);
  });

  it('ignores npm placeholder scripts and Makefiles without a test target', async () => {
    const dir = repo({
      'package.json': JSON.stringify({
        scripts: { test: 'echo "Error: no test specified" && exit 1' },
      }),
      Makefile: 'all:\n\techo\n',
    });
    await expect(detectTestCommand(dir)).resolves.toBeUndefined();
  });
});

describe('coverage readers', () => {
  it('reads lcov', () => {
    const r = parseLcov(
      'TN:\nSF:src/a.js\nLF:10\nLH:5\nend_of_record\nSF:src/b.js\nLF:10\nLH:10\nend_of_record\n',
    );
    expect(r?.percent).toBe(75);
    expect(r?.files).toEqual([
      { path: 'src/a.js', percent: 50, found: 10, hit: 5 },
      { path: 'src/b.js', percent: 100, found: 10, hit: 10 },
    ]);
  });

  it('leaves test files out of the figure the gate compares', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oc-cov-'));
    mkdirSync(join(dir, 'coverage'));
    writeFileSync(
      join(dir, 'coverage', 'lcov.info'),
      `SF:${dir}/src/a.js\nLF:10\nLH:5\nend_of_record\nSF:${dir}/test/a.test.js\nLF:90\nLH:90\nend_of_record\n`,
    );
    const r = await readCoverage(dir);
    expect(r?.percent).toBe(50);
    expect(r?.files.map((f) => f.path)).toEqual([`${dir}/src/a.js`]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads an istanbul summary', () => {
    const r = parseIstanbulSummary(
      JSON.stringify({ total: { lines: { pct: 61.5 } }, '/r/src/a.js': { lines: { pct: 40 } } }),
    );
    expect(r).toMatchObject({ percent: 61.5, files: [{ path: '/r/src/a.js', percent: 40 }] });
    expect(parseIstanbulSummary('not json')).toBeUndefined();
  });

  it('reads cobertura', () => {
    const xml = `<?xml version="1.0"?><coverage line-rate="0.8125" branch-rate="0.5" version="1">
<packages><package name="p"><classes><class name="a" filename="pkg/a.py" line-rate="0.5"></class></classes></package></packages></coverage>`;
    const r = parseCobertura(xml);
    expect(r?.percent).toBeCloseTo(81.25);
    expect(r?.files).toEqual([{ path: 'pkg/a.py', percent: 50 }]);
  });

  it('reads a Go cover profile, counting repeated blocks once', () => {
    const r = parseGoCover(
      'mode: set\nx/a.go:3.10,5.2 2 1\nx/a.go:7.10,9.2 2 0\nx/a.go:7.10,9.2 2 1\nx/b.go:1.1,2.2 4 0\n',
    );
    expect(r?.percent).toBe(50);
    expect(r?.files).toEqual([
      { path: 'x/a.go', percent: 100 },
      { path: 'x/b.go', percent: 0 },
    ]);
  });

  it('finds the report a repository produced', async () => {
    const dir = repo({ 'coverage/lcov.info': 'SF:a\nLF:3\nLH:1\nend_of_record\n' });
    expect((await readCoverage(dir))?.percent).toBe(33.33);
    await expect(readCoverage(repo({}))).resolves.toBeUndefined();
  });
});

const cand = (
  id: string,
  priority: Candidate['priority'],
  type: Candidate['type'],
  issue?: number,
): Candidate => ({
  id,
  priority,
  type,
  title: id,
  detail: '',
  files: [],
  issue,
});

describe('ranking (decision matrix)', () => {
  it('orders P0 < P1 < P2 < P3, issues first inside a priority', () => {
    const ranked = rankCandidates([
      cand('docs:a', 'P3', 'documentation'),
      cand('coverage:a', 'P2', 'tests'),
      cand('failing-tests', 'P1', 'bugfix'),
      cand('issue:9', 'P1', 'bugfix', 9),
      cand('issue:12', 'P0', 'feature', 12),
      cand('issue:3', 'P0', 'bugfix', 3),
      cand('docs:a', 'P3', 'documentation'),
    ]);
    expect(ranked.map((c) => c.id)).toEqual([
      'issue:3',
      'issue:12',
      'issue:9',
      'failing-tests',
      'coverage:a',
      'docs:a',
    ]);
  });

  it('classifies issues by their words', () => {
    expect(classifyIssue('SQL injection in login', '')).toBe('security');
    expect(classifyIssue('Search is slow', '')).toBe('performance');
    expect(classifyIssue('Crash on empty input', '')).toBe('bugfix');
    expect(classifyIssue('Document the API', '')).toBe('documentation');
    expect(classifyIssue('Support YAML output', '')).toBe('feature');
  });
});

describe('issue candidates', () => {
  const labels = {
    priority: 'opencode-priority',
    bug: 'opencode-bug',
    question: 'opencode-question',
  };
  const issue = (number: number, labelList: string[], title = 'Fix the parser') => ({
    number,
    title,
    body: 'see src/parse.js',
    labels: labelList,
    url: `u/${number}`,
    updatedAt: '',
  });

  it('maps priority to P0 and bug to P1, and never takes a question issue', () => {
    const out = issueCandidates(
      [
        issue(1, ['opencode-priority']),
        issue(2, ['opencode-bug']),
        issue(3, ['opencode-priority', 'opencode-question']),
        issue(4, ['other']),
        issue(5, ['opencode-bug'], 'XSS vulnerability in the form'),
      ],
      labels,
    );
    expect(out.map((c) => [c.id, c.priority, c.type])).toEqual([
      ['issue:1', 'P0', 'bugfix'],
      ['issue:2', 'P1', 'bugfix'],
      ['issue:5', 'P0', 'security'],
    ]);
    expect(out[0]?.files).toEqual(['src/parse.js']);
  });
});

describe('test candidates', () => {
  it('flags low-coverage files and sources without tests', () => {
    const out = testCandidates(
      ['src/a.js', 'src/b.js', 'test/a.test.js'],
      { percent: 50, source: 'lcov', files: [{ path: '/repo/src/a.js', percent: 40 }] },
      '/repo',
    );
    expect(out.map((c) => c.id)).toEqual(['coverage:src/a.js', 'missing-tests:src/b.js']);
  });
});

describe('repo map', () => {
  it('lists symbols and respects the token budget, focus files first', async () => {
    expect(
      topLevelSymbols('export function add() {}\nclass Foo {}\ndef bar():\nfunc (s *S) Baz() {\n'),
    ).toEqual(['add', 'Foo', 'bar', 'Baz']);
    const files: Record<string, string> = {};
    for (let i = 0; i < 50; i++) files[`src/file${i}.js`] = `export function fn${i}() {}\n`;
    const dir = repo(files);
    const map = await buildRepoMap(dir, Object.keys(files).sort(), 60, ['src/file42.js']);
    expect(map.length).toBeLessThanOrEqual(60 * 4);
    expect(map.split('\n')[0]).toBe('src/file42.js: fn42');
    expect(map).toMatch(/more files omitted/);
  });
});
