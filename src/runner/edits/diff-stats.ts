// Line counts of a change, as `git diff --numstat` would report them
// (added + removed lines), used to enforce maxLinesChanged.

export interface LineDiff {
  added: number;
  removed: number;
}

/** Splits into lines; a last line without newline is marked so adding the newline counts as a change. */
function lines(text: string): string[] {
  if (text === '') return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  else l[l.length - 1] += '\u0000no-eol';
  return l;
}

/** Largest middle section diffed exactly; beyond it the count is an upper bound. */
const MAX_CELLS = 4_000_000;

export function diffLines(before: string, after: string): LineDiff {
  const a = lines(before);
  const b = lines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  const common =
    n > 0 && m > 0 && n * m <= MAX_CELLS ? lcs(a.slice(start, endA), b.slice(start, endB)) : 0;
  return { added: m - common, removed: n - common };
}

function lcs(a: string[], b: string[]): number {
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}
