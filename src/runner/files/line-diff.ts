// Where a line-level change drops or rewrites lines: used to point at the
// first existing line a change loses, for a message a human can act on.

/** Largest middle section (lines before × lines after) aligned exactly. */
const MAX_CELLS = 4_000_000;

/**
 * Index in `a` of the first line that a longest-common-subsequence alignment
 * with `b` does not keep, or -1 when every line of `a` survives in order.
 * Past MAX_CELLS the answer is the first line a greedy in-order match loses,
 * which is at or after the first real loss.
 */
export function firstLostLine(a: readonly string[], b: readonly string[]): number {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  if (endA === start) return -1;
  const n = endA - start;
  const m = endB - start;
  if (m === 0) return start;
  if (n * m > MAX_CELLS) return greedyLoss(a, b, start, endA, endB);
  // suffix[i][j] = LCS of a[start+i..endA) and b[start+j..endB); walk forward
  // from (0,0) preferring to keep a line, and report the first a-line skipped.
  const w = m + 1;
  const table = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * w + j] =
        a[start + i] === b[start + j]
          ? table[(i + 1) * w + j + 1]! + 1
          : Math.max(table[(i + 1) * w + j]!, table[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n) {
    if (
      j < m &&
      a[start + i] === b[start + j] &&
      table[i * w + j] === table[(i + 1) * w + j + 1]! + 1
    ) {
      i++;
      j++;
    } else if (j < m && table[i * w + j] === table[i * w + j + 1]) {
      j++;
    } else {
      return start + i;
    }
  }
  return -1;
}

function greedyLoss(
  a: readonly string[],
  b: readonly string[],
  start: number,
  endA: number,
  endB: number,
): number {
  let j = start;
  for (let i = start; i < endA; i++) {
    while (j < endB && b[j] !== a[i]) j++;
    if (j === endB) return i;
    j++;
  }
  return -1;
}
