// Parses the model's SEARCH/REPLACE blocks (aider style). Strict on purpose:
// any marker out of place, junk inside a fence that holds blocks, or a
// truncated block fails the whole answer, because a half-understood answer
// must never reach the work tree.
import type { EditBlock } from '../types.ts';

export type ParseResult = { ok: true; blocks: EditBlock[] } | { ok: false; message: string };

const SEARCH = /^<{5,9} ?SEARCH\s*$/;
const DIVIDER = /^={5,9}\s*$/;
const REPLACE = /^>{5,9} ?REPLACE\s*$/;
const FENCE = /^\s*(`{3,}|~{3,})\s*([\w.+#-]*)\s*$/;
/** Lines that look like a marker but are not one exactly (e.g. "<<<<<< SEARCH" typo, "<<<<<<< HEAD"). */
const NEAR_MARKER = /^(<{4,}|>{4,})\s*[A-Za-z]*\s*$/;

/** Strips decoration models put around a path line: `**a.ts**`, `a.ts`, "File: a.ts", "# a.ts". */
export function cleanPathLine(line: string): string {
  let p = line.trim();
  p = p.replace(/^#{1,6}\s+/, '');
  p = p.replace(/^(file(name)?|path)\s*:\s*/i, '');
  p = p.replace(/:$/, '');
  for (const w of ['**', '`', '*', '"', "'"]) {
    if (p.length > 2 * w.length && p.startsWith(w) && p.endsWith(w)) {
      p = p.slice(w.length, -w.length).trim();
    }
  }
  return p;
}

function isMarker(line: string): boolean {
  return SEARCH.test(line) || DIVIDER.test(line) || REPLACE.test(line);
}

function joinBody(lines: string[]): string {
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}

export function parseEditBlocks(text: string): ParseResult {
  if (typeof text !== 'string' || text.trim() === '') {
    return { ok: false, message: 'empty model output: no SEARCH/REPLACE blocks' };
  }
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const blocks: EditBlock[] = [];
  let fence: string | undefined; // the open fence's marker, when inside one
  let fenceStart = 0;
  let fenceHasBlocks = false;
  let fenceJunk: string | undefined;
  let innerPath: string | undefined; // aider's "path as the fence's first line" form
  let outerPath: string | undefined; // the line before the fence (or before an unfenced block)
  let lastPath: string | undefined; // the previous block's path, for several blocks in one fence

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const where = `line ${i + 1}`;
    const trimmed = line.trim();
    const f = FENCE.exec(line);
    if (f && fence === undefined) {
      fence = f[1]!;
      fenceStart = i;
      fenceHasBlocks = false;
      fenceJunk = undefined;
      innerPath = undefined;
      lastPath = undefined;
      continue;
    }
    if (f && fence !== undefined && f[1] === fence && f[2] === '') {
      if (fenceHasBlocks && fenceJunk) {
        return { ok: false, message: `junk inside a fenced edit block (${fenceJunk})` };
      }
      fence = undefined;
      outerPath = undefined;
      innerPath = undefined;
      lastPath = undefined;
      continue;
    }
    if (SEARCH.test(line)) {
      const path = fence !== undefined ? (innerPath ?? lastPath ?? outerPath) : outerPath;
      if (!path) return { ok: false, message: `${where}: SEARCH block without a file path line` };
      if (fenceJunk)
        return { ok: false, message: `junk inside a fenced edit block (${fenceJunk})` };
      const search: string[] = [];
      const replace: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !DIVIDER.test(lines[j] ?? ''); j++) {
        const l = lines[j] ?? '';
        if (SEARCH.test(l) || REPLACE.test(l)) {
          return { ok: false, message: `line ${j + 1}: marker out of place, expected =======` };
        }
        if (fence !== undefined && l.trim() === fence) {
          return { ok: false, message: `line ${j + 1}: fence closed inside a SEARCH section` };
        }
        search.push(l);
      }
      if (j >= lines.length) return { ok: false, message: `${where}: SEARCH without =======` };
      let k = j + 1;
      for (; k < lines.length && !REPLACE.test(lines[k] ?? ''); k++) {
        const l = lines[k] ?? '';
        if (SEARCH.test(l) || DIVIDER.test(l)) {
          return {
            ok: false,
            message: `line ${k + 1}: marker out of place, expected >>>>>>> REPLACE`,
          };
        }
        if (fence !== undefined && l.trim() === fence) {
          return { ok: false, message: `line ${k + 1}: fence closed inside a REPLACE section` };
        }
        replace.push(l);
      }
      if (k >= lines.length) {
        return {
          ok: false,
          message: `${where}: block without >>>>>>> REPLACE (truncated output?)`,
        };
      }
      blocks.push({ path, search: joinBody(search), replace: joinBody(replace) });
      lastPath = path;
      if (fence !== undefined) fenceHasBlocks = true;
      else outerPath = undefined;
      i = k;
      continue;
    }
    if (isMarker(line)) {
      return { ok: false, message: `${where}: "${trimmed}" marker without a preceding SEARCH` };
    }
    if (NEAR_MARKER.test(trimmed)) {
      return { ok: false, message: `${where}: malformed marker "${trimmed.slice(0, 40)}"` };
    }
    if (trimmed === '') continue;
    if (fence !== undefined) {
      // Before the first block the first line may name the file; anything
      // else in a fence that holds blocks is junk.
      if (fenceHasBlocks || innerPath !== undefined) {
        fenceJunk ??= `line ${i + 1}: "${trimmed.slice(0, 60)}"`;
      } else {
        innerPath = cleanPathLine(line);
      }
      continue;
    }
    // Outside fences: prose, or the path line for the next block.
    outerPath = cleanPathLine(line);
  }
  if (fence !== undefined && fenceHasBlocks) {
    return {
      ok: false,
      message: `fence opened at line ${fenceStart + 1} is never closed (truncated output?)`,
    };
  }
  if (blocks.length === 0) {
    return { ok: false, message: 'no SEARCH/REPLACE blocks found in the model output' };
  }
  return { ok: true, blocks };
}

/** Renders blocks back into the same text format (for prompts and logs). */
export function formatEditBlocks(blocks: EditBlock[]): string {
  return blocks
    .map(
      (b) =>
        `${b.path}\n\`\`\`\n<<<<<<< SEARCH\n${b.search}=======\n${b.replace}>>>>>>> REPLACE\n\`\`\``,
    )
    .join('\n\n');
}
