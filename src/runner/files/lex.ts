// A small lexer for the languages the test-integrity rules read: it tells
// comments and string contents from code, so that a commented-out line is
// not taken for code, a `//` inside a string does not hide the rest of its
// line, and a brace inside a string does not shift the nesting.
import type { CodeLanguage } from './kinds.ts';

export interface Lexed {
  /** Each line with its comments blanked out (strings kept). */
  code: string[];
  /** Each line with comments and string/regex contents blanked (quotes kept). */
  skeleton: string[];
  /** Per line: 0 when it starts in code, 1 inside a block comment, 2 inside a string. */
  carried: Uint8Array;
}

interface Syntax {
  lineComment: string[];
  blockComment: boolean;
  nestedBlocks: boolean;
  quotes: string;
  triple: boolean;
  /** `template`: JS template literal with `${}`; `raw`: Go raw string. */
  backtick: 'template' | 'raw' | 'none';
  regex: boolean;
  /** `'a` is a lifetime, `'a'` a char; `r#"…"#` is a raw string. */
  rust: boolean;
}

const SYNTAX: Record<CodeLanguage, Syntax> = {
  js: {
    lineComment: ['//'],
    blockComment: true,
    nestedBlocks: false,
    quotes: `'"`,
    triple: false,
    backtick: 'template',
    regex: true,
    rust: false,
  },
  python: {
    lineComment: ['#'],
    blockComment: false,
    nestedBlocks: false,
    quotes: `'"`,
    triple: true,
    backtick: 'none',
    regex: false,
    rust: false,
  },
  go: {
    lineComment: ['//'],
    blockComment: true,
    nestedBlocks: false,
    quotes: `'"`,
    triple: false,
    backtick: 'raw',
    regex: false,
    rust: false,
  },
  rust: {
    lineComment: ['//'],
    blockComment: true,
    nestedBlocks: true,
    quotes: '"',
    triple: false,
    backtick: 'none',
    regex: false,
    rust: true,
  },
  jvm: {
    lineComment: ['//'],
    blockComment: true,
    nestedBlocks: false,
    quotes: `'"`,
    triple: true,
    backtick: 'none',
    regex: false,
    rust: false,
  },
  c: {
    lineComment: ['//'],
    blockComment: true,
    nestedBlocks: false,
    quotes: `'"`,
    triple: false,
    backtick: 'none',
    regex: false,
    rust: false,
  },
  script: {
    lineComment: ['#'],
    blockComment: false,
    nestedBlocks: false,
    quotes: `'"`,
    triple: false,
    backtick: 'none',
    regex: false,
    rust: false,
  },
};

/** Characters after which a `/` starts a regular expression, not a division. */
const BEFORE_REGEX = new Set('(,=:[!&|?{};+-*%<>~^'.split(''));
const REGEX_KEYWORDS = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

const isIdent = (c: string | undefined) => c !== undefined && /[\w$]/.test(c);

export function lex(text: string, lang: CodeLanguage): Lexed {
  const s = SYNTAX[lang];
  const n = text.length;
  // Per character: 0 code, 1 comment, 2 string content, 3 string delimiter.
  const kind = new Uint8Array(n);
  let i = 0;
  let lastCode = ''; // last non-space code character
  let lastWord = '';
  // JS template literals nest: `${` opens code inside a template.
  const templates: number[] = [];
  let braces = 0;

  const mark = (from: number, to: number, k: number) => kind.fill(k, from, Math.min(to, n));
  /** Ends a quoted string starting at `from` (after the opening quote); returns the index after it. */
  const quoted = (from: number, q: string, multiline: boolean): number => {
    let j = from;
    while (j < n) {
      const c = text[j];
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (text.startsWith(q, j)) return j;
      if (c === '\n' && !multiline) return j;
      j++;
    }
    return n;
  };

  while (i < n) {
    const c = text[i]!;
    if (c === '\n' || c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    // Template literal continuation: `}` that closes a `${`.
    if (c === '}' && templates.length && templates[templates.length - 1] === braces) {
      templates.pop();
      kind[i] = 3;
      i = template(i + 1);
      continue;
    }
    const line = s.lineComment.find((m) => text.startsWith(m, i));
    if (line) {
      const end = text.indexOf('\n', i);
      mark(i, end < 0 ? n : end, 1);
      i = end < 0 ? n : end;
      continue;
    }
    if (s.blockComment && text.startsWith('/*', i)) {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (text.startsWith('*/', j)) {
          depth--;
          j += 2;
        } else if (s.nestedBlocks && text.startsWith('/*', j)) {
          depth++;
          j += 2;
        } else j++;
      }
      mark(i, j, 1);
      i = j;
      continue;
    }
    if (s.rust && (c === 'r' || c === 'b') && !isIdent(text[i - 1])) {
      const m = /^b?r(#*)"/.exec(text.slice(i, i + 260));
      if (m) {
        const close = `"${m[1]}`;
        const start = i + m[0].length;
        const end = text.indexOf(close, start);
        const stop = end < 0 ? n : end;
        mark(i, start, 3);
        mark(start, stop, 2);
        mark(stop, stop + close.length, 3);
        i = stop + close.length;
        lastCode = '"';
        continue;
      }
    }
    if (s.rust && c === "'") {
      // A char literal ('a', '\n', '\u{1F600}'); otherwise a lifetime.
      const m = /^'(\\(u\{[0-9a-fA-F]{1,6}\}|x[0-9a-fA-F]{2}|.)|[^\\'\n])'/u.exec(
        text.slice(i, i + 14),
      );
      if (m) {
        mark(i, i + 1, 3);
        mark(i + 1, i + m[0].length - 1, 2);
        mark(i + m[0].length - 1, i + m[0].length, 3);
        i += m[0].length;
        lastCode = "'";
        continue;
      }
      i++;
      continue;
    }
    if (
      s.triple &&
      (text.startsWith('"""', i) || (lang === 'python' && text.startsWith("'''", i)))
    ) {
      const q = text.slice(i, i + 3);
      const end = quoted(i + 3, q, true);
      mark(i, i + 3, 3);
      mark(i + 3, end, 2);
      mark(end, end + 3, 3);
      i = end + 3;
      lastCode = '"';
      continue;
    }
    if (s.quotes.includes(c)) {
      const end = quoted(i + 1, c, s.rust);
      mark(i, i + 1, 3);
      mark(i + 1, end, 2);
      if (text[end] === c) kind[end] = 3;
      i = text[end] === c ? end + 1 : end;
      lastCode = c;
      continue;
    }
    if (c === '`' && s.backtick === 'raw') {
      const end = text.indexOf('`', i + 1);
      const stop = end < 0 ? n : end;
      mark(i, i + 1, 3);
      mark(i + 1, stop, 2);
      if (end >= 0) kind[end] = 3;
      i = stop + 1;
      lastCode = '`';
      continue;
    }
    if (c === '`' && s.backtick === 'template') {
      kind[i] = 3;
      i = template(i + 1);
      continue;
    }
    if (
      c === '/' &&
      s.regex &&
      (lastCode === '' || BEFORE_REGEX.has(lastCode) || REGEX_KEYWORDS.has(lastWord))
    ) {
      const end = regexEnd(i + 1);
      if (end > 0) {
        kind[i] = 3;
        mark(i + 1, end, 2);
        kind[end] = 3;
        i = end + 1;
        lastCode = '/';
        lastWord = '';
        continue;
      }
    }
    // Plain code.
    if (c === '{') braces++;
    else if (c === '}') braces--;
    if (isIdent(c)) {
      let j = i;
      while (j < n && isIdent(text[j])) j++;
      lastWord = text.slice(i, j);
      lastCode = text[j - 1]!;
      i = j;
      continue;
    }
    lastWord = '';
    lastCode = c;
    i++;
  }

  /** Scans a template literal body from `from`; returns where code resumes. */
  function template(from: number): number {
    let j = from;
    while (j < n) {
      const c = text[j];
      if (c === '\\') {
        kind[j] = 2;
        if (j + 1 < n) kind[j + 1] = 2;
        j += 2;
        continue;
      }
      if (c === '`') {
        kind[j] = 3;
        lastCode = '`';
        return j + 1;
      }
      if (c === '$' && text[j + 1] === '{') {
        kind[j] = 3;
        kind[j + 1] = 3;
        templates.push(braces);
        lastCode = '{';
        return j + 2;
      }
      kind[j] = 2;
      j++;
    }
    return n;
  }

  /** The closing `/` of a regex literal on this line, or -1 if it is a division. */
  function regexEnd(from: number): number {
    let inClass = false;
    // Longer "regexes" are divisions in practice; the cap keeps this linear.
    for (let j = from; j < n && j < from + 1000; j++) {
      const c = text[j];
      if (c === '\n') return -1;
      if (c === '\\') {
        j++;
        continue;
      }
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) return j === from ? -1 : j;
    }
    return -1;
  }

  const code: string[] = [];
  const skeleton: string[] = [];
  const carried: number[] = [];
  let start = 0;
  while (start <= n) {
    carried.push(start > 0 ? kind[start - 1]! & 3 : 0);
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    let c = '';
    let k = '';
    // Copy runs of one kind at a time: linear, and cheap for plain code.
    let x = start;
    while (x < end) {
      const kd = kind[x]!;
      let y = x + 1;
      while (y < end && kind[y] === kd) y++;
      const run = text.slice(x, y);
      const blank = ' '.repeat(y - x);
      c += kd === 1 ? blank : run;
      k += kd === 1 || kd === 2 ? blank : run;
      x = y;
    }
    code.push(c);
    skeleton.push(k);
    start = end + 1;
  }
  return { code, skeleton, carried: Uint8Array.from(carried, (k) => (k === 3 ? 2 : k)) };
}
