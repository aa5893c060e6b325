// package.json and pyproject.toml mix what an improvement may change (a
// description, a version, a tool's unrelated settings) with what decides how
// tests run and what gets installed. These rules compare such a file before
// and after a change, section by section: the test harness never changes,
// dependencies change only in a `dependencies` improvement.
import type { ImprovementType } from '../../crds/index.ts';
import type { FileChange } from '../files/change.ts';
import { isHarnessScript, mayChangeDependencies } from '../files/kinds.ts';

/** package.json keys that decide what gets installed, and with which toolchain. */
export const PACKAGE_DEPENDENCY_KEYS = [
  'dependencies',
  'devDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'optionalDependencies',
  'bundleDependencies',
  'bundledDependencies',
  'dependenciesMeta',
  'overrides',
  'resolutions',
  'pnpm',
  'packageManager',
  'engines',
  'devEngines',
  'volta',
  'workspaces',
  'trustedDependencies',
  'patchedDependencies',
  'allowScripts',
] as const;

/** package.json keys that configure a test runner or coverage tool in place (or npm's `config`). */
export const PACKAGE_RUNNER_CONFIG_KEYS = [
  'jest',
  'ava',
  'c8',
  'nyc',
  'mocha',
  'tap',
  'vitest',
  'config',
] as const;

type Json = Record<string, unknown>;

const own = (o: Json, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function parseManifest(text: string | null): Json | undefined {
  if (text === null) return {}; // created or deleted: compared with nothing
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Script names the harness depends on: isHarnessScript names, every script
 * they run (by name, `npm run x`, `run-s x:*`…), transitively, and the
 * pre/post hooks of all of them.
 */
export function harnessScripts(...scripts: Json[]): Set<string> {
  const names = new Set(scripts.flatMap((s) => Object.keys(s)));
  const seen = new Set<string>(); // command tokens already looked up
  const commands = (n: string) =>
    scripts.map((s) => own(s, n)).filter((c): c is string => typeof c === 'string');
  const found = new Set<string>();
  const queue = [...names].filter(isHarnessScript);
  while (queue.length > 0) {
    const n = queue.pop()!;
    if (found.has(n)) continue;
    found.add(n);
    for (const hook of [`pre${n}`, `post${n}`]) if (names.has(hook)) queue.push(hook);
    for (const cmd of commands(n)) {
      for (const token of cmd.split(/[\s"'`&|;()<>=,]+/)) {
        if (token === '' || seen.has(token)) continue;
        seen.add(token);
        if (!token.includes('*')) {
          if (names.has(token)) queue.push(token);
        } else {
          for (const m of names) if (wildcard(token, m)) queue.push(m);
        }
      }
    }
  }
  return found;
}

/** Whether `name` matches `pattern`, where `*` stands for any run of characters (no regex: no backtracking blow-up). */
export function wildcard(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** Why a change to a package.json is not allowed for `type`, or undefined. */
export function packageJsonViolation(type: ImprovementType, c: FileChange): string | undefined {
  const before = parseManifest(c.before);
  if (!before) return `path ${c.path} does not parse as a JSON object; it may not change`;
  const after = parseManifest(c.after);
  if (!after) return `path ${c.path} would no longer parse as a JSON object`;

  const scriptsOf = (m: Json) => {
    const s = own(m, 'scripts');
    return isObject(s) ? s : {};
  };
  const sb = scriptsOf(before);
  const sa = scriptsOf(after);
  if (!same(own(before, 'scripts'), own(after, 'scripts'))) {
    if (!isObject(own(after, 'scripts')) && own(after, 'scripts') !== undefined) {
      return `path ${c.path}: changes scripts into a non-object (test harness scripts)`;
    }
    for (const name of harnessScripts(sb, sa)) {
      if (!same(own(sb, name), own(sa, name))) {
        const how =
          own(sb, name) === undefined
            ? 'adds'
            : own(sa, name) === undefined
              ? 'removes'
              : 'changes';
        return `path ${c.path}: ${how} scripts.${name} (test harness script)`;
      }
    }
  }
  for (const key of PACKAGE_RUNNER_CONFIG_KEYS) {
    if (!same(own(before, key), own(after, key))) {
      return `path ${c.path}: changes ${key} (embedded test-runner configuration)`;
    }
  }
  if (!mayChangeDependencies(type)) {
    for (const key of PACKAGE_DEPENDENCY_KEYS) {
      if (!same(own(before, key), own(after, key))) {
        return `path ${c.path}: changes ${key}; only a dependencies or security improvement may`;
      }
    }
  }
  return undefined;
}

// --- pyproject.toml -------------------------------------------------------

/** Tables (and keys below them) that configure the test runner and coverage: never changed. */
const PY_HARNESS = ['tool.pytest', 'tool.coverage', 'tool.tox', 'tool.hatch.envs', 'tool.nox'];

/** Tables and keys that decide what gets installed: changed only by a dependencies improvement. */
const PY_DEPENDENCIES = [
  /^project\.(dependencies|optional-dependencies|requires-python)(\.|$)/,
  /^build-system(\.|$)/,
  /^dependency-groups(\.|$)/,
  /^tool\.poetry(\.[^.]+)*\.[^.]*dependencies/,
  /^tool\.pdm(\.[^.]+)*\.[^.]*dependencies/,
  /^tool\.uv(\.|$)/,
];
/** Keys whose value may be an inline table holding one of the PY_DEPENDENCIES. */
const PY_DEPENDENCY_PARENTS = [/^project$/, /^tool\.(poetry|pdm)(\.group(\.[^.]+)?)?$/];

type PyClass = 'harness' | 'dependencies' | undefined;

function classify(name: string, isKey: boolean): PyClass {
  if (PY_HARNESS.some((p) => name.startsWith(p))) return 'harness';
  // `tool = { pytest = … }` or `[tool]` + `hatch = { envs = … }`: an inline table may hold anything.
  if (isKey && PY_HARNESS.some((p) => p.startsWith(`${name}.`))) return 'harness';
  if (PY_DEPENDENCIES.some((re) => re.test(name))) return 'dependencies';
  if (isKey && PY_DEPENDENCY_PARENTS.some((re) => re.test(name))) return 'dependencies';
  return undefined;
}

/** One piece of a TOML document: a table header or a key = value, with the lines that follow it. */
export interface TomlEntry {
  /** Dotted, lower-cased full name: the table for a header, table + key for a key. */
  name: string;
  kind: 'header' | 'key';
  text: string;
}

const BARE = /[A-Za-z0-9_-]+/y;

/** Parses a dotted TOML key at `s[i]`; returns its segments and where it ends. */
function parseKey(s: string, i: number): { key: string[]; end: number } | undefined {
  const key: string[] = [];
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++;
    BARE.lastIndex = i;
    const bare = BARE.exec(s);
    if (bare) {
      key.push(bare[0]);
      i += bare[0].length;
    } else if (s[i] === '"') {
      let out = '';
      let j = i + 1;
      for (; j < s.length && s[j] !== '"'; j++) {
        if (s[j] !== '\\') {
          out += s[j];
          continue;
        }
        const e = s[++j];
        const hex = e === 'u' ? 4 : e === 'U' ? 8 : 0;
        if (hex) {
          const cp = Number.parseInt(s.slice(j + 1, j + 1 + hex), 16);
          if (!/^[0-9A-Fa-f]+$/.test(s.slice(j + 1, j + 1 + hex)) || cp > 0x10ffff)
            return undefined;
          out += String.fromCodePoint(cp);
          j += hex;
        } else {
          out +=
            { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\' }[
              e ?? ''
            ] ?? '';
        }
      }
      if (j >= s.length) return undefined;
      key.push(out);
      i = j + 1;
    } else if (s[i] === "'") {
      const j = s.indexOf("'", i + 1);
      if (j < 0) return undefined;
      key.push(s.slice(i + 1, j));
      i = j + 1;
    } else {
      return undefined;
    }
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (s[i] !== '.') return { key, end: i };
    i++;
  }
}

/**
 * Splits a TOML document into header and key entries. Tracks multi-line
 * strings and brackets, so a line inside an array or a string is never taken
 * for a header or a key; a line it cannot read belongs to the entry before.
 */
export function tomlEntries(text: string): TomlEntry[] {
  const entries: TomlEntry[] = [{ name: '', kind: 'header', text: '' }];
  let table = '';
  let str: '"""' | "'''" | undefined;
  let depth = 0;
  for (const line of text.split(/(?<=\n)/)) {
    let started: TomlEntry | undefined;
    if (str === undefined && depth === 0) {
      const lead = /^[ \t]*/.exec(line)![0].length;
      if (line[lead] === '[') {
        const double = line[lead + 1] === '[';
        const k = parseKey(line, lead + (double ? 2 : 1));
        const close = double ? ']]' : ']';
        if (
          k &&
          line.startsWith(close, k.end) &&
          /^[ \t]*(#.*)?\r?\n?$/.test(line.slice(k.end + close.length))
        ) {
          table = k.key.join('.').toLowerCase();
          started = { name: table, kind: 'header', text: '' };
        }
      } else {
        const k = parseKey(line, lead);
        if (k && line[k.end] === '=') {
          const key = k.key.join('.').toLowerCase();
          started = { name: table ? `${table}.${key}` : key, kind: 'key', text: '' };
        }
      }
    }
    if (started) entries.push(started);
    entries[entries.length - 1]!.text += line;
    ({ str, depth } = scanLine(line, str, depth));
  }
  return entries;
}

/** Follows strings, comments and brackets through one line. */
function scanLine(line: string, str: '"""' | "'''" | undefined, depth: number) {
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (str !== undefined) {
      if (str === '"""' && ch === '\\') {
        i++;
      } else if (line.startsWith(str, i)) {
        let n = 3;
        while (n < 5 && line[i + n] === str[0]) n++; // up to two quotes may end the content
        str = undefined;
        i += n - 1;
      }
      continue;
    }
    if (ch === '#') break;
    if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
      str = line.slice(i, i + 3) as '"""' | "'''";
      i += 2;
    } else if (ch === '"' || ch === "'") {
      for (i++; i < line.length && line[i] !== ch && line[i] !== '\n'; i++) {
        if (ch === '"' && line[i] === '\\') i++;
      }
    } else if (ch === '[' || ch === '{') {
      depth++;
    } else if (ch === ']' || ch === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return { str, depth };
}

function sectionsOf(text: string | null, cls: 'harness' | 'dependencies'): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of tomlEntries(text ?? '')) {
    if (classify(e.name, e.kind === 'key') !== cls) continue;
    out.set(e.name, (out.get(e.name) ?? '') + e.text);
  }
  return out;
}

function firstDifference(a: Map<string, string>, b: Map<string, string>): string | undefined {
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(name) !== b.get(name)) return name;
  }
  return undefined;
}

/** Why a change to a pyproject.toml is not allowed for `type`, or undefined. */
export function pyprojectViolation(type: ImprovementType, c: FileChange): string | undefined {
  const harness = firstDifference(sectionsOf(c.before, 'harness'), sectionsOf(c.after, 'harness'));
  if (harness !== undefined) {
    return `path ${c.path}: changes ${harness} (test-runner or coverage configuration)`;
  }
  if (mayChangeDependencies(type)) return undefined;
  const deps = firstDifference(
    sectionsOf(c.before, 'dependencies'),
    sectionsOf(c.after, 'dependencies'),
  );
  if (deps !== undefined) {
    return `path ${c.path}: changes ${deps}; only a dependencies or security improvement may`;
  }
  return undefined;
}
