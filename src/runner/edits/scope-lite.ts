// A tokenizer-lite for the languages the scope check reads without a real
// parser: enough to tell comments from string literals and code, and to know
// which whitespace carries meaning (line breaks in Go or shell, indentation
// in Python and YAML, spacing in shell and Swift).
//
// It errs towards code: anything it cannot place is compared verbatim, so a
// misreading refuses a harmless change rather than letting code through as a
// comment. Known limits: heuristics for Ruby's regex and %-literals, C++
// multi-character literals, Swift regex literals and PEP 701 comments inside
// f-string replacement fields.
import { commentToken, type ScopeMode, type Tok } from './scope-tokens.ts';

export type LiteLanguage =
  | 'python'
  | 'shell'
  | 'ruby'
  | 'yaml'
  | 'toml'
  | 'go'
  | 'rust'
  | 'java'
  | 'c'
  | 'csharp'
  | 'kotlin'
  | 'swift'
  | 'scala';

const EXTENSIONS: Record<string, LiteLanguage> = {
  py: 'python',
  pyi: 'python',
  pyw: 'python',
  sh: 'shell',
  bash: 'shell',
  zsh: 'shell',
  ksh: 'shell',
  rb: 'ruby',
  rake: 'ruby',
  gemspec: 'ruby',
  yaml: 'yaml',
  yml: 'yaml',
  toml: 'toml',
  go: 'go',
  rs: 'rust',
  java: 'java',
  c: 'c',
  h: 'c',
  cc: 'c',
  cpp: 'c',
  cxx: 'c',
  'c++': 'c',
  hh: 'c',
  hpp: 'c',
  hxx: 'c',
  'h++': 'c',
  cs: 'csharp',
  kt: 'kotlin',
  kts: 'kotlin',
  swift: 'swift',
  scala: 'scala',
  sc: 'scala',
};

export const LITE_LANGUAGE_NAMES: Record<LiteLanguage, string> = {
  python: 'Python',
  shell: 'shell',
  ruby: 'Ruby',
  yaml: 'YAML',
  toml: 'TOML',
  go: 'Go',
  rust: 'Rust',
  java: 'Java',
  c: 'C/C++',
  csharp: 'C#',
  kotlin: 'Kotlin',
  swift: 'Swift',
  scala: 'Scala',
};

export function liteLanguage(path: string): LiteLanguage | undefined {
  const m = /\.([^./]+)$/.exec(path.toLowerCase());
  return m ? EXTENSIONS[m[1]!] : undefined;
}

interface Spec {
  /** `#` line comments: anywhere outside strings, or only where a word may start. */
  hash?: 'always' | 'word-start';
  /** `//` and `/* *\/` comments; `nested` when block comments nest. */
  slash?: 'flat' | 'nested';
  /** Line breaks end statements: always, only outside brackets, or never. */
  newlines: 'significant' | 'outside-brackets' | 'insignificant';
  /** Leading whitespace: Python's indent/dedent structure, exact, or free. */
  indent: 'python' | 'exact' | 'free';
  /** Whitespace between tokens on a line: free, present-or-not, or exact. */
  spacing: 'free' | 'presence' | 'exact';
  /** `#` lines (C preprocessor) are line-oriented and spacing-sensitive. */
  preprocessor?: boolean;
  /** Backslash-newline: plain whitespace, or kept as a token. */
  continuation: 'whitespace' | 'token';
}

const SPECS: Record<LiteLanguage, Spec> = {
  python: {
    hash: 'always',
    newlines: 'outside-brackets',
    indent: 'python',
    spacing: 'free',
    continuation: 'whitespace',
  },
  shell: {
    hash: 'word-start',
    newlines: 'significant',
    indent: 'free',
    spacing: 'presence',
    continuation: 'token',
  },
  ruby: {
    hash: 'always',
    newlines: 'significant',
    indent: 'free',
    spacing: 'presence',
    continuation: 'whitespace',
  },
  yaml: {
    hash: 'word-start',
    newlines: 'significant',
    indent: 'exact',
    spacing: 'exact',
    continuation: 'token',
  },
  toml: {
    hash: 'always',
    newlines: 'outside-brackets',
    indent: 'free',
    spacing: 'free',
    continuation: 'token',
  },
  go: {
    slash: 'flat',
    newlines: 'significant',
    indent: 'free',
    spacing: 'free',
    continuation: 'token',
  },
  rust: {
    slash: 'nested',
    newlines: 'insignificant',
    indent: 'free',
    spacing: 'free',
    continuation: 'token',
  },
  java: {
    slash: 'flat',
    newlines: 'insignificant',
    indent: 'free',
    spacing: 'free',
    continuation: 'token',
  },
  c: {
    slash: 'flat',
    newlines: 'insignificant',
    indent: 'free',
    spacing: 'free',
    preprocessor: true,
    continuation: 'token',
  },
  csharp: {
    slash: 'flat',
    newlines: 'insignificant',
    indent: 'free',
    spacing: 'free',
    preprocessor: true,
    continuation: 'token',
  },
  kotlin: {
    slash: 'nested',
    newlines: 'significant',
    indent: 'free',
    spacing: 'free',
    continuation: 'token',
  },
  swift: {
    slash: 'nested',
    newlines: 'significant',
    indent: 'free',
    spacing: 'presence',
    continuation: 'token',
  },
  scala: {
    slash: 'nested',
    newlines: 'significant',
    indent: 'free',
    spacing: 'free',
    continuation: 'token',
  },
};

/** Characters after which a `#` starts a comment in word-start languages. */
const HASH_AFTER: Partial<Record<LiteLanguage, string>> = {
  shell: ' \t\r\n;&|()<>',
  yaml: ' \t\r\n',
};

type Prev = 'none' | 'word' | 'kw' | 'open' | 'close' | 'op' | 'str';
interface Ctx {
  prev: Prev;
  /** Whitespace (or a line start) right before this position. */
  spaced: boolean;
}
const EXPR_START: Ctx = { prev: 'open', spaced: false };

interface Interp {
  open: string;
  close: string;
}
interface QuoteOpts {
  escapes: boolean;
  multiline: boolean;
  /** The closing quote doubled is an escaped quote (YAML '', C# verbatim ""). */
  doubled?: boolean;
  interp?: Interp[];
}

interface Heredoc {
  delim: string;
  /** The terminator may be indented. */
  indented: boolean;
}

const RUBY_KEYWORDS = new Set(
  'if elsif unless when while until and or not return then do puts p print case in yield else begin'.split(
    ' ',
  ),
);
const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
const WORD = /[\p{L}\p{N}\p{M}_$]+/uy;
const NUMBER = /\p{N}[\p{L}\p{N}_]*(?:\.\p{N}[\p{L}\p{N}_]*)?(?:(?<=[eEpP])[+-]\p{N}[\p{N}_]*)?/uy;
const NUMBER_C =
  /\p{N}[\p{L}\p{N}_']*(?:\.\p{N}[\p{L}\p{N}_']*)?(?:(?<=[eEpP])[+-]\p{N}[\p{N}_']*)?/uy;
const isWordChar = (c: string) => /[\p{L}\p{N}\p{M}_$]/u.test(c);
const isSpace = (c: string) => c !== '\n' && /\s/.test(c);

function sticky(re: RegExp, text: string, i: number): RegExpExecArray | null {
  re.lastIndex = i;
  return re.exec(text);
}

function indentWidth(ws: string): number {
  let w = 0;
  for (const c of ws) w = c === '\t' ? w + 8 - (w % 8) : w + 1;
  return w;
}

class Scanner {
  private readonly spec: Spec;
  private readonly len: number;
  private readonly lang: LiteLanguage;
  private readonly text: string;

  constructor(lang: LiteLanguage, text: string) {
    this.lang = lang;
    this.text = text;
    this.spec = SPECS[lang];
    this.len = text.length;
  }

  private lineEnd(i: number): number {
    const e = this.text.indexOf('\n', i);
    return e === -1 ? this.len : e;
  }

  /** End of a comment starting at i, if one does. */
  commentEnd(i: number): number | undefined {
    const { text, spec } = this;
    const c = text[i];
    if (c === '#' && spec.hash) {
      if (spec.hash === 'always' || i === 0 || HASH_AFTER[this.lang]!.includes(text[i - 1]!))
        return this.lineEnd(i);
    }
    if (c === '/' && spec.slash) {
      if (text[i + 1] === '/') return this.lineEnd(i);
      if (text[i + 1] === '*') {
        let depth = 0;
        for (let j = i; j < this.len - 1; j++) {
          if (text[j] === '/' && text[j + 1] === '*' && (depth === 0 || spec.slash === 'nested')) {
            depth++;
            j++;
          } else if (text[j] === '*' && text[j + 1] === '/') {
            depth--;
            j++;
            if (depth === 0) return j + 1;
          }
        }
        return this.len;
      }
    }
    if (
      this.lang === 'ruby' &&
      c === '=' &&
      (i === 0 || text[i - 1] === '\n') &&
      /^=begin(\s|$)/.test(text.slice(i, i + 7))
    ) {
      const m = /^=end\b.*$/m.exec(text.slice(i));
      return m ? i + m.index + m[0].length : this.len;
    }
    return undefined;
  }

  /** Index just past code that ends at an unmatched `close`, skipping strings and comments. */
  skipCode(i: number, close: string): number {
    const { text } = this;
    let depth = 0;
    while (i < this.len) {
      if (depth === 0 && text.startsWith(close, i)) return i + close.length;
      const com = this.commentEnd(i);
      if (com !== undefined) {
        i = com;
        continue;
      }
      const str = this.stringEnd(i, EXPR_START);
      if (str !== undefined) {
        i = str;
        continue;
      }
      const c = text[i]!;
      if ('([{'.includes(c)) depth++;
      else if (')]}'.includes(c)) depth = Math.max(0, depth - 1);
      i++;
    }
    return this.len;
  }

  /** End of a quoted body whose content starts at j. */
  private quoted(j: number, close: string, o: QuoteOpts): number {
    const { text } = this;
    while (j < this.len) {
      const c = text[j]!;
      if (text.startsWith(close, j)) {
        if (o.doubled && text.startsWith(close, j + close.length)) {
          j += 2 * close.length;
          continue;
        }
        return j + close.length;
      }
      const interp = o.interp?.find((x) => text.startsWith(x.open, j));
      if (interp) {
        if (interp.open === '{' && text[j + 1] === '{') j += 2;
        else j = this.skipCode(j + interp.open.length, interp.close);
        continue;
      }
      if (o.escapes && c === '\\') {
        j += 2;
        continue;
      }
      if (!o.multiline && c === '\n') return j;
      j++;
    }
    return this.len;
  }

  /** Up to and including the first `close` (no escapes). */
  private until(j: number, close: string): number {
    const e = this.text.indexOf(close, j);
    return e === -1 ? this.len : e + close.length;
  }

  /** A bracket-or-same-character delimited body (Ruby %-literals and regexes). */
  private delimited(j: number, open: string, interp: boolean): number {
    const { text } = this;
    const close = PAIRS[open] ?? open;
    let depth = 0;
    while (j < this.len) {
      const c = text[j]!;
      if (c === '\\') {
        j += 2;
        continue;
      }
      if (interp && text.startsWith('#{', j)) {
        j = this.skipCode(j + 2, '}');
        continue;
      }
      if (c === close && depth === 0) return j + 1;
      if (close !== open && c === open) depth++;
      else if (close !== open && c === close) depth--;
      j++;
    }
    return this.len;
  }

  /** YAML: whether a scalar may start at i (after `key:`, `- `, `[`, `,`, a tag or an anchor). */
  yamlScalarStart(i: number): boolean {
    const { text } = this;
    let k = i - 1;
    for (;;) {
      while (k >= 0 && (text[k] === ' ' || text[k] === '\t')) k--;
      let w = k;
      while (w >= 0 && !/\s/.test(text[w]!)) w--;
      const word = text.slice(w + 1, k + 1);
      if (word[0] !== '!' && word[0] !== '&') break;
      k = w;
    }
    return '\n:-[{,?'.includes(k < 0 ? '\n' : text[k]!);
  }

  /** End of a string (or other literal) starting at i, if one does. */
  stringEnd(i: number, ctx: Ctx): number | undefined {
    const { text } = this;
    const c = text[i]!;
    const esc = (multiline: boolean, interp?: Interp[]): QuoteOpts => ({
      escapes: true,
      multiline,
      interp,
    });
    let m: RegExpExecArray | null;
    switch (this.lang) {
      case 'python': {
        m = sticky(/([rRbBuUfFtT]{0,2})('''|"""|'|")/y, text, i);
        if (!m) return undefined;
        const fmt = /[fFtT]/.test(m[1]!);
        return this.quoted(
          i + m[0].length,
          m[2]!,
          esc(m[2]!.length === 3, fmt ? [{ open: '{', close: '}' }] : undefined),
        );
      }
      case 'shell':
        if (c === "'") return this.until(i + 1, "'");
        if (c === '$' && text[i + 1] === "'") return this.quoted(i + 2, "'", esc(true));
        if (c === '"')
          return this.quoted(
            i + 1,
            '"',
            esc(true, [
              { open: '$(', close: ')' },
              { open: '${', close: '}' },
              { open: '`', close: '`' },
            ]),
          );
        if (c === '`') return this.quoted(i + 1, '`', esc(true));
        return undefined;
      case 'ruby': {
        const rubyInterp = [{ open: '#{', close: '}' }];
        if (c === '"' || c === '`') return this.quoted(i + 1, c, esc(true, rubyInterp));
        if (c === "'") return this.quoted(i + 1, "'", esc(true));
        const next = text[i + 1] ?? '';
        const exprStart =
          ctx.prev === 'none' ||
          ctx.prev === 'op' ||
          ctx.prev === 'open' ||
          ctx.prev === 'kw' ||
          (ctx.prev === 'word' && ctx.spaced && next !== '' && !/\s/.test(next));
        // `x %= 1` and `x /= 2` are operators, not literals.
        const ambiguous = ctx.prev === 'word';
        if (
          c === '%' &&
          exprStart &&
          (m = sticky(/%([qQwWiIrsx]?)([^\w\s])/y, text, i)) &&
          !(ambiguous && m[0] === '%=')
        ) {
          const end = this.delimited(i + m[0].length, m[2]!, /^[QWIrx]?$/.test(m[1]!));
          return m[1] === 'r' ? end + (sticky(/[a-z]*/y, text, end)?.[0].length ?? 0) : end;
        }
        if (c === '/' && exprStart && !(ambiguous && next === '=')) {
          const end = this.delimited(i + 1, '/', true);
          if (end >= this.len && text[this.len - 1] !== '/') return undefined;
          return end + (sticky(/[a-z]*/y, text, end)?.[0].length ?? 0);
        }
        if (
          c === '?' &&
          ctx.prev !== 'word' &&
          ctx.prev !== 'close' &&
          ctx.prev !== 'str' &&
          (m = sticky(
            /\?(?:\\(?:u\{[^}\n]*\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{1,2}|.)|[^\s\\])(?![\p{L}\p{N}_])/uy,
            text,
            i,
          ))
        )
          return i + m[0].length;
        return undefined;
      }
      case 'yaml':
        // Quotes open a scalar only where a scalar may start (not inside `don't`).
        if ((c !== "'" && c !== '"') || !this.yamlScalarStart(i)) return undefined;
        return c === "'"
          ? this.quoted(i + 1, "'", { escapes: false, multiline: true, doubled: true })
          : this.quoted(i + 1, '"', esc(true));
      case 'toml':
        if (text.startsWith('"""', i)) return this.quoted(i + 3, '"""', esc(true));
        if (text.startsWith("'''", i)) return this.until(i + 3, "'''");
        if (c === '"') return this.quoted(i + 1, '"', esc(false));
        if (c === "'") return this.quoted(i + 1, "'", { escapes: false, multiline: false });
        return undefined;
      case 'go':
        if (c === '"') return this.quoted(i + 1, '"', esc(false));
        if (c === '`') return this.until(i + 1, '`');
        return this.charLiteral(i);
      case 'rust':
        if ((m = sticky(/(?:b|c)?r(#*)"/y, text, i)))
          return this.until(i + m[0].length, `"${m[1]}`);
        if ((m = sticky(/(?:b|c)?"/y, text, i)))
          return this.quoted(i + m[0].length, '"', esc(true));
        return this.charLiteral(
          i,
          /b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}|.)|[^\\'\n\r])'/uy,
        );
      case 'java':
        if (text.startsWith('"""', i)) return this.quoted(i + 3, '"""', esc(true));
        if (c === '"') return this.quoted(i + 1, '"', esc(false));
        return this.charLiteral(i);
      case 'c':
        if ((m = sticky(/(?:u8|u|U|L)?R"([^()\\\s"]{0,16})\(/y, text, i)))
          return this.until(i + m[0].length, `)${m[1]}"`);
        if ((m = sticky(/(?:u8|u|U|L)?"/y, text, i)))
          return this.quoted(i + m[0].length, '"', esc(false));
        return this.charLiteral(i, /(?:u8|u|U|L)?'(?:\\.|[^\\'\n\r])+'/uy);
      case 'csharp': {
        if ((m = sticky(/\$*("{3,})/y, text, i))) return this.until(i + m[0].length, m[1]!);
        const braces = [{ open: '{', close: '}' }];
        if ((m = sticky(/(\$@|@\$|@)"/y, text, i)))
          return this.quoted(i + m[0].length, '"', {
            escapes: false,
            multiline: true,
            doubled: true,
            interp: m[1]!.includes('$') ? braces : undefined,
          });
        if (text.startsWith('$"', i)) return this.quoted(i + 2, '"', esc(false, braces));
        if (c === '"') return this.quoted(i + 1, '"', esc(false));
        return this.charLiteral(i);
      }
      case 'kotlin': {
        const dollar = [{ open: '${', close: '}' }];
        if (text.startsWith('"""', i))
          return this.quoted(i + 3, '"""', { escapes: false, multiline: true, interp: dollar });
        if (c === '"') return this.quoted(i + 1, '"', esc(false, dollar));
        return this.charLiteral(i);
      }
      case 'swift': {
        const paren = [{ open: '\\(', close: ')' }];
        if ((m = sticky(/(#+)("""|")/y, text, i)))
          return this.until(i + m[0].length, m[2]! + m[1]!);
        if (text.startsWith('"""', i)) return this.quoted(i + 3, '"""', esc(true, paren));
        if (c === '"') return this.quoted(i + 1, '"', esc(false, paren));
        return undefined;
      }
      case 'scala': {
        m = sticky(/([A-Za-z_][A-Za-z0-9_]*)?("""|")/y, text, i);
        if (m) {
          const interp = m[1] ? [{ open: '${', close: '}' }] : undefined;
          return m[2] === '"""'
            ? this.quoted(i + m[0].length, '"""', { escapes: false, multiline: true, interp })
            : this.quoted(i + m[0].length, '"', esc(false, interp));
        }
        return this.charLiteral(i);
      }
    }
  }

  private charLiteral(
    i: number,
    re = /'(?:\\(?:u+[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{1,4}|[0-7]{1,3}|.)|[^\\'\n\r])'/uy,
  ): number | undefined {
    const m = sticky(re, this.text, i);
    return m ? i + m[0].length : undefined;
  }

  /** A heredoc operator (shell, Ruby) at i: its text and the body it announces. */
  heredocAt(i: number, ctx: Ctx): { text: string; doc: Heredoc } | undefined {
    const { text } = this;
    if (!text.startsWith('<<', i)) return undefined;
    if (this.lang === 'shell') {
      if (text[i + 2] === '<') return undefined; // a here-string
      const m = sticky(/<<(-?)[ \t]*(?:'([^'\n]+)'|"([^"\n]+)"|\\?([A-Za-z_][\w-]*))/y, text, i);
      if (!m) return undefined;
      return { text: m[0], doc: { delim: m[2] ?? m[3] ?? m[4]!, indented: m[1] === '-' } };
    }
    if (this.lang === 'ruby') {
      const exprStart =
        ctx.prev === 'none' ||
        ctx.prev === 'op' ||
        ctx.prev === 'open' ||
        ctx.prev === 'kw' ||
        (ctx.prev === 'word' && ctx.spaced);
      if (!exprStart) return undefined;
      const m = sticky(/<<([~-]?)(?:'([^'\n]+)'|"([^"\n]+)"|`([^`\n]+)`|([A-Za-z_]\w*))/y, text, i);
      if (!m) return undefined;
      return {
        text: m[0],
        doc: { delim: m[2] ?? m[3] ?? m[4] ?? m[5]!, indented: m[1] !== '' },
      };
    }
    return undefined;
  }

  /** Where a heredoc body that starts at i ends: at the line break after its terminator. */
  heredocEnd(i: number, h: Heredoc): number {
    let p = i;
    while (p < this.len) {
      const e = this.lineEnd(p);
      let line = this.text.slice(p, e).replace(/\r$/, '');
      if (h.indented) line = line.replace(/^\s+/, '');
      if (line === h.delim) return e;
      p = e + 1;
    }
    return this.len;
  }

  /** YAML: a block scalar's content lines (blank or indented past the opening line) from i. */
  blockScalarEnd(i: number, parentIndent: number): number {
    let end = i;
    let p = i;
    while (p <= this.len) {
      const e = this.text.indexOf('\n', p);
      const lineEnd = e === -1 ? this.len : e;
      const line = this.text.slice(p, lineEnd);
      if (!/^\s*$/.test(line) && /^ */.exec(line)![0].length <= parentIndent) break;
      end = lineEnd;
      if (e === -1) break;
      p = e + 1;
    }
    return end;
  }

  tokens(mode: ScopeMode): Tok[] {
    const { text, spec, lang } = this;
    const out: Tok[] = [];
    let i = 0;
    let depth = 0;
    let lineStart = true;
    let logicalStart = true;
    let preproc = false;
    let indent = '';
    let space = '';
    let prev: Prev = 'none';
    const indents = [0];
    let heredocs: Heredoc[] = [];
    let blockScalar: number | undefined;
    // cgo: the comment before `import "C"` is C code the Go toolchain compiles.
    const cgo = lang === 'go' && /\bimport\s*(\(\s*)?"C"/.test(text);

    const newline = (pos: number) => {
      if (out.length > 0 && out[out.length - 1]!.key !== 'NL') out.push({ key: 'NL', pos });
      prev = 'none';
    };
    const code = (key: string, pos: number, kind: Prev) => {
      if (lineStart) {
        if (spec.indent === 'exact') {
          out.push({ key: `indent:${indent}`, pos });
        } else if (spec.indent === 'python' && logicalStart) {
          const w = indentWidth(indent);
          if (w > indents[indents.length - 1]!) {
            indents.push(w);
            out.push({ key: 'INDENT', pos });
          } else {
            while (w < indents[indents.length - 1]!) {
              indents.pop();
              out.push({ key: 'DEDENT', pos });
            }
            if (w !== indents[indents.length - 1]) {
              indents.push(w);
              out.push({ key: `BADINDENT:${w}`, pos });
            }
          }
        }
      } else if (space !== '') {
        if (spec.spacing === 'exact') out.push({ key: `ws:${space}`, pos });
        else if (spec.spacing === 'presence' || preproc) out.push({ key: 'SP', pos });
      }
      lineStart = false;
      logicalStart = false;
      space = '';
      prev = kind;
      out.push({ key, pos });
    };

    const bom = text.startsWith('\uFEFF') ? 1 : 0;
    if (spec.hash && text.startsWith('#!', bom)) {
      // An interpreter line is code, not a comment.
      i = this.lineEnd(bom);
      code(`shebang:${text.slice(bom, i)}`, bom, 'none');
    } else {
      indent = sticky(/[ \t\f]*/y, text, bom)![0];
      i = bom + indent.length;
    }

    while (i < this.len) {
      const c = text[i]!;
      if (c === '\n') {
        if (
          preproc ||
          spec.newlines === 'significant' ||
          (spec.newlines === 'outside-brackets' && depth === 0)
        ) {
          newline(i);
          logicalStart = true;
        }
        preproc = false;
        i++;
        if (heredocs.length > 0) {
          const start = i;
          heredocs.forEach((h, k) => {
            if (k > 0 && text[i] === '\n') i++;
            i = this.heredocEnd(i, h);
          });
          heredocs = [];
          out.push({ key: `heredoc:${text.slice(start, i)}`, pos: start });
          continue;
        }
        if (blockScalar !== undefined) {
          const end = this.blockScalarEnd(i, blockScalar);
          blockScalar = undefined;
          if (end > i) {
            out.push({ key: `block:${text.slice(i, end)}`, pos: i });
            i = end;
            continue;
          }
        }
        lineStart = true;
        space = '';
        indent = sticky(/[ \t\f]*/y, text, i)![0];
        i += indent.length;
        continue;
      }
      if (isSpace(c)) {
        space += c;
        i++;
        continue;
      }
      if (c === '\\' && (text[i + 1] === '\n' || (text[i + 1] === '\r' && text[i + 2] === '\n'))) {
        const n = text[i + 1] === '\n' ? 2 : 3;
        if (spec.continuation === 'whitespace') space += ' ';
        else code('\\NL', i, 'op');
        i += n;
        continue;
      }
      const com = this.commentEnd(i);
      if (com !== undefined) {
        const raw = text.slice(i, com).replace(/\r$/, '');
        const tok = cgo ? { key: `d:${raw}`, pos: i } : commentToken(raw, i, mode);
        if (tok) out.push(tok);
        if (raw.includes('\n') && spec.newlines === 'significant') newline(i);
        i = com;
        continue;
      }
      const ctx: Ctx = { prev, spaced: space !== '' || lineStart };
      const str = this.stringEnd(i, ctx);
      if (str !== undefined) {
        code(`str:${text.slice(i, str)}`, i, 'str');
        i = str;
        continue;
      }
      const here = this.heredocAt(i, ctx);
      if (here) {
        code(`heredoc-op:${here.text}`, i, 'op');
        heredocs.push(here.doc);
        i += here.text.length;
        continue;
      }
      if (lang === 'ruby' && lineStart && /^__END__\r?(\n|$)/.test(text.slice(i, i + 9))) {
        code(`data:${text.slice(i)}`, i, 'str'); // everything after __END__ is data
        break;
      }
      if (lang === 'yaml' && (c === '|' || c === '>') && this.yamlScalarStart(i)) {
        const m = sticky(/[|>][-+0-9]*(?=[ \t]*(?:#[^\n]*)?\r?(?:\n|$))/y, text, i);
        if (m) {
          code(`block-op:${m[0]}`, i, 'op');
          blockScalar = indentWidth(indent);
          i += m[0].length;
          continue;
        }
      }
      if (lang === 'shell' && c === '\\') {
        code(`esc:${text.slice(i, i + 2)}`, i, 'word');
        i += 2;
        continue;
      }
      if (spec.preprocessor && lineStart && c === '#') preproc = true;
      let m: RegExpExecArray | null;
      if ((m = sticky(lang === 'c' ? NUMBER_C : NUMBER, text, i)) && m[0].length > 0) {
        code(`w:${m[0]}`, i, 'word');
        i += m[0].length;
        continue;
      }
      if ((m = sticky(WORD, text, i))) {
        code(`w:${m[0]}`, i, lang === 'ruby' && RUBY_KEYWORDS.has(m[0]) ? 'kw' : 'word');
        i += m[0].length;
        continue;
      }
      if ('([{'.includes(c)) {
        depth++;
        code(`p:${c}`, i, 'open');
        i++;
        continue;
      }
      if (')]}'.includes(c)) {
        depth = Math.max(0, depth - 1);
        code(`p:${c}`, i, 'close');
        i++;
        continue;
      }
      if (c === ',' || c === ';') {
        code(`p:${c}`, i, 'op');
        i++;
        continue;
      }
      // A run of operator characters, up to anything that starts something else.
      let j = i + 1;
      const inRun: Ctx = { prev: 'op', spaced: false };
      while (
        j < this.len &&
        !/\s/.test(text[j]!) &&
        !isWordChar(text[j]!) &&
        !'()[]{},;\\'.includes(text[j]!) &&
        this.commentEnd(j) === undefined &&
        this.stringEnd(j, inRun) === undefined &&
        this.heredocAt(j, inRun) === undefined
      )
        j++;
      code(`o:${text.slice(i, j)}`, i, 'op');
      i = j;
    }
    while (out.length > 0 && out[out.length - 1]!.key === 'NL') out.pop();
    return out;
  }
}

/** The token stream of a file in one of the tokenizer-lite languages. */
export function liteTokens(lang: LiteLanguage, text: string, mode: ScopeMode): Tok[] {
  return new Scanner(lang, text).tokens(mode);
}
