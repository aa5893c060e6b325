// Line coverage measured from V8's own coverage output (NODE_V8_COVERAGE),
// for repositories whose test command writes no report: every Node process
// the tests start leaves a JSON file of block counts per script, which is
// turned here into line coverage of the repository's own source files.
//
// Counts: per script, a function's ranges are ordered outer to inner and the
// innermost range containing an offset gives its count; across processes an
// offset is covered when any of them ran it. A line counts when it holds code
// outside comments, and is covered when any of its code characters ran. Source
// files the tests never loaded count as entirely uncovered, so that a test
// loading a new file raises coverage honestly. A script whose executed text
// does not line up with the file on disk (a transpiler rewrote it) cannot be
// mapped back and is left out; its file then counts as not loaded.
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isTestFile } from '../files/kinds.ts';
import { lex } from '../files/lex.ts';
import type { CoverageReport } from './coverage.ts';

export const V8_SOURCE_EXT = /\.(js|mjs|cjs|ts|mts|cts|jsx|tsx)$/i;
const TS_EXT = /\.[cm]?tsx?$/i;
/** V8 output files larger than this are skipped. */
export const MAX_V8_FILE_BYTES = 50 << 20;
/** Beyond these the measurement is abandoned rather than guessed. */
const MAX_V8_FILES = 20_000;
const MAX_V8_TOTAL_BYTES = 2 * 1024 ** 3;
/** Source files counted, in a stable walk order. */
export const MAX_SOURCE_FILES = 2000;
/** Larger files are generated or bundled, not the repository's own code. */
const MAX_SOURCE_BYTES = 4 << 20;
/** Source text held at once; files past it (in walk order) are not counted. */
const MAX_TOTAL_SOURCE_BYTES = 64 << 20;
/** Directory entries looked at while listing source files. */
const MAX_WALK_ENTRIES = 200_000;

interface V8Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface V8Script {
  url?: string;
  functions?: { ranges?: V8Range[] }[];
}
interface V8File {
  result?: V8Script[];
  'source-map-cache'?: Record<string, unknown>;
}

interface Source {
  abs: string;
  text: string;
  /** Per UTF-16 offset: 1 when some process ran it; allocated when first loaded. */
  ran?: Uint8Array;
}

/** The repository's own JS/TS sources under `dir`, repo-relative, sorted walk order. */
export async function listSources(dir: string): Promise<string[]> {
  const out: string[] = [];
  const stack = [''];
  let seen = 0;
  while (stack.length && out.length < MAX_SOURCE_FILES && seen < MAX_WALK_ENTRIES) {
    const rel = stack.pop()!;
    let entries;
    try {
      entries = await readdir(join(dir, rel), { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    for (const e of entries) {
      if (++seen > MAX_WALK_ENTRIES || out.length >= MAX_SOURCE_FILES) break;
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const path = rel ? `${rel}/${e.name}` : e.name;
      // Symlinks are neither: nothing outside the tree is counted.
      if (e.isDirectory()) subdirs.push(path);
      else if (e.isFile() && V8_SOURCE_EXT.test(e.name) && !isTestFile(path)) out.push(path);
    }
    // Depth first, in name order.
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]!);
  }
  return out;
}

const isSpace = (c: number) =>
  c === 32 || c === 9 || c === 13 || c === 10 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff;

/**
 * Marks in `ran` the offsets whose innermost range has a count above zero.
 * Ranges nest (a function inside its parent, a block inside its function):
 * sorted by start, outer before inner and, for equal ranges, in V8's order,
 * a stack sweep gives each offset its innermost range in O(R log R + n).
 * `shift` is added to V8's offsets to get the file's (a dropped byte-order mark).
 */
export function markRanges(ran: Uint8Array, ranges: V8Range[], shift = 0): void {
  const sorted = ranges
    .map((r, i) => ({ r, i }))
    .filter(({ r }) => r.endOffset > r.startOffset && r.startOffset >= 0)
    .sort((a, b) => a.r.startOffset - b.r.startOffset || b.r.endOffset - a.r.endOffset || a.i - b.i)
    .map(({ r }) => r);
  const stack: V8Range[] = [];
  let pos = 0;
  const advance = (to: number) => {
    while (pos < to) {
      while (stack.length && stack[stack.length - 1]!.endOffset <= pos) stack.pop();
      const top = stack[stack.length - 1];
      if (!top) {
        pos = to;
        return;
      }
      const end = Math.min(top.endOffset, to);
      if (top.count > 0) ran.fill(1, pos + shift, end + shift);
      pos = end;
    }
  };
  for (const r of sorted) {
    advance(r.startOffset);
    stack.push(r);
  }
  advance(Infinity);
}

/** Code lines and covered code lines of one file. */
export function lineCoverage(text: string, ran: Uint8Array | undefined) {
  const { code } = lex(text, 'js');
  let lines = 0;
  let covered = 0;
  let off = 0;
  for (const line of code) {
    let isCode = false;
    let hit = false;
    for (let k = 0; k < line.length; k++) {
      if (isSpace(line.charCodeAt(k))) continue;
      isCode = true;
      if (ran?.[off + k]) {
        hit = true;
        break;
      }
    }
    if (isCode) lines++;
    if (hit) covered++;
    off += line.length + 1;
  }
  return { lines, covered };
}

/**
 * Line coverage of the sources under `dir` from the V8 coverage files in
 * `v8Dir`; undefined when no Node process left any, or there is no source.
 */
export async function readV8Coverage(
  v8Dir: string,
  dir: string,
): Promise<CoverageReport | undefined> {
  let names: string[];
  try {
    names = (await readdir(v8Dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return undefined;
  }
  if (!names.length || names.length > MAX_V8_FILES) return undefined;

  const sources = new Map<string, Source>();
  let held = 0;
  for (const rel of await listSources(dir)) {
    const abs = join(dir, rel);
    try {
      const size = (await stat(abs)).size;
      if (size > MAX_SOURCE_BYTES) continue;
      if ((held += size) > MAX_TOTAL_SOURCE_BYTES) break;
      sources.set(abs, { abs, text: await readFile(abs, 'utf8') });
    } catch {
      // vanished or unreadable: not counted
    }
  }
  if (!sources.size) return undefined;

  // Module URLs name real paths; the tree may have been reached through a link.
  const roots = [...new Set([dir, await realpath(dir).catch(() => dir)])];
  const prefixes = roots.map((r) => pathToFileURL(r + sep).href);
  const toSource = (url: string): Source | undefined => {
    if (!prefixes.some((p) => url.startsWith(p))) return undefined;
    let path: string;
    try {
      path = fileURLToPath(url);
    } catch {
      return undefined;
    }
    for (const r of roots)
      if (path.startsWith(r + sep)) return sources.get(join(dir, path.slice(r.length + 1)));
    return undefined;
  };

  let parsed = 0;
  let total = 0;
  for (const name of names) {
    const file = join(v8Dir, name);
    let text: string;
    try {
      const size = (await stat(file)).size;
      if (size > MAX_V8_FILE_BYTES) continue;
      total += size;
      if (total > MAX_V8_TOTAL_BYTES) return undefined;
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    let json: V8File;
    try {
      json = JSON.parse(text) as V8File;
    } catch {
      continue;
    }
    if (!Array.isArray(json.result)) continue;
    parsed++;
    // Most processes (npm, the test runner itself) never load the repository's code.
    if (!prefixes.some((p) => text.includes(p))) continue;
    const mapped = json['source-map-cache'] ?? {};
    for (const script of json.result) {
      if (typeof script.url !== 'string' || !script.url.startsWith('file:')) continue;
      const src = toSource(script.url);
      if (!src || Object.hasOwn(mapped, script.url)) continue;
      const ranges = (script.functions ?? []).flatMap((f) => f.ranges ?? []);
      const shift = alignment(src, ranges);
      if (shift === undefined) continue;
      src.ran ??= new Uint8Array(src.text.length);
      markRanges(src.ran, ranges, shift);
    }
  }
  if (!parsed) return undefined;

  let lines = 0;
  let covered = 0;
  const files: { path: string; percent: number }[] = [];
  for (const src of sources.values()) {
    const f = lineCoverage(src.text, src.ran);
    if (!f.lines) continue;
    lines += f.lines;
    covered += f.covered;
    files.push({ path: src.abs, percent: round((f.covered / f.lines) * 100) });
  }
  if (!lines) return undefined;
  return { percent: round((covered / lines) * 100), source: 'v8', files };
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * How V8's offsets line up with the file: 0 when the executed text is the
 * file (TypeScript stripped in place may carry an appended `sourceURL`), 1
 * when a byte-order mark was dropped, undefined when it was rewritten.
 */
function alignment(src: Source, ranges: V8Range[]): number | undefined {
  let length = 0;
  for (const r of ranges) if (r.endOffset > length) length = r.endOffset;
  const n = src.text.length;
  if (length === n || (TS_EXT.test(src.abs) && length > n)) return 0;
  if (src.text.charCodeAt(0) === 0xfeff && length === n - 1) return 1;
  return undefined;
}
