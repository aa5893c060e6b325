// The test-integrity rule: a change may add tests, never weaken the ones
// that exist. Read as hostile: the model that wrote the change wants a
// broken change to pass, and the cheapest way is to make the tests test less.
//
// a. Existing tests are append-only. An existing test file may not be
//    deleted and none of its lines removed or changed; lines may be added
//    only in the import header (before the first test) or after the last
//    existing test (at the end of the file, or at the end of a describe /
//    test class / `mod tests` body), and what is added there must be a test,
//    an import or a declaration: no hooks, no load-time statements that run
//    around the existing tests, no rebinding of names they use. Rust's
//    `#[test]` functions and `#[cfg(test)]` modules count, in any `.rs` file.
// b. Added test code may not neuter tests (neutering.ts: exits, skips,
//    tautologies, dead guards, swallowed errors, a replaced framework).
// c. A new test file must declare tests and, for JS/TS and Python, import
//    the code under test.
import { posix } from 'node:path';
import type { FileChange } from '../files/change.ts';
import { codeLanguage, isTestFile, type CodeLanguage } from '../files/kinds.ts';
import { firstLostLine } from '../files/line-diff.ts';
import {
  applies,
  COVERAGE_EXCLUSIONS,
  DIRECTIVES,
  MODULE_WIDE,
  NEUTERING,
  NEUTERING_MULTILINE,
  type Construct,
} from './neutering.ts';
import { outline, type ItemKind, type Outline } from './test-structure.ts';

const APPEND_ONLY = 'existing tests are append-only: a human must approve this';
const MUST_FAIL = 'a test must be able to fail: a human must approve this';

export interface IntegrityOptions {
  /**
   * The package's own name (root package.json), so a new JS/TS test that
   * imports the package by name counts as exercising it. Read from a
   * package.json in the changes when not given.
   */
  packageName?: string;
}

/**
 * Why the change weakens the test suite, naming the file, the line and what
 * was done; undefined when it does not. Returns the first violation, in the
 * order of the changes and, within a file, of its lines.
 */
export function testIntegrityViolation(
  changes: FileChange[],
  opts: IntegrityOptions = {},
): string | undefined {
  const packageName = opts.packageName ?? packageNameOf(changes);
  for (const change of changes) {
    const why = checkChange(change, packageName);
    if (why) return why;
  }
  return undefined;
}

function packageNameOf(changes: FileChange[]): string | undefined {
  const pkg = changes.find((c) => c.path === 'package.json');
  // The name before the change: a renamed package must not vouch for an import.
  const text = pkg?.before ?? pkg?.after;
  if (!text) return undefined;
  try {
    const name = (JSON.parse(text) as { name?: unknown }).name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

const snip = (line: string) => {
  const t = line.trim();
  return `\`${t.length > 80 ? `${t.slice(0, 77)}...` : t}\``;
};
const at = (path: string, line: number, text: string) =>
  `${path} (line ${line + 1}: ${snip(text)})`;
const isBinary = (text: string | null) => text !== null && text.includes('\u0000');

function checkChange(
  { path, before, after }: FileChange,
  packageName?: string,
): string | undefined {
  if (before === after) return undefined;
  const lang = codeLanguage(path);
  const test = isTestFile(path);
  if (isBinary(before) || isBinary(after)) {
    return test && before !== null
      ? `${after === null ? 'deletes' : 'changes'} the test file ${path}; ${APPEND_ONLY}`
      : undefined;
  }
  if (!test && lang !== 'rust') return coverageExclusion(path, before, after);
  if (!test) {
    // A Rust source: its #[test] functions and #[cfg(test)] modules are tests.
    if (before !== null && rustTestRegions(outline(before, lang)).length > 0) {
      if (after === null)
        return `deletes ${path}, which holds tests (#[test], #[cfg(test)]); ${APPEND_ONLY}`;
      const why = compareExisting(path, lang, before, after, 'rust-source');
      if (why) return why;
    } else if (after !== null) {
      const why = checkNewCode(path, lang, outline(after, lang), 'rust-source');
      if (why) return why;
    }
    return coverageExclusion(path, before, after);
  }
  if (after === null)
    return before !== null ? `deletes the test file ${path}; ${APPEND_ONLY}` : undefined;
  if (before === null || before.trim() === '') {
    const a = outline(after, lang);
    return checkNewCode(path, lang, a, 'new-test') ?? exercisesCode(path, lang, a, packageName);
  }
  return compareExisting(path, lang, before, after, 'test');
}

type Mode = 'test' | 'rust-source' | 'new-test';

// ---------------------------------------------------------------------------
// Rule a: existing files

const TESTISH = new Set<ItemKind>(['test', 'group', 'hook']);

/**
 * The items of a Rust source that are tests, outermost only: #[test]
 * functions and #[cfg(test)] items, at any depth (a `mod tests` inside
 * another module counts).
 */
function rustTestRegions(o: Outline): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (const [scope, kids] of o.children) {
    kids.forEach((s, idx) => {
      if (o.kindOf(s) !== 'test' && !/#\s*\[\s*cfg\s*\(\s*test\s*\)\s*\]/.test(o.headOf(s))) return;
      const to = kids[idx + 1] ?? (scope < 0 ? o.raw.length : o.blockEnd[scope]!);
      found.push([s, lastCodeLine(o, s, to)]);
    });
  }
  found.sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const r of found) if (!out.length || r[0] > out[out.length - 1]![1]) out.push(r);
  return out;
}

/** The last code line in [from, to). */
function lastCodeLine(o: Outline, from: number, to: number): number {
  for (let i = to - 1; i > from; i--) if (!o.blank[i]) return i;
  return from;
}

interface ScopeInfo {
  /** The first test-like statement (or first non-import one) of the block. */
  firstTest: number;
  /** Lines after this one (and up to `endTo`) are the block's end: appending goes there. */
  endFrom: number;
  endTo: number;
}

function compareExisting(
  path: string,
  lang: CodeLanguage | undefined,
  before: string,
  after: string,
  mode: Exclude<Mode, 'new-test'>,
): string | undefined {
  const B = outline(before, lang);
  const widened = widenedImports(path, lang, B, after);
  if (widened?.violation) return widened.violation;
  const A = outline(widened?.text ?? after, lang);
  const n = B.raw.length;
  const m = A.raw.length;

  // Which existing lines are protected, and for a Rust source, in which region.
  const region = new Int32Array(n).fill(mode === 'test' ? 0 : -1);
  if (mode === 'rust-source') {
    const regions = rustTestRegions(B);
    regions.forEach(([s, e], r) => region.fill(r, s, e + 1));
    // A nested test module keeps the heads of the modules around it: an
    // attribute there (`#[cfg(any())]`) would drop it.
    let id = regions.length;
    for (const [s] of regions) {
      for (let o = B.opener[s]!, depth = 0; o >= 0 && depth <= MAX_DEPTH; depth++) {
        const head = B.item[o]!;
        if (region[head]! < 0) region.fill(id++, head, o + 1);
        o = B.opener[head]!;
      }
    }
  }
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (region[i]! >= 0 && B.raw[i]!.trim() !== '') kept.push(i);
  const K = kept.length;
  const lineOf = (k: number) => (k < K ? kept[k]! : n);
  const prevLine = (k: number) => (k > 0 ? kept[k - 1]! : -1);

  // Scopes: the top level and every group (describe, test class, mod tests).
  const scopes = new Map<number, ScopeInfo>();
  const scopeInfo = (o: number): ScopeInfo => {
    let info = scopes.get(o);
    if (info) return info;
    const kids = B.children.get(o) ?? [];
    const limit = o < 0 ? n : B.blockEnd[o]!;
    const firstTest =
      kids.find((s) => TESTISH.has(B.kindOf(s))) ??
      kids.find((s) => B.kindOf(s) !== 'import') ??
      limit;
    if (o >= 0) {
      info = groupEnd(o, firstTest);
    } else {
      // The top level ends after its last test (or last statement, without tests).
      const tests = kids.filter((s) => TESTISH.has(B.kindOf(s)));
      const last = tests[tests.length - 1] ?? kids[kids.length - 1];
      const next = last === undefined ? undefined : kids[kids.indexOf(last) + 1];
      info = {
        firstTest,
        endFrom: last === undefined ? -1 : lastCodeLine(B, last, next ?? limit),
        endTo: n,
      };
    }
    scopes.set(o, info);
    return info;
  };
  const groupEnd = (o: number, firstTest: number): ScopeInfo => {
    const end = B.blockEnd[o]!;
    if (lang === 'python') {
      let next = end + 1;
      while (next < n && B.blank[next]) next++;
      return { firstTest, endFrom: end, endTo: next };
    }
    // Braces: the end is just before the closing line of the block.
    const closes = /^[)\]}]/.test(B.code[end]?.trim() ?? '');
    return closes
      ? { firstTest, endFrom: lastCodeLine(B, o, end), endTo: end }
      : { firstTest, endFrom: n, endTo: -1 };
  };
  const isGroup = (o: number) => o >= 0 && B.kindOf(B.item[o]!) === 'group';
  const gapKind = (o: number, k: number): 'header' | 'end' | 'between' => {
    const s = scopeInfo(o);
    if (prevLine(k) >= o && lineOf(k) <= s.firstTest) return 'header';
    if (prevLine(k) >= s.endFrom && lineOf(k) <= s.endTo) return 'end';
    return 'between';
  };

  // Where lines may be inserted without touching an existing test.
  const allowed = new Uint8Array(K + 1);
  for (let k = 0; k <= K; k++) {
    if (
      mode === 'rust-source' &&
      (k === 0 || k === K || region[kept[k - 1]!] !== region[kept[k]!])
    ) {
      allowed[k] = 1;
      continue;
    }
    // The innermost scope around the gap: the opener shared by its neighbours.
    const scope = gapScope(B, prevLine(k), lineOf(k) < n ? lineOf(k) : -1);
    for (let o = scope, depth = 0; depth <= MAX_DEPTH; o = B.opener[B.item[o]!]!, depth++) {
      if ((o < 0 ? mode === 'test' : isGroup(o)) && gapKind(o, k) !== 'between') {
        allowed[k] = 1;
        break;
      }
      if (o < 0) break;
    }
  }

  // Place the existing lines in the new text: runs between allowed gaps stay
  // together; each goes to its earliest place after the previous one.
  const aIdx: number[] = [];
  for (let j = 0; j < m; j++) if (A.raw[j]!.trim() !== '') aIdx.push(j);
  const aText = aIdx.map((j) => A.raw[j]!);
  const keptText = kept.map((i) => B.raw[i]!);
  const matchB = new Int32Array(n).fill(-1);
  const matchA = new Int32Array(m).fill(-1);
  let pos = 0;
  for (let k = 0; k < K;) {
    let e = k + 1;
    while (e < K && !allowed[e]) e++;
    const found = findRun(aText, pos, keptText, k, e);
    if (found < 0) return placementFailure(path, B, A, kept, keptText, aIdx, aText, allowed);
    for (let t = 0; t < e - k; t++) {
      matchB[kept[k + t]!] = aIdx[found + t]!;
      matchA[aIdx[found + t]!] = kept[k + t]!;
    }
    pos = found + (e - k);
    k = e;
  }

  const moved = keepsItsPlace(path, B, A, kept, matchA, matchB);
  if (moved) return moved;

  // The added lines: where they are, and what they are.
  const declared = new Map<number, Map<string, number>>();
  const declaredIn = (scope: number) => {
    let names = declared.get(scope);
    if (!names) {
      names = new Map();
      for (const s of B.children.get(scope) ?? []) {
        for (const name of boundNames(itemText(B, s), lang))
          if (!names.has(name)) names.set(name, s);
      }
      declared.set(scope, names);
    }
    return names;
  };
  const usedByTests = lang === 'js' ? frameworkNamesUsed(B) : new Set<string>();
  const testCode =
    mode === 'rust-source' ? regionMask(A, rustTestRegions(A)) : new Uint8Array(m).fill(1);

  let k = 0;
  let run: number[] = [];
  const flush = () => {
    const why = multiline(path, lang, A, run);
    run = [];
    return why;
  };
  for (let j = 0; j < m; j++) {
    if (matchA[j]! >= 0) {
      k++;
      const why = flush();
      if (why) return why;
      continue;
    }
    if (A.raw[j]!.trim() === '') continue;
    if (!testCode[j]) {
      const why = flush();
      if (why) return why;
      continue;
    }
    for (const d of DIRECTIVES) {
      if (applies(d, lang) && d.re.test(A.raw[j]!)) return neutered(d, path, j, A.raw[j]!);
    }
    run.push(j);
    if (A.blank[j]) continue;

    // What the line does (rule b) says more than where it is.
    const neuters = neuteringIn(path, lang, A, j);
    if (neuters) return neuters;

    // Placement (rule a).
    const o = A.opener[j]!;
    const s = A.item[j]!;
    const inNewCode = o >= 0 && matchA[o]! < 0;
    if (!inNewCode && s !== j) {
      const bs = s >= 0 ? matchA[s]! : -1;
      if (bs >= 0 && !(mode === 'rust-source' && region[bs]! < 0) && B.kindOf(bs) !== 'import') {
        return `changes the existing statement at line ${bs + 1} of ${at(path, j, A.raw[j]!)}; ${APPEND_ONLY}`;
      }
    }
    if (!inNewCode && s === j) {
      const scope = o < 0 ? -1 : matchA[o]!;
      const sourceCode = mode === 'rust-source' && (scope < 0 || region[scope]! < 0);
      if (!sourceCode) {
        const why = placeStatement(scope, j);
        if (why) return why;
      }
    }

    // Load-time mocks and patches.
    const why = loadTimeEffect(path, lang, A, j);
    if (why) return why;
  }
  return flush();

  function placeStatement(scope: number, j: number): string | undefined {
    const kind = A.kindOf(j);
    const where = at(path, j, A.raw[j]!);
    if (scope >= 0 && !isGroup(scope)) {
      const owner = B.item[scope]!;
      const ownerKind = B.kindOf(owner);
      if (ownerKind === 'import') return undefined; // e.g. a name added to Go's `import (` block
      return `adds code inside the existing ${testName(B, owner)} in ${where}; ${APPEND_ONLY}`;
    }
    const structured = lang !== undefined && lang !== 'script';
    const gap = gapKind(scope, k);
    if (gap === 'between') {
      return `adds code between existing tests in ${where}; ${APPEND_ONLY} (new tests go after the existing ones, imports at the top)`;
    }
    if (gap === 'header' && kind !== 'import' && kind !== 'decl' && structured) {
      return kind === 'test' || kind === 'group'
        ? `adds a test before the existing tests in ${where}; ${APPEND_ONLY} (new tests go after the existing ones)`
        : `adds ${KIND_NAME[kind]} code to the import header of ${where}; only imports and declarations may go there: a human must approve this`;
    }
    if (gap === 'header' && !structured && kind !== 'import') {
      return `adds code before the existing tests in ${where}; ${APPEND_ONLY}`;
    }
    if (structured && kind === 'hook') {
      return `adds a hook that would run around the existing tests in ${where}; ${APPEND_ONLY}`;
    }
    if (structured && kind === 'other') {
      return `adds a statement that runs when the file loads, outside any test, in ${where}; it could change what the existing tests see: a human must approve this`;
    }
    if (structured && kind === 'import' && gap === 'end' && scope >= 0) {
      return `adds an import inside an existing test group in ${where}; ${APPEND_ONLY}`;
    }
    const text = itemText(A, j);
    const names = declaredIn(scope);
    for (const name of boundNames(text, lang)) {
      const prior = names.get(name);
      if (prior !== undefined) {
        return `redefines \`${name}\` (line ${prior + 1}) in ${where}; ${APPEND_ONLY}`;
      }
      if (usedByTests.has(name) && !FRAMEWORK_MODULE.test(text)) {
        return `rebinds \`${name}\`, which the existing tests call, in ${where}; ${APPEND_ONLY}`;
      }
    }
    return undefined;
  }
}

/** A one-line import of named bindings: `import { a, b } from 'm'`, `from m import a, b`. */
function namedImport(
  line: string,
  lang: CodeLanguage | undefined,
): { key: string; names: string[] } | undefined {
  const m =
    lang === 'js'
      ? (/^(\s*import\s+(?:[\w$]+\s*,\s*)?)\{([^}]*)\}(\s*from\s*(['"])[^'"]+\4\s*;?)$/.exec(
          line,
        ) ??
        /^(\s*(?:const|let|var)\s*)\{([^}]*)\}(\s*=\s*require\s*\(\s*(['"])[^'"]+\4\s*\)\s*;?)$/.exec(
          line,
        ))
      : lang === 'python'
        ? /^(\s*from\s+\S+\s+import\s+)([\w\s,]+?)(\s*)$/.exec(line)
        : null;
  if (!m) return undefined;
  const names = m[2]!
    .split(',')
    .map((x) => x.trim().replace(/\s+/g, ' '))
    .filter(Boolean);
  return { key: `${m[1]!.trim()}\u0000${m[3]!.trim()}`, names };
}

/**
 * An existing one-line import that now imports more names from the same
 * module is not a changed line. Returns the after text with those lines put
 * back as they were (the comparison then sees only additions), undefined
 * when there are none, or a violation when a new name rebinds what the
 * existing tests call.
 */
function widenedImports(
  path: string,
  lang: CodeLanguage | undefined,
  B: Outline,
  after: string,
): { text?: string; violation?: string } | undefined {
  if (lang !== 'js' && lang !== 'python') return undefined;
  const beforeLines = new Set(B.raw);
  const afterLines = after.split('\n');
  const afterSet = new Set(afterLines.map((l) => l.trimEnd()));
  const candidates = new Map<string, Array<{ line: string; names: string[] }>>();
  for (const line of B.raw) {
    if (afterSet.has(line)) continue;
    const imp = namedImport(line, lang);
    if (imp)
      candidates.set(imp.key, [...(candidates.get(imp.key) ?? []), { line, names: imp.names }]);
  }
  if (candidates.size === 0) return undefined;
  const used = lang === 'js' ? frameworkNamesUsed(B) : new Set<string>();
  let changed = false;
  for (let j = 0; j < afterLines.length; j++) {
    const line = afterLines[j]!.trimEnd();
    if (beforeLines.has(line)) continue;
    const imp = namedImport(line, lang);
    const list = imp && candidates.get(imp.key);
    const idx = list?.findIndex((c) => c.names.every((x) => imp!.names.includes(x))) ?? -1;
    if (!imp || !list || idx < 0) continue;
    const [old] = list.splice(idx, 1);
    const added = imp.names
      .filter((x) => !old!.names.includes(x))
      .map((x) => x.split(/\s+as\s+|\s*:\s*/).pop()!);
    const rebound = added.find((x) => used.has(x));
    if (rebound && !FRAMEWORK_MODULE.test(line)) {
      return {
        violation: `rebinds \`${rebound}\`, which the existing tests call, in ${at(path, j, line)}; ${APPEND_ONLY}`,
      };
    }
    afterLines[j] = old!.line;
    changed = true;
  }
  return changed ? { text: afterLines.join('\n') } : undefined;
}

const KIND_NAME: Record<ItemKind, string> = {
  test: 'test',
  group: 'test group',
  hook: 'hook',
  import: 'import',
  decl: 'declaration',
  other: 'statement',
};

/** The block both neighbours of a gap sit in (the deeper one's when they differ). */
function gapScope(B: Outline, prev: number, next: number): number {
  // A gap right after a block's opening line is inside that block; one right
  // before its closing line too. Otherwise the neighbours' own block.
  const p = prev >= 0 ? (B.blank[prev] ? B.opener[prev]! : blockOpenedBy(B, prev, next)) : -1;
  const q = next >= 0 ? B.opener[next]! : -1;
  if (p === q) return p;
  // One of them is inside the other's block; take the inner one.
  for (let o = p, depth = 0; o >= 0 && depth <= MAX_DEPTH; o = B.opener[B.item[o]!]!, depth++) {
    if (o === q) return p;
  }
  return q;
}

/** `prev`'s block when `next` sits inside a block `prev` opened; else `prev`'s own block. */
function blockOpenedBy(B: Outline, prev: number, next: number): number {
  if (next >= 0 && B.opener[next] === prev) return prev;
  return B.opener[prev]!;
}

/** First index ≥ pos where keptText[from..to) occurs contiguously in text (KMP). */
function findRun(text: string[], pos: number, kept: string[], from: number, to: number): number {
  const len = to - from;
  const fail = new Int32Array(len);
  for (let i = 1, j = 0; i < len; i++) {
    while (j > 0 && kept[from + i] !== kept[from + j]) j = fail[j - 1]!;
    if (kept[from + i] === kept[from + j]) j++;
    fail[i] = j;
  }
  for (let i = pos, j = 0; i < text.length; i++) {
    while (j > 0 && text[i] !== kept[from + j]) j = fail[j - 1]!;
    if (text[i] === kept[from + j]) j++;
    if (j === len) return i - len + 1;
  }
  return -1;
}

/**
 * Every existing line keeps its block and its statement: nothing wraps it
 * (`if (false) {`), nothing new takes it over (`false &&`, a decorator).
 */
function keepsItsPlace(
  path: string,
  B: Outline,
  A: Outline,
  kept: number[],
  matchA: Int32Array,
  matchB: Int32Array,
): string | undefined {
  for (const i of kept) {
    if (B.blank[i]) continue;
    const j = matchB[i]!;
    const ob = B.opener[i]!;
    const oa = A.opener[j]!;
    if (!(ob < 0 ? oa < 0 : oa >= 0 && matchA[oa] === ob)) {
      return oa >= 0 && matchA[oa]! < 0
        ? `wraps existing test code in a new block in ${at(path, oa, A.raw[oa]!)}; ${APPEND_ONLY}`
        : `moves existing test code to another block in ${at(path, j, A.raw[j]!)}; ${APPEND_ONLY}`;
    }
    const ia = A.item[j]!;
    if (B.start[i] !== A.start[j] || (ia >= 0 && matchA[ia] !== B.item[i])) {
      const owner = ia >= 0 && matchA[ia]! < 0 ? ia : j;
      return `turns existing test code into part of a new statement in ${at(path, owner, A.raw[owner]!)}; ${APPEND_ONLY}`;
    }
  }
  return undefined;
}

function placementFailure(
  path: string,
  B: Outline,
  A: Outline,
  kept: number[],
  keptText: string[],
  aIdx: number[],
  aText: string[],
  allowed: Uint8Array,
): string {
  const lost = firstLostLine(keptText, aText);
  if (lost >= 0) {
    return `changes existing test code in ${at(path, kept[lost]!, B.raw[kept[lost]!]!)}; ${APPEND_ONLY}`;
  }
  // Every existing line survives, so lines were inserted where none may go.
  // Aligned line by line, does one wrap existing code? That says more.
  const matchB = new Int32Array(B.raw.length).fill(-1);
  const matchA = new Int32Array(A.raw.length).fill(-1);
  for (let k = 0, q = 0; k < kept.length; k++, q++) {
    while (aText[q] !== keptText[k]) q++;
    matchB[kept[k]!] = aIdx[q]!;
    matchA[aIdx[q]!] = kept[k]!;
  }
  const moved = keepsItsPlace(path, B, A, kept, matchA, matchB);
  if (moved) return moved;
  let q = 0;
  for (let k = 0; k <= kept.length; k++) {
    const from = q;
    if (k < kept.length) while (q < aText.length && aText[q] !== keptText[k]) q++;
    else q = aText.length;
    if (q > from && !allowed[k]) {
      const j = aIdx[from]!;
      const neuters = neuteringIn(path, B.lang, A, j);
      if (neuters) return neuters;
      const owner = k > 0 && k < kept.length ? enclosingTest(B, kept[k - 1]!) : -1;
      if (owner >= 0 && owner === enclosingTest(B, kept[k]!)) {
        return `adds code inside the existing ${testName(B, owner)} in ${at(path, j, A.raw[j]!)}; ${APPEND_ONLY}`;
      }
      return `adds code between existing tests in ${at(path, j, A.raw[j]!)}; ${APPEND_ONLY} (new tests go after the existing ones, imports at the top)`;
    }
    q++;
  }
  return `adds code between or inside existing tests in ${path}; ${APPEND_ONLY}`;
}

/** The innermost test or hook around a line, or -1. */
function enclosingTest(B: Outline, line: number): number {
  for (let s = B.item[line]!, depth = 0; s >= 0 && depth <= MAX_DEPTH; depth++) {
    const kind = B.kindOf(s);
    if (kind === 'test' || kind === 'hook') return s;
    const o = B.opener[s]!;
    if (o < 0) return -1;
    s = B.item[o]!;
  }
  return -1;
}

/** How a message names an existing item: `test 'adds' (line 5)`. */
function testName(B: Outline, s: number): string {
  const head = B.headOf(s);
  const named = /\b(?:def|fn|func|void|fun)\s+(\w+)/.exec(head)?.[1];
  const title = named ?? /['"`]([^'"`\n]{1,60})['"`]/.exec(head)?.[1];
  const callee = /^([\w$.]+)\s*\(/.exec(head.split('\n').pop() ?? '')?.[1];
  const what = B.kindOf(s) === 'hook' && callee ? `${callee} hook` : KIND_NAME[B.kindOf(s)];
  return `${what}${title ? ` '${title}'` : ''} (line ${s + 1})`;
}

function regionMask(o: Outline, regions: Array<[number, number]>): Uint8Array {
  const mask = new Uint8Array(o.raw.length);
  for (const [s, e] of regions) mask.fill(1, s, e + 1);
  return mask;
}

/** The code of a statement: its start line and the lines that belong to it. */
function itemText(o: Outline, s: number): string {
  const parts: string[] = [];
  for (let i = s; i < o.raw.length && parts.length < 40; i++) {
    if (o.blank[i]) continue;
    if (i !== s && o.item[i] !== s) break;
    parts.push(o.code[i]!.trim());
  }
  return parts.join('\n');
}

/** Names a statement binds at its own level (declarations, imports). */
function boundNames(text: string, lang: CodeLanguage | undefined): string[] {
  const out: string[] = [];
  const add = (list: string | undefined, local = /(?:\bas\s+|:\s*)([\w$]+)\s*$|^\s*([\w$]+)/) => {
    for (const part of (list ?? '').split(',')) {
      const m = local.exec(part.replace(/=.*$/s, '').trim());
      const name = m?.[1] ?? m?.[2];
      if (name) out.push(name);
    }
  };
  switch (lang) {
    case 'js': {
      const t = text.replace(/^export\s+(?:default\s+)?(?:declare\s+)?/, '');
      const decl = /^(?:async\s+)?(?:function\*?\s*|class\s+|(?:const|let|var)\s+)([\w$]+)/.exec(t);
      if (decl) out.push(decl[1]!);
      const destructured = /^(?:const|let|var)\s*\{([^}]*)\}/.exec(t);
      if (destructured) add(destructured[1]);
      const def = /^import\s+(?!type\b)([\w$]+)/.exec(t);
      if (def) out.push(def[1]!);
      const named = /^import\s+(?:[\w$]+\s*,\s*)?\{([^}]*)\}/.exec(t);
      if (named) add(named[1], /(?:\bas\s+)([\w$]+)\s*$|^\s*([\w$]+)\s*$/);
      const star = /^import\s+\*\s+as\s+([\w$]+)/.exec(t);
      if (star) out.push(star[1]!);
      break;
    }
    case 'python': {
      const main = text.split('\n').find((l) => !l.startsWith('@')) ?? '';
      const decl =
        /^(?:async\s+)?(?:def|class)\s+(\w+)/.exec(main) ?? /^(\w+)\s*(?::[^=]*)?=(?!=)/.exec(main);
      if (decl) out.push(decl[1]!);
      const from = /^from\s+\S+\s+import\s+\(?([^)]*)\)?/.exec(main);
      if (from) add(from[1]);
      const imp = /^import\s+(.+)$/.exec(main);
      if (imp) add(imp[1]!.replace(/\.\w+/g, ''));
      break;
    }
    case 'go': {
      const decl = /^(?:func|var|const|type)\s+(\w+)/.exec(text);
      if (decl) out.push(decl[1]!);
      break;
    }
    case 'rust': {
      const main = text.split('\n').find((l) => !l.startsWith('#')) ?? '';
      const decl = /^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?fn\s+(\w+)/.exec(main);
      if (decl) out.push(decl[1]!);
      break;
    }
    default:
      break;
  }
  return out;
}

const FRAMEWORK_NAMES = [
  'test',
  'it',
  'describe',
  'suite',
  'context',
  'specify',
  'expect',
  'assert',
  'should',
  'beforeEach',
  'afterEach',
  'beforeAll',
  'afterAll',
  'before',
  'after',
];
/** Modules the test functions may legitimately be imported from. */
const FRAMEWORK_MODULE =
  /(?:\bfrom\s*|\brequire\s*\(\s*)['"](?:@jest\/globals|vitest|node:test|node:assert(?:\/strict)?|assert(?:\/strict)?|chai|mocha|ava|tap|tape|uvu(?:\/assert)?|expect|@playwright\/test|bun:test|@std\/(?:assert|expect|testing\/bdd))['"]/;

/** Test-framework names the existing code calls (`expect(`, `assert.equal(`). */
function frameworkNamesUsed(o: Outline): Set<string> {
  const used = new Set<string>();
  const text = o.code.join('\n');
  for (const name of FRAMEWORK_NAMES)
    if (new RegExp(`(?<![\\w$.])${name}\\s*[.(]`).test(text)) used.add(name);
  return used;
}

// ---------------------------------------------------------------------------
// Rule b: neutering constructs in added test code

function neutered(c: Construct, path: string, j: number, line: string): string {
  return `adds ${c.name} (${c.category}) to ${at(path, j, line)}; ${MUST_FAIL}`;
}

function neuteringIn(
  path: string,
  lang: CodeLanguage | undefined,
  A: Outline,
  j: number,
): string | undefined {
  if (!lang) return undefined;
  const code = A.code[j]!;
  for (const c of NEUTERING) {
    if (!applies(c, lang) || !c.re.test(c.raw ? A.raw[j]! : code)) continue;
    if (c.where === 'declaration' && !inDeclarationHead(A, j) && !runsAtLoad(A, j)) continue;
    return neutered(c, path, j, A.raw[j]!);
  }
  return undefined;
}

/** Line j is part of a test or group declaration's own arguments, not of a callback body. */
function inDeclarationHead(A: Outline, j: number): boolean {
  for (let l = j, depth = 0; depth <= MAX_DEPTH; depth++) {
    const s = A.item[l]!;
    if (s < 0) return false;
    const kind = A.kindOf(s);
    if (kind === 'test' || kind === 'group') return true;
    const o = A.opener[l]!;
    if (o < 0 || /=>|\bfunction\b/.test(A.code[o]!)) return false;
    l = o;
  }
  return false;
}

/** Multi-line constructs, on a run of consecutive added lines. */
function multiline(
  path: string,
  lang: CodeLanguage | undefined,
  A: Outline,
  run: number[],
): string | undefined {
  if (!lang || run.length < 2) return undefined;
  const text = run.map((j) => A.code[j]).join('\n');
  for (const c of NEUTERING_MULTILINE) {
    if (!applies(c, lang)) continue;
    const m = c.re.exec(text);
    if (!m) continue;
    const line = run[text.slice(0, m.index).split('\n').length - 1]!;
    return neutered(c, path, line, A.raw[line]!);
  }
  return undefined;
}

/** Assignments into another object (a module, a global) as a statement. */
const PATCH: Partial<Record<CodeLanguage, RegExp>> = {
  js: /^(?!process\s*\.\s*env\b)[\w$]+(?:\s*\.\s*[\w$]+|\s*\[[^\]]+\])+\s*(?:[-+*/%&|^]|\*\*|&&|\|\||\?\?)?=(?![=>])|^Object\s*\.\s*(?:assign|defineProperty|defineProperties|setPrototypeOf)\s*\(/,
  python:
    /^(?!os\s*\.\s*environ\b)[A-Za-z_]\w*(?:\s*\.\s*\w+|\s*\[[^\]]+\])+\s*(?:[-+*/%&|^]|\*\*|\/\/)?=(?!=)/,
};

/**
 * What runs when the file loads, outside any test or hook, and changes what
 * every test sees: a module-wide mock, or a patch of another module.
 */
function loadTimeEffect(
  path: string,
  lang: CodeLanguage | undefined,
  A: Outline,
  j: number,
): string | undefined {
  if (!lang || !runsAtLoad(A, j)) return undefined;
  const code = A.code[j]!;
  for (const c of MODULE_WIDE) {
    if (applies(c, lang) && c.re.test(code)) {
      return `adds ${c.name} (${c.category}) outside any test or hook in ${at(path, j, A.raw[j]!)}; it would change what every test sees: a human must approve this`;
    }
  }
  const patch = PATCH[lang];
  if (patch && A.start[j] && patch.test(code.trim())) {
    return `patches another module when the file loads, outside any test or hook, in ${at(path, j, A.raw[j]!)}; it would change what every test sees: a human must approve this`;
  }
  return undefined;
}

const FUNCTION_HEAD =
  /^(?:export\s+)?(?:default\s+)?(?:async\s+)?function\b|^(?:export\s+)?(?:const|let|var)\s+[\w$]+\s*(?::[^=]+)?=\s*(?:async\s+)?(?:function\b|\([^)]*\)\s*(?::[^=]+)?=>|[\w$]+\s*=>)|(?:^|\n)(?:async\s+)?def\s|\bfn\s|^func\b/;

/** Nesting beyond this is not read: what it holds counts as run at load time. */
const MAX_DEPTH = 200;

/** True when line j runs as the file is loaded: no test, hook or function body encloses it. */
function runsAtLoad(A: Outline, j: number): boolean {
  const own = A.item[j]!;
  if (own >= 0 && (A.kindOf(own) === 'test' || A.kindOf(own) === 'hook')) return false;
  for (let o = A.opener[j]!, depth = 0; o >= 0; depth++) {
    if (depth > MAX_DEPTH) return true;
    const w = A.item[o]!;
    const kind = A.kindOf(w);
    if (kind === 'test' || kind === 'hook') return false;
    if (kind === 'decl' && (A.lang === 'jvm' || A.lang === 'c' || FUNCTION_HEAD.test(A.headOf(w))))
      return false;
    o = A.opener[w]!;
  }
  return true;
}

// ---------------------------------------------------------------------------
// New test code: rule b on every line, plus what a new file may not do

function checkNewCode(
  path: string,
  lang: CodeLanguage | undefined,
  A: Outline,
  mode: 'new-test' | 'rust-source',
): string | undefined {
  const mask = mode === 'rust-source' ? regionMask(A, rustTestRegions(A)) : undefined;
  let run: number[] = [];
  for (let j = 0; j < A.raw.length; j++) {
    if (A.raw[j]!.trim() === '') continue;
    if (mask && !mask[j]) {
      const why = multiline(path, lang, A, run);
      if (why) return why;
      run = [];
      continue;
    }
    run.push(j);
    if (A.blank[j]) continue;
    const why = neuteringIn(path, lang, A, j) ?? loadTimeEffect(path, lang, A, j);
    if (why) return why;
    if (
      A.start[j] &&
      A.opener[j] === -1 &&
      A.kindOf(j) === 'hook' &&
      (lang === 'js' || lang === 'go')
    ) {
      return lang === 'js'
        ? `adds a top-level hook to the new test file ${at(path, j, A.raw[j]!)}; mocha runs root hooks around every test of the suite: put it inside a describe, or a human must approve this`
        : `adds ${A.raw[j]!.includes('TestMain') ? 'TestMain' : 'init()'} to ${at(path, j, A.raw[j]!)}; it runs around every test of the package: a human must approve this`;
    }
  }
  return multiline(path, lang, A, run);
}

// ---------------------------------------------------------------------------
// Rule c: a new test file tests something

/** Modules a Python test imports that are not the code under test. */
const PY_NOT_UNDER_TEST = new Set([
  '__future__',
  'unittest',
  'pytest',
  'hypothesis',
  'mock',
  'os',
  'sys',
  're',
  'json',
  'typing',
  'pathlib',
  'tempfile',
  'io',
  'math',
  'random',
  'time',
  'datetime',
  'collections',
  'itertools',
  'functools',
  'dataclasses',
  'subprocess',
  'shutil',
  'string',
  'textwrap',
  'logging',
  'contextlib',
  'asyncio',
  'doctest',
  'copy',
  'enum',
  'inspect',
  'types',
  'warnings',
]);

function exercisesCode(
  path: string,
  lang: CodeLanguage | undefined,
  A: Outline,
  packageName: string | undefined,
): string | undefined {
  if (!lang || /(^|\/)__init__\.py$/.test(path)) return undefined;
  let declares = false;
  for (let j = 0; j < A.raw.length && !declares; j++)
    declares = A.start[j]! && A.kindOf(j) === 'test';
  if (!declares) {
    return `adds ${path}, a test file that declares no tests; a new test file must test the project's code: a human must approve this`;
  }
  if (lang === 'js') {
    if (jsSpecifiers(A).some((s) => isCodeUnderTest(path, s, packageName))) return undefined;
    const pkg = packageName ? ` or of the package '${packageName}'` : '';
    return `adds ${path}, a test file that imports none of the code under test (no relative import outside the test helpers${pkg}); a new test must exercise the project's code: a human must approve this`;
  }
  if (lang === 'python') {
    if (
      pythonModules(A).some(
        (mod) => mod.startsWith('.') || !PY_NOT_UNDER_TEST.has(mod.split('.')[0]!),
      )
    ) {
      return undefined;
    }
    return `adds ${path}, a test file that imports none of the code under test (only ${[...PY_NOT_UNDER_TEST].slice(0, 3).join('/')}-like modules); a new test must exercise the project's code: a human must approve this`;
  }
  // go test files live in the package under test; Rust, JVM and C tests
  // compile against it.
  return undefined;
}

function jsSpecifiers(A: Outline): string[] {
  const out: string[] = [];
  let typeOnly = false;
  const patterns = [
    /\bfrom\s*(['"])([^'"\n]+)\1/g,
    /\bimport\s*(['"])([^'"\n]+)\1/g,
    /\b(?:require|requireActual|importActual|import)\s*\(\s*(['"`])([^'"`\n]+)\1\s*\)/g,
  ];
  for (const line of A.code) {
    const t = line.trim();
    if (/^(?:import|export)\s+type\b/.test(t)) typeOnly = true;
    for (const re of patterns) {
      for (const m of t.matchAll(re)) {
        if (!(typeOnly && re === patterns[0])) out.push(m[2]!);
      }
    }
    if (/\bfrom\s*['"]/.test(t) || /^(?:import|export)\s+type\b.*;\s*$/.test(t)) typeOnly = false;
  }
  return out;
}

function isCodeUnderTest(path: string, spec: string, packageName: string | undefined): boolean {
  if (spec.startsWith('.')) {
    const target = posix.normalize(posix.join(posix.dirname(path), spec));
    return target !== '..' && !target.startsWith('../') && !isTestFile(target);
  }
  if (spec.startsWith('#')) return true; // package.json "imports": the package's own code
  return packageName !== undefined && (spec === packageName || spec.startsWith(`${packageName}/`));
}

function pythonModules(A: Outline): string[] {
  const out: string[] = [];
  for (const line of A.code) {
    const from = /^\s*from\s+(\S+)\s+import\b/.exec(line);
    if (from) out.push(from[1]!);
    const imp = /^\s*import\s+(.+)$/.exec(line);
    if (imp) for (const part of imp[1]!.split(',')) out.push(part.trim().split(/\s+/)[0]!);
    const dyn = /\bimport_module\s*\(\s*['"]([\w.]+)['"]/.exec(line);
    if (dyn) out.push(dyn[1]!);
  }
  return out.filter(Boolean);
}

// ---------------------------------------------------------------------------
// Coverage exclusions, in any source file

function coverageExclusion(
  path: string,
  before: string | null,
  after: string | null,
): string | undefined {
  if (after === null || codeLanguage(path) === undefined) return undefined;
  const hint = /ignore|disable|cover|EXCL|coverage/;
  const prior = new Map<string, number>();
  for (const line of (before ?? '').split('\n')) {
    if (hint.test(line)) prior.set(line.trim(), (prior.get(line.trim()) ?? 0) + 1);
  }
  const lines = after.split('\n');
  for (let j = 0; j < lines.length; j++) {
    const line = lines[j]!;
    if (!hint.test(line)) continue;
    const c = COVERAGE_EXCLUSIONS.find((x) => x.re.test(line));
    if (!c) continue;
    const left = prior.get(line.trim()) ?? 0;
    if (left > 0) {
      prior.set(line.trim(), left - 1);
      continue;
    }
    return `adds a coverage exclusion (${c.name}) to ${at(path, j, line)}; hiding code from coverage needs a human's approval`;
  }
  return undefined;
}
