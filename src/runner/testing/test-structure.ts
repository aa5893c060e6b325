// The outline of a source file as the test-integrity rules need it: for
// every line, the block it sits in and the statement it belongs to; for
// every statement, what it is (a test, a group of tests, a hook that runs
// around tests, an import, a declaration, anything else). Nesting comes from
// brackets (indentation for Python) on the lexed skeleton, so strings and
// comments cannot fake it. Heuristic by design: it reads the common shapes of
// test files, and the rules built on it refuse what it cannot place.
import type { CodeLanguage } from '../files/kinds.ts';
import { lex } from '../files/lex.ts';

export type ItemKind = 'test' | 'group' | 'hook' | 'import' | 'decl' | 'other';

export interface Outline {
  lang: CodeLanguage | undefined;
  /** Raw lines, trailing whitespace dropped. */
  raw: string[];
  /** Lines with comments blanked; strings kept. */
  code: string[];
  /** No code on the line (blank or comment only). */
  blank: boolean[];
  /** The line that opened the enclosing block, -1 at top level. */
  opener: Int32Array;
  /** Starts a statement (item) of its block. */
  start: boolean[];
  /** The start line of the statement a line belongs to. */
  item: Int32Array;
  /** Per block-opening line: the last line of its block (the closer for braces). */
  blockEnd: Int32Array;
  /** Block-opening line (-1: top level) → start lines of its statements, in order. */
  children: Map<number, number[]>;
  kindOf(start: number): ItemKind;
  /** The statement's opening text: attributes/decorators and its first line. */
  headOf(start: number): string;
}

const BRACE_LANGS = new Set<CodeLanguage>(['js', 'go', 'rust', 'jvm', 'c']);
const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);
/** A line ending in one of these continues onto the next (C-like languages). */
const CONTINUES = /(?:[,=*/%&|^?.<>]|(?<!\+)\+|(?<!-)-)\s*$/;
/** A line starting with one of these continues the previous one. */
const CONTINUATION = /^(?:\.(?!\.\.)|\?\.|\?\?|&&|\|\||[+\-*/%&|^=<>?,:](?![+-]))/;
/** Lines that start an attribute, decorator or annotation of the next item. */
const ATTR_START = /^(?:#\[|@[\w.$]|\[[A-Z][\w.]*(?:\(.*\))?\]\s*$)/;

export function outline(text: string, lang: CodeLanguage | undefined): Outline {
  const rawLines = text.split('\n').map((l) => l.trimEnd());
  const n = rawLines.length;
  const lexed = lang ? lex(text, lang) : undefined;
  const code = lexed ? lexed.code.map((l) => l.trimEnd()) : rawLines;
  const skel = lexed ? lexed.skeleton.map((l) => l.trimEnd()) : rawLines;
  const carried = lexed?.carried ?? new Uint8Array(n);
  const blank = code.map((l) => l.trim() === '');
  const opener = new Int32Array(n).fill(-1);
  const openerCh: string[] = new Array<string>(n).fill('');
  const start: boolean[] = new Array<boolean>(n).fill(false);
  const blockEnd = new Int32Array(n).fill(-1);

  const prevCode = (i: number) => {
    for (let p = i - 1; p >= 0; p--) if (!blank[p]) return p;
    return -1;
  };

  // The statement each line belongs to: a start is its own; a line inside
  // parentheses or a closer belongs to its opener's; a continuation to the
  // previous line's. `attrOnly`: the statement so far is only attributes
  // (`#[test]`, `@Test`, `@pytest.mark.parametrize(...)`), so the next line
  // at its level continues it.
  const item = new Int32Array(n).fill(-1);
  const attrOnly = new Uint8Array(n);
  const assign = (i: number) => {
    const s = skel[i]!.trim();
    const o = opener[i]!;
    const trimmed = code[i]!.trim();
    if (start[i]) {
      item[i] = i;
      attrOnly[i] = ATTR_START.test(trimmed) && !/[;{}:]$/.test(s) ? 1 : 0;
    } else if (o >= 0 && (openerCh[i] === '(' || openerCh[i] === '[' || CLOSE.has(s[0] ?? ''))) {
      item[i] = item[o]! >= 0 ? item[o]! : o;
    } else {
      const p = prevCode(i);
      item[i] = p >= 0 && item[p]! >= 0 ? item[p]! : i;
      if (!ATTR_START.test(trimmed)) attrOnly[item[i]!] = 0;
    }
  };
  /** The previous line's statement is attributes waiting for their item. */
  const awaitsItem = (p: number, i: number) => {
    if (p < 0 || item[p]! < 0) return false;
    const s = item[p]!;
    return (
      attrOnly[s] === 1 &&
      opener[s] === opener[i] &&
      (lang !== 'python' || indentOf(rawLines[s]!) === indentOf(rawLines[i]!))
    );
  };

  if (lang && BRACE_LANGS.has(lang)) {
    const stack: Array<{ line: number; ch: string }> = [];
    for (let i = 0; i < n; i++) {
      const top = stack[stack.length - 1];
      opener[i] = top?.line ?? -1;
      openerCh[i] = top?.ch ?? '';
      if (!blank[i]) {
        if (top) blockEnd[top.line] = i;
        const s = skel[i]!.trim();
        const p = prevCode(i);
        const prevSkel = p >= 0 ? skel[p]!.trim() : '';
        start[i] =
          carried[i] !== 2 &&
          s !== '' &&
          (openerCh[i] === '{' || openerCh[i] === '') &&
          !CLOSE.has(s[0]!) &&
          !CONTINUATION.test(s) &&
          !(p >= 0 && opener[i] !== p && CONTINUES.test(prevSkel) && !prevSkel.endsWith('{')) &&
          !awaitsItem(p, i);
        assign(i);
      }
      for (const ch of skel[i]!) {
        if (OPEN.has(ch)) stack.push({ line: i, ch });
        else if (CLOSE.has(ch)) stack.pop();
      }
    }
  } else if (lang === 'python') {
    const brackets: Array<{ line: number; ch: string }> = [];
    const indents: Array<{ indent: number; line: number }> = [];
    const close = (line: number, last: number) => (blockEnd[line] = Math.max(last, line));
    for (let i = 0; i < n; i++) {
      if (blank[i]) continue;
      const p = prevCode(i);
      const top = brackets[brackets.length - 1];
      if (top) {
        opener[i] = top.line;
        openerCh[i] = top.ch;
      } else if (carried[i] === 2 || (p >= 0 && code[p]!.endsWith('\\'))) {
        opener[i] = p;
        openerCh[i] = '(';
      } else {
        const indent = indentOf(rawLines[i]!);
        while (indents.length && indents[indents.length - 1]!.indent >= indent) {
          close(indents.pop()!.line, p);
        }
        const parent = indents[indents.length - 1];
        opener[i] = parent?.line ?? -1;
        openerCh[i] = parent ? ':' : '';
        start[i] = !awaitsItem(p, i);
        indents.push({ indent, line: i });
      }
      assign(i);
      for (const ch of skel[i]!) {
        if (OPEN.has(ch)) brackets.push({ line: i, ch });
        else if (CLOSE.has(ch)) brackets.pop();
      }
    }
    const last = prevCode(n);
    for (const { line } of indents) close(line, last);
  } else {
    // No structure known: every code line is a top-level statement.
    for (let i = 0; i < n; i++) {
      start[i] = !blank[i];
      if (start[i]) item[i] = i;
    }
  }

  const children = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (!start[i]) continue;
    const list = children.get(opener[i]!) ?? [];
    list.push(i);
    children.set(opener[i]!, list);
  }

  const heads = new Map<number, string>();
  const headOf = (s: number): string => {
    let h = heads.get(s);
    if (h !== undefined) return h;
    // The attributes, then the item's own first line.
    const parts: string[] = [];
    for (let i = s; i < n && parts.length < 40; i++) {
      if (blank[i]) continue;
      if (i !== s && item[i] !== s) break;
      const line = code[i]!.trim();
      parts.push(line);
      const level = opener[i] === opener[s] && !CLOSE.has(skel[i]!.trim()[0] ?? '');
      if (level && !ATTR_START.test(line)) break;
    }
    h = parts.join('\n');
    heads.set(s, h);
    return h;
  };
  const kinds = new Map<number, ItemKind>();
  const kindOf = (s: number): ItemKind => {
    let k = kinds.get(s);
    if (k === undefined) {
      k = classify(headOf(s), lang);
      kinds.set(s, k);
    }
    return k;
  };

  return {
    lang,
    raw: rawLines,
    code,
    blank,
    opener,
    start,
    item,
    blockEnd,
    children,
    kindOf,
    headOf,
  };
}

function indentOf(line: string): number {
  let w = 0;
  for (const c of line) {
    if (c === ' ') w++;
    else if (c === '\t') w = (Math.floor(w / 8) + 1) * 8;
    else break;
  }
  return w;
}

/** Splits a head into its attribute lines and the item's own first line. */
function split(head: string): { attrs: string; main: string } {
  const lines = head.split('\n');
  const main = lines.pop() ?? '';
  return { attrs: lines.join('\n'), main };
}

const JS = {
  hook: /^(?:await\s+)?(?:(?:before|after)(?:Each|All)?|setup|teardown|suiteSetup|suiteTeardown)\s*\(|^(?:await\s+)?(?:test|t)\s*\.\s*(?:before|after)(?:Each)?\b/,
  group:
    /^(?:await\s+)?(?:describe|suite|context|(?:test|Deno\.test)\s*\.\s*describe)\b\s*(?:\.\s*[\w$]+\s*)*[(`]/,
  test: /^(?:await\s+)?(?:it|test|specify|bench|tape|Deno\s*\.\s*test|tap\s*\.\s*test|t\s*\.\s*test)\b\s*(?:\.\s*[\w$]+\s*)*[(`]/,
  import:
    /^(?:import\b(?!\s*\()|export\s+(?:\*|\{[^}]*\})\s*from\b|(?:const|let|var)\s+[^=]+=\s*(?:await\s+)?(?:require|import)\s*\(|require\s*\(|['"]use strict['"])/,
  decl: /^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:function\b|class\b|const\b|let\b|var\b|type\b|interface\b|enum\b|abstract\s+class\b|namespace\b)/,
};

const PY = {
  hook: /\bdef\s+(?:setUp|tearDown|setUpClass|tearDownClass|setUpModule|tearDownModule|setup_method|teardown_method|setup_class|teardown_class|setup_module|teardown_module|setup_function|teardown_function|setup|teardown)\s*\(|\bautouse\s*=\s*True\b|^(?:pytestmark|__test__)\s*=/,
  test: /^(?:async\s+)?def\s+test\w*\s*\(/,
  group: /^class\s+(?:\w*[Tt]est\w*|\w+\s*\([^)]*TestCase[^)]*\))/,
  import: /^(?:import|from)\s|^[rRbBuUfF]*(?:"""|'''|"|')/,
  decl: /^(?:async\s+)?def\s|^class\s|^[A-Za-z_]\w*\s*(?::[^=]*)?=(?!=)/,
};

function classify(head: string, lang: CodeLanguage | undefined): ItemKind {
  const { attrs, main } = split(head);
  switch (lang) {
    case 'js': {
      const m = main.replace(
        /^export\s+(?=(?:default\s+)?(?:async\s+)?function|class|const|let|var)/,
        '',
      );
      if (JS.hook.test(m)) return 'hook';
      if (JS.group.test(m)) return 'group';
      if (JS.test.test(m)) return 'test';
      if (JS.import.test(m)) return 'import';
      if (JS.decl.test(m) || /^@/.test(attrs)) return 'decl';
      return 'other';
    }
    case 'python':
      if (PY.hook.test(head)) return 'hook';
      if (PY.test.test(main)) return 'test';
      if (PY.group.test(main)) return 'group';
      if (PY.import.test(main)) return 'import';
      if (PY.decl.test(main)) return 'decl';
      return 'other';
    case 'go':
      if (/^func\s+(?:TestMain|init)\s*\(/.test(main)) return 'hook';
      if (/^func\s+(?:Test|Benchmark|Example|Fuzz)\w*\s*\(/.test(main)) return 'test';
      if (/^(?:package|import)\b/.test(main)) return 'import';
      if (/^(?:func|type|var|const)\b/.test(main)) return 'decl';
      return 'other';
    case 'rust':
      if (/#\s*\[\s*ctor\b/.test(head)) return 'hook';
      if (
        /#\s*\[\s*(?:\w+\s*::\s*)*(?:test|rstest|test_case|quickcheck)\b/.test(head) ||
        /^proptest!/.test(main)
      )
        return 'test';
      if (/^(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{/.test(main)) return 'group';
      if (
        /^(?:pub(?:\([^)]*\))?\s+)?(?:use|extern\s+crate)\b|^(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*;|^#!\[/.test(
          main,
        )
      )
        return 'import';
      if (
        /^(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?(?:const\s+)?(?:fn|struct|enum|impl|trait|type|const|static|macro_rules!|union)\b/.test(
          main,
        )
      )
        return 'decl';
      return 'other';
    case 'jvm':
      if (
        /@\s*(?:Before|After)(?:Each|All|Class|Method|Test|Suite|Groups)?\b|\[\s*(?:SetUp|TearDown|OneTimeSetUp|OneTimeTearDown|TestInitialize|TestCleanup|ClassInitialize|ClassCleanup|AssemblyInitialize)\b/.test(
          head,
        ) ||
        /^(?:static\s*)?\{|^init\s*\{|\b(?:setUp|tearDown|setUpBeforeClass|tearDownAfterClass)\s*\(/.test(
          main,
        )
      )
        return 'hook';
      if (
        /@\s*(?:Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|Property|Theory)\b|\[\s*(?:Test|Fact|Theory|TestMethod|TestCase)\b/.test(
          head,
        ) ||
        /\b(?:func|function|fun|void)\s+test\w*\s*\(/.test(main)
      )
        return 'test';
      if (/^(?:package|import|using|<\?php|use\s+[\w\\]+\s*;|namespace\s+[\w.\\]+\s*;)/.test(main))
        return 'import';
      if (/\b(?:class|object|struct)\s+\w+/.test(main) && !/[=;]\s*$/.test(main)) return 'group';
      return 'decl';
    case 'c':
      if (
        /^(?:TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P|TEST_CASE|SCENARIO|BOOST_AUTO_TEST_CASE|BOOST_FIXTURE_TEST_CASE|START_TEST|CTEST)\s*\(/.test(
          main,
        )
      )
        return 'test';
      if (/^(?:namespace\b|BOOST_AUTO_TEST_SUITE\b|TEST_SUITE\b)/.test(main)) return 'group';
      if (/^#\s*(?:include|import)\b|^using\b/.test(main)) return 'import';
      return 'decl';
    case 'script':
      if (/^(?:it|test|specify|scenario|describe|context|feature|def\s+test_\w*)\b/.test(main))
        return 'test';
      if (/^(?:require|require_relative|load|import|use|source|alias)\b|^\.\s/.test(main))
        return 'import';
      return 'other';
    default:
      return 'other';
  }
}
