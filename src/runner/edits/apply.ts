// Applies SEARCH/REPLACE blocks strictly and atomically: every block is
// validated and applied in memory first; the work tree is written only when
// all of them pass every rule, so a rejected answer leaves no trace.
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { FileChange } from '../files/change.ts';
import { testIntegrityViolation } from '../testing/integrity.ts';
import type { ApplyResult, EditBlock, EditPolicy } from '../types.ts';
import { diffLines } from '../files/line-diff.ts';
import {
  contentLimitViolation,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_LINE_LENGTH,
} from './limits.ts';
import { replaceOnce } from './match.ts';
import { checkPathOnDisk, checkPathSyntax, codePoint, hiddenChars } from './paths.ts';
import { protectionViolation } from './protect.ts';
import { scopeViolation } from './scope.ts';

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
    if (block.replace.includes('\u0000')) return rejected(`${label}: writes binary content`);
    const added = addedHidden(block.search, block.replace);
    if (added !== undefined) {
      return rejected(
        `${label}: adds invisible, control or bidi characters (${codePoint(added)}; Trojan Source)`,
      );
    }

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

  const changes: FileChange[] = [];
  for (const [path, s] of files) {
    if (s.after !== null && s.after !== s.before)
      changes.push({ path, before: s.before, after: s.after });
  }
  if (changes.length === 0) return malformed('the edit blocks change nothing');
  const violation =
    protectionViolation(policy.type, changes, policy.protectedPaths) ??
    contentLimitViolation(changes, {
      maxFileBytes: policy.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      maxLineLength: policy.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
    }) ??
    scopeViolation(policy.type, changes) ??
    testIntegrityViolation(changes, { packageName: await packageName(repoDir) });
  if (violation !== undefined) return rejected(violation);

  let linesChanged = 0;
  for (const c of changes) {
    const d = diffLines(c.before ?? '', c.after ?? '');
    linesChanged += d.added + d.removed;
  }
  const changed = changes.map((c) => c.path);
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

/** TAB, LF and CR are ordinary in content; every other hidden character counts. */
const CONTENT_WHITESPACE = '\t\n\r';

/** A hidden character the replacement has more of than the text it replaces, if any. */
function addedHidden(search: string, replace: string): string | undefined {
  const count = new Map<string, number>();
  for (const c of hiddenChars(search, CONTENT_WHITESPACE)) count.set(c, (count.get(c) ?? 0) + 1);
  for (const c of hiddenChars(replace, CONTENT_WHITESPACE)) {
    const n = count.get(c) ?? 0;
    if (n === 0) return c;
    count.set(c, n - 1);
  }
  return undefined;
}

/** The repository's own package name: a new test may import the code under test by it. */
async function packageName(repoDir: string): Promise<string | undefined> {
  const disk = await checkPathOnDisk(repoDir, 'package.json');
  if (!disk.ok || !disk.exists) return undefined;
  try {
    const name = (JSON.parse(await readFile(disk.abs, 'utf8')) as { name?: unknown }).name;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
