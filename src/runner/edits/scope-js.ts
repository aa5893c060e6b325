// JavaScript and TypeScript reduced to what runs: TypeScript's own parser
// reads the file (so regular expressions, template literals, JSX text and
// automatic semicolon insertion are read as the language reads them), and
// the stream is the syntax tree's shape plus the exact text of every token.
// Comments and whitespace are what is left over between tokens; every gap is
// checked to hold nothing else, so nothing the parser skipped can hide there.
import ts from 'typescript';
import { commentToken, type ScopeMode, type Tok } from './scope-tokens.ts';

const SCRIPT_KINDS: Record<string, ts.ScriptKind> = {
  '.ts': ts.ScriptKind.TS,
  '.mts': ts.ScriptKind.TS,
  '.cts': ts.ScriptKind.TS,
  '.tsx': ts.ScriptKind.TSX,
  '.js': ts.ScriptKind.JS,
  '.mjs': ts.ScriptKind.JS,
  '.cjs': ts.ScriptKind.JS,
  '.jsx': ts.ScriptKind.JSX,
};

function extension(path: string): string {
  const m = /\.[^./]+$/.exec(path.toLowerCase());
  return m ? m[0] : '';
}

/** The script kind for JavaScript/TypeScript files (JS files may hold JSX, as in TypeScript). */
export function jsScriptKind(path: string): ts.ScriptKind | undefined {
  return SCRIPT_KINDS[extension(path)];
}

export function jsLanguageName(path: string): string {
  return /^\.[cm]?tsx?$/.test(extension(path)) ? 'TypeScript' : 'JavaScript';
}

/** JSX text as React renders it: lines trimmed where they meet a line break, blank lines dropped. */
function jsxText(raw: string): string {
  const lines = raw.split(/\r\n|\r|\n/);
  const kept: string[] = [];
  lines.forEach((line, k) => {
    let s = line;
    if (k > 0) s = s.replace(/^[ \t]+/, '');
    if (k < lines.length - 1) s = s.replace(/[ \t]+$/, '');
    if (s !== '') kept.push(s);
  });
  return kept.join(' ');
}

const SL = ts.SyntaxKind;
const isJsDoc = (n: ts.Node) => n.kind >= SL.FirstJSDocNode && n.kind <= SL.LastJSDocNode;

class NotTrivia extends Error {}

/**
 * The token stream of a JavaScript/TypeScript file, or undefined when it does
 * not parse cleanly (then comments cannot be told apart from code with
 * certainty). In `style` mode comments are kept (whitespace-normalised),
 * string literals compare by value (quote style may change), and a `,` or `;`
 * that ends its syntax node (trailing commas, optional semicolons) is left out;
 * the tree shape around them still has to match, so ASI cannot change meaning.
 */
export function jsTokens(path: string, text: string, mode: ScopeMode): Tok[] | undefined {
  const kind = jsScriptKind(path);
  if (kind === undefined) return undefined;
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, false, kind);
  const diagnostics = (sf as unknown as { parseDiagnostics?: unknown }).parseDiagnostics;
  if (!Array.isArray(diagnostics) || diagnostics.length > 0) return undefined;

  const out: Tok[] = [];
  let pending: Tok[] = [];
  let cursor = 0;
  const shebang = /^\uFEFF?#![^\r\n]*/.exec(text);
  if (shebang) {
    out.push({ key: `shebang:${shebang[0]}`, pos: 0 });
    cursor = shebang[0].length;
  }

  /** Consumes text[cursor, end): whitespace and comments only. */
  const gap = (end: number) => {
    let i = cursor;
    while (i < end) {
      const ch = text.charCodeAt(i);
      if (ts.isWhiteSpaceLike(ch)) {
        i++;
      } else if (text.startsWith('//', i)) {
        let j = i + 2;
        while (j < end && !ts.isLineBreak(text.charCodeAt(j))) j++;
        const c = commentToken(text.slice(i, j), i, mode);
        if (c) pending.push(c);
        i = j;
      } else if (text.startsWith('/*', i)) {
        const close = text.indexOf('*/', i + 2);
        if (close === -1 || close + 2 > end) throw new NotTrivia();
        const c = commentToken(text.slice(i, close + 2), i, mode);
        if (c) pending.push(c);
        i = close + 2;
      } else {
        throw new NotTrivia();
      }
    }
    cursor = Math.max(cursor, end);
  };

  const emit = (tok: Tok) => {
    out.push(...pending, tok);
    pending = [];
  };

  /** `quiet`: inside a JSX comment (`{/* … *\/}`), which documentation may add or drop whole. */
  const visit = (node: ts.Node, parent: ts.Node | undefined, isLast: boolean, quiet: boolean) => {
    const children = node.getChildren(sf).filter((c) => !isJsDoc(c));
    if (children.length > 0) {
      const q =
        quiet ||
        (mode === 'documentation' &&
          ts.isJsxExpression(node) &&
          !node.expression &&
          !node.dotDotDotToken);
      if (!q) out.push({ key: `(${node.kind}`, pos: node.getStart(sf) });
      children.forEach((c, k) => visit(c, node, k === children.length - 1, q));
      if (!q) out.push({ key: ')', pos: node.end });
      return;
    }
    if (node.kind === SL.EndOfFileToken) return;
    if (node.end <= node.pos) {
      // Zero-width nodes (an array hole, an empty list): shape only.
      if (!quiet) out.push({ key: `${node.kind}:`, pos: node.pos });
      return;
    }
    const start = node.kind === SL.JsxText ? node.pos : node.getStart(sf);
    gap(start);
    cursor = node.end;
    const raw = text.slice(start, node.end);
    if (quiet) return;
    if (
      mode === 'style' &&
      isLast &&
      (node.kind === SL.CommaToken || node.kind === SL.SemicolonToken)
    )
      return; // a trailing comma or an optional semicolon
    let key: string;
    if (node.kind === SL.JsxText) {
      const shown = jsxText(raw);
      if (shown === '') return; // whitespace JSX drops
      key = `jsx:${shown}`;
    } else if (
      mode === 'style' &&
      ts.isStringLiteral(node) &&
      !(parent && ts.isExpressionStatement(parent)) // directives ('use strict') compare raw
    )
      key = `str:${node.text}`;
    else key = `${node.kind}:${raw}`;
    emit({ key, pos: start });
  };

  try {
    visit(sf, undefined, true, false);
    gap(text.length);
  } catch {
    // Text between tokens that is not trivia (NotTrivia), or TypeScript's tree
    // walk asserting on input it cannot account for: not readable here.
    return undefined;
  }
  out.push(...pending);
  return out;
}
