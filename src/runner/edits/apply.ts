// Applies SEARCH/REPLACE blocks strictly and atomically: every block is
// validated and applied in memory first; the work tree is written only when
// all of them pass every rule, so a rejected answer leaves no trace.
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ApplyResult, EditBlock, EditPolicy } from '../types.ts';
import { diffLines } from './diff-stats.ts';
import { replaceOnce } from './match.ts';
import { checkPathOnDisk, checkPathSyntax, INVISIBLE } from './paths.ts';
import { testWeakening } from './test-guard.ts';

export interface ApplyOptions {
  /** Validate and measure only; write nothing. */
  dryRun?: boolean;
}

interface FileState {
  abs: string;
  before: string | null;
  after: string | null;
}

const rejected = (message: string): ApplyResult => ({ ok: false, reason: 'EditRejected', message });
const malformed = (message: string): ApplyResult => ({
  ok: false,
  reason: 'MalformedModelOutput',
  message,
});

export async function applyEdits(
  repoDir: string,
  blocks: EditBlock[],
  policy: EditPolicy,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  if (blocks.length === 0) return malformed('no edit blocks to apply');
  const files = new Map<string, FileState>();

  for (const [n, block] of blocks.entries()) {
    const label = `block ${n + 1} (${block.path})`;
    const syntax = checkPathSyntax(block.path, policy.protectedPaths);
    if (!syntax.ok) return rejected(`${label}: ${syntax.message}`);
    if (INVISIBLE.test(block.replace) && !INVISIBLE.test(block.search)) {
      return rejected(`${label}: adds invisible or bidi control characters (Trojan Source)`);
    }
    if (block.replace.includes('\u0000')) return rejected(`${label}: writes binary content`);

    let state = files.get(block.path);
    if (!state) {
      const disk = await checkPathOnDisk(repoDir, block.path);
      if (!disk.ok) return rejected(`${label}: ${disk.message}`);
      const before = disk.exists ? await readFile(disk.abs, 'utf8') : null;
      if (before?.includes('\u0000')) return rejected(`${label}: ${block.path} is a binary file`);
      state = { abs: disk.abs, before, after: before };
      files.set(block.path, state);
    }

    if (block.search === '') {
      if (state.after !== null) {
        return rejected(`${label}: creates ${block.path}, which already exists (empty SEARCH)`);
      }
      state.after = block.replace;
      continue;
    }
    if (state.after === null) {
      return rejected(`${label}: ${block.path} does not exist, so its SEARCH cannot match`);
    }
    const m = replaceOnce(state.after, block.search, block.replace);
    if (!m.ok) {
      return m.kind === 'ambiguous'
        ? rejected(`${label}: SEARCH matches ${m.count} times; it must match exactly once`)
        : rejected(`${label}: SEARCH not found in ${block.path} (exact or whitespace-insensitive)`);
    }
    state.after = m.content;
  }

  let linesChanged = 0;
  const changed: string[] = [];
  for (const [path, s] of files) {
    if (s.after === null || s.after === s.before) continue;
    const weak = testWeakening(path, s.before, s.after);
    if (weak) return rejected(`the change ${weak}; deleting or skipping tests is not allowed`);
    const d = diffLines(s.before ?? '', s.after);
    linesChanged += d.added + d.removed;
    changed.push(path);
  }
  if (changed.length === 0) return malformed('the edit blocks change nothing');
  if (changed.length > policy.maxFilesChanged) {
    return rejected(
      `changes ${changed.length} files; maxFilesChanged is ${policy.maxFilesChanged}`,
    );
  }
  if (linesChanged > policy.maxLinesChanged) {
    return rejected(`changes ${linesChanged} lines; maxLinesChanged is ${policy.maxLinesChanged}`);
  }
  if (!opts.dryRun) await writeAll(changed.map((p) => files.get(p)!));
  return { ok: true, changedFiles: changed, filesChanged: changed.length, linesChanged };
}

/** Writes through temp files and renames; on a failure restores what was already written. */
async function writeAll(states: FileState[]): Promise<void> {
  const done: FileState[] = [];
  try {
    for (const s of states) {
      await mkdir(dirname(s.abs), { recursive: true });
      const tmp = `${s.abs}.opencode-tmp-${process.pid}`;
      await writeFile(tmp, s.after ?? '', { flag: 'wx' });
      // Keep the mode (an executable script stays executable).
      if (s.before !== null) await chmod(tmp, (await stat(s.abs)).mode);
      await rename(tmp, s.abs);
      done.push(s);
    }
  } catch (err) {
    for (const s of done.reverse()) {
      if (s.before === null) await rm(s.abs, { force: true });
      else await writeFile(s.abs, s.before);
    }
    throw err;
  }
}
