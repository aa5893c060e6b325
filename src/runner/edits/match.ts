// Finds where a SEARCH section goes. Exact text first; failing that, the same
// lines ignoring only whitespace (indentation, trailing spaces, CRLF). Never
// fuzzy content: a SEARCH that differs in any visible character is not found.

export type MatchResult =
  | { ok: true; content: string; tolerant: boolean }
  | { ok: false; kind: 'not-found' | 'ambiguous'; count: number };

function countOccurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) n++;
  return n;
}

const norm = (l: string): string => l.replace(/\r$/, '').trim();
const indentOf = (l: string): string => /^[ \t]*/.exec(l)?.[0] ?? '';

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Replaces the single occurrence of `search` in `content` with `replace`. */
export function replaceOnce(content: string, search: string, replace: string): MatchResult {
  const crlf = content.includes('\r\n');
  const exact = countOccurrences(content, search);
  if (exact === 1) {
    const at = content.indexOf(search);
    const rep = crlf ? toCrlf(replace) : replace;
    return {
      ok: true,
      content: content.slice(0, at) + rep + content.slice(at + search.length),
      tolerant: false,
    };
  }
  if (exact > 1) return { ok: false, kind: 'ambiguous', count: exact };
  if (crlf) {
    const viaCrlf = countOccurrences(content, toCrlf(search));
    if (viaCrlf === 1) return replaceOnce(content, toCrlf(search), replace);
    if (viaCrlf > 1) return { ok: false, kind: 'ambiguous', count: viaCrlf };
  }
  return replaceByLines(content, search, replace, crlf);
}

function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

function replaceByLines(
  content: string,
  search: string,
  replace: string,
  crlf: boolean,
): MatchResult {
  const file = content.split('\n');
  const want = splitLines(search);
  // Leading/trailing blank lines in SEARCH are noise models add; keep the core.
  while (want.length && norm(want[0]!) === '') want.shift();
  while (want.length && norm(want[want.length - 1]!) === '') want.pop();
  if (want.length === 0) return { ok: false, kind: 'not-found', count: 0 };
  const wantNorm = want.map(norm);
  const starts: number[] = [];
  for (let i = 0; i + want.length <= file.length; i++) {
    let same = true;
    for (let j = 0; j < want.length && same; j++) same = norm(file[i + j]!) === wantNorm[j];
    if (same) starts.push(i);
  }
  if (starts.length === 0) return { ok: false, kind: 'not-found', count: 0 };
  if (starts.length > 1) return { ok: false, kind: 'ambiguous', count: starts.length };
  const start = starts[0]!;
  const matched = file.slice(start, start + want.length);
  const repLines = splitLines(replace);
  const reindented = reindent(want, matched, repLines);
  const eol = crlf ? '\r' : '';
  const lastMatched = matched[matched.length - 1] ?? '';
  const out = [
    ...file.slice(0, start),
    ...reindented.map((l) => l.replace(/\r$/, '') + eol),
    ...file.slice(start + want.length),
  ];
  // A match on the final line without a newline keeps the file's ending as it was.
  if (start + want.length === file.length && !lastMatched.endsWith('\r') && reindented.length) {
    out[start + reindented.length - 1] = out[start + reindented.length - 1]!.replace(/\r$/, '');
  }
  return { ok: true, content: out.join('\n'), tolerant: true };
}

/**
 * When the model's SEARCH differs from the file only by a constant
 * indentation prefix, shift REPLACE by the same prefix so the result lines up.
 */
function reindent(search: string[], matched: string[], replace: string[]): string[] {
  const i = search.findIndex((l) => norm(l) !== '');
  if (i < 0) return replace;
  const have = indentOf(matched[i]!);
  const gave = indentOf(search[i]!);
  if (have === gave) return replace;
  if (have.startsWith(gave)) {
    const add = have.slice(gave.length);
    return replace.map((l) => (l.trim() === '' ? l : add + l));
  }
  if (gave.startsWith(have)) {
    const cut = gave.slice(have.length);
    return replace.map((l) => (l.startsWith(cut) ? l.slice(cut.length) : l));
  }
  return replace;
}
