// Coverage readers: lcov, istanbul's coverage-summary.json, cobertura XML and
// Go cover profiles. Each returns line coverage in percent plus per-file
// figures (for "low coverage" candidates), or undefined when it cannot parse.
// When the repository writes no report, line coverage is measured from V8's
// output of the Node processes the tests ran (v8-coverage.ts).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isTestFile } from '../files/kinds.ts';
import { readV8Coverage } from './v8-coverage.ts';

export interface CoverageReport {
  percent: number;
  source: 'lcov' | 'istanbul-summary' | 'cobertura' | 'go' | 'v8';
  files: { path: string; percent: number; found?: number; hit?: number }[];
}

const pct = (hit: number, total: number) => (total === 0 ? 100 : (hit / total) * 100);

export function parseLcov(text: string): CoverageReport | undefined {
  const files: CoverageReport['files'] = [];
  let hit = 0;
  let found = 0;
  let file = '';
  let fh = 0;
  let ff = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('SF:')) [file, fh, ff] = [line.slice(3), 0, 0];
    else if (line.startsWith('LH:')) fh = Number(line.slice(3));
    else if (line.startsWith('LF:')) ff = Number(line.slice(3));
    else if (line === 'end_of_record') {
      files.push({ path: file, percent: pct(fh, ff), found: ff, hit: fh });
      hit += fh;
      found += ff;
    }
  }
  if (!files.length) return undefined;
  return { percent: pct(hit, found), source: 'lcov', files };
}

export function parseIstanbulSummary(text: string): CoverageReport | undefined {
  let json: Record<string, { lines?: { pct?: number; total?: number; covered?: number } }>;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const total = json.total?.lines;
  if (!total || typeof total.pct !== 'number') return undefined;
  const files = Object.entries(json)
    .filter(([k]) => k !== 'total')
    .map(([path, v]) => ({
      path,
      percent: Number(v.lines?.pct ?? 0),
      ...(typeof v.lines?.total === 'number' && typeof v.lines.covered === 'number'
        ? { found: v.lines.total, hit: v.lines.covered }
        : {}),
    }));
  return { percent: total.pct, source: 'istanbul-summary', files };
}

export function parseCobertura(text: string): CoverageReport | undefined {
  const root = /<coverage\b([^>]*)>/.exec(text);
  if (!root) return undefined;
  const attr = (s: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(s)?.[1];
  const rate = Number(attr(root[1] ?? '', 'line-rate'));
  const files: { path: string; percent: number }[] = [];
  for (const m of text.matchAll(/<class\b([^>]*)>/g)) {
    const path = attr(m[1] ?? '', 'filename');
    const r = Number(attr(m[1] ?? '', 'line-rate'));
    if (path && Number.isFinite(r)) files.push({ path, percent: r * 100 });
  }
  if (!Number.isFinite(rate)) return undefined;
  return { percent: rate * 100, source: 'cobertura', files };
}

/** Go cover profile: `mode: set` then `file:a.b,c.d statements count`. */
export function parseGoCover(text: string): CoverageReport | undefined {
  const lines = text.split('\n');
  if (!lines[0]?.startsWith('mode:')) return undefined;
  const perFile = new Map<string, { hit: number; total: number }>();
  // The same block can appear more than once (e.g. -coverpkg); count it once.
  const seen = new Map<string, boolean>();
  for (const line of lines.slice(1)) {
    const m = /^(.+):(\d+\.\d+,\d+\.\d+) (\d+) (\d+)$/.exec(line.trim());
    if (!m) continue;
    const key = `${m[1]}:${m[2]}`;
    const covered = Number(m[4]) > 0;
    const stmts = Number(m[3]);
    const file = perFile.get(m[1] ?? '') ?? { hit: 0, total: 0 };
    if (!seen.has(key)) {
      file.total += stmts;
      if (covered) file.hit += stmts;
    } else if (covered && !seen.get(key)) file.hit += stmts;
    seen.set(key, covered || !!seen.get(key));
    perFile.set(m[1] ?? '', file);
  }
  if (!perFile.size) return undefined;
  let hit = 0;
  let total = 0;
  const files = [...perFile].map(([path, f]) => {
    hit += f.hit;
    total += f.total;
    return { path, percent: pct(f.hit, f.total) };
  });
  return { percent: pct(hit, total), source: 'go', files };
}

/** Where test runners usually leave their reports, with the parser for each. */
export const COVERAGE_FILES: [string, (t: string) => CoverageReport | undefined][] = [
  ['coverage/coverage-summary.json', parseIstanbulSummary],
  ['coverage/lcov.info', parseLcov],
  ['lcov.info', parseLcov],
  ['coverage.xml', parseCobertura],
  ['coverage/cobertura-coverage.xml', parseCobertura],
  ['coverage.out', parseGoCover],
  ['cover.out', parseGoCover],
];

/**
 * The figure over the code under test only: a report that instruments the
 * test files too would let a redundant test raise coverage by its own lines.
 * Needs per-file line counts (lcov, istanbul); other reports stay as they are.
 */
function withoutTestFiles(r: CoverageReport, dir: string): CoverageReport {
  const round = (n: number) => Math.round(n * 100) / 100;
  if (!r.files.length || r.files.some((f) => f.found === undefined))
    return { ...r, percent: round(r.percent) };
  const rel = (p: string) => (p.startsWith(`${dir}/`) ? p.slice(dir.length + 1) : p);
  const code = r.files.filter((f) => !isTestFile(rel(f.path)));
  const found = code.reduce((n, f) => n + f.found!, 0);
  const hit = code.reduce((n, f) => n + f.hit!, 0);
  return { ...r, files: code, percent: round(pct(hit, found)) };
}

/** Reads the first coverage report the repository produced, if any. */
export async function readCoverage(dir: string): Promise<CoverageReport | undefined> {
  for (const [file, parse] of COVERAGE_FILES) {
    let text: string;
    try {
      text = await readFile(join(dir, file), 'utf8');
    } catch {
      continue;
    }
    const r = parse(text);
    if (r) return withoutTestFiles(r, dir);
  }
  return undefined;
}

/**
 * The run's coverage: the report the repository wrote itself, else the line
 * coverage measured from the V8 coverage files in `v8Dir` (NODE_V8_COVERAGE
 * of the test step), else undefined.
 */
export async function coverageOf(
  dir: string,
  v8Dir: string | undefined,
): Promise<CoverageReport | undefined> {
  return (await readCoverage(dir)) ?? (v8Dir ? await readV8Coverage(v8Dir, dir) : undefined);
}
