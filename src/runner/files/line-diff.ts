// Line-level comparison of a file before and after a change, on jsdiff's
// Myers diff: how many lines a change adds and removes (as `git diff
// --numstat` counts them, for maxLinesChanged), and the first existing line
// it loses (for a message a human can act on).
import { diffArrays } from 'diff';

export interface LineDiff {
  added: number;
  removed: number;
}

/**
 * Beyond this many edits, or this long, the diff gives up and the answers
 * below are conservative. Far past any maxLinesChanged a run allows.
 */
const MAX_EDIT_LENGTH = 4_000;
const TIMEOUT_MS = 1_000;

/** Splits into lines; a last line without newline is marked so adding the newline counts as a change. */
function lines(text: string): string[] {
  if (text === '') return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  else l[l.length - 1] += '\u0000no-eol';
  return l;
}

function changes(a: readonly string[], b: readonly string[]) {
  return diffArrays([...a], [...b], { maxEditLength: MAX_EDIT_LENGTH, timeout: TIMEOUT_MS });
}

export function diffLines(before: string, after: string): LineDiff {
  const a = lines(before);
  const b = lines(after);
  const parts = changes(a, b);
  // Too different to align: every line counts (an upper bound).
  if (!parts) return { added: b.length, removed: a.length };
  let added = 0;
  let removed = 0;
  for (const p of parts) {
    if (p.added) added += p.count ?? p.value.length;
    else if (p.removed) removed += p.count ?? p.value.length;
  }
  return { added, removed };
}

/**
 * Index in `a` of the first line that the diff with `b` does not keep, or -1
 * when every line of `a` survives in order. When the two are too different
 * to align, the first line where they differ.
 */
export function firstLostLine(a: readonly string[], b: readonly string[]): number {
  const parts = changes(a, b);
  if (!parts) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    return i < a.length ? i : -1;
  }
  let i = 0;
  for (const p of parts) {
    const n = p.count ?? p.value.length;
    if (p.removed) return i;
    if (!p.added) i += n;
  }
  return -1;
}
