// Size limits on what a change writes: no huge files, no new very long lines
// (minified code, base64 blobs, a payload hidden past the right margin of a
// review). Lines as long as the file already had are allowed.
import type { FileChange } from '../files/change.ts';

export const DEFAULT_MAX_FILE_BYTES = 262144;
export const DEFAULT_MAX_LINE_LENGTH = 500;

export interface ContentLimits {
  maxFileBytes: number;
  maxLineLength: number;
}

/** Length in characters (code points) of the longest line. */
function longestLine(text: string | null): number {
  let max = 0;
  for (const line of (text ?? '').split('\n')) {
    // UTF-16 length is an upper bound; count code points only when it matters.
    if (line.length <= max) continue;
    let n = 0;
    for (const ch of line) if (ch !== '\r') n++;
    max = Math.max(max, n);
  }
  return max;
}

/** Why a changed file is too big or adds a too long line; undefined when within the limits. */
export function contentLimitViolation(
  changes: FileChange[],
  limits: ContentLimits,
): string | undefined {
  for (const c of changes) {
    if (c.after === null || c.after === c.before) continue;
    const bytes = Buffer.byteLength(c.after, 'utf8');
    if (bytes > limits.maxFileBytes) {
      return `path ${c.path} would be ${bytes} bytes; maxFileBytes is ${limits.maxFileBytes}`;
    }
    // A line longer than every line of `before` cannot be an old one: it was added.
    const after = longestLine(c.after);
    if (after > limits.maxLineLength && after > longestLine(c.before)) {
      return `path ${c.path} gets a line of ${after} characters; maxLineLength is ${limits.maxLineLength}`;
    }
  }
  return undefined;
}
