// Path rules for edits: relative, inside the repository after resolving
// symlinks, never under .git, never a protected path, and free of the
// invisible or look-alike characters that hide what a path really is.
import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';

/**
 * Characters that hide what a text really is or says, by Unicode category:
 * controls (Cc: NUL, TAB, ESC…), format characters (Cf: bidi overrides as in
 * Trojan Source, zero-width spaces and joiners, soft hyphen, BOM, ARABIC
 * LETTER MARK), private use (Co), unassigned (Cn), lone surrogates (Cs), line
 * and paragraph separators (Zl, Zp), and every Default_Ignorable_Code_Point
 * (HANGUL FILLER U+3164, variation selectors…), which render as nothing.
 */
// U+2800 BRAILLE PATTERN BLANK renders as nothing but is a letter-like symbol,
// not default-ignorable: the one blank the categories miss.
export const HIDDEN_CHAR =
  /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\u2800]/u;
const HIDDEN_CHARS = new RegExp(HIDDEN_CHAR.source, 'gu');

/** Whitespace other than the ASCII space (NO-BREAK SPACE, IDEOGRAPHIC SPACE…). */
const ODD_SPACE = /[^\P{White_Space} ]/u;

/** The HIDDEN_CHAR characters of `text`, in order, leaving out the ones in `allowed`. */
export function hiddenChars(text: string, allowed = ''): string[] {
  return (text.match(HIDDEN_CHARS) ?? []).filter((c) => !allowed.includes(c));
}

/** `U+202E` for a character, as messages name it. */
export function codePoint(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * The first glob (picomatch, dotfiles included, case-insensitive: a
 * case-insensitive checkout or a forge treats `.GitHub/` as `.github/`) that
 * matches `path`.
 */
export function protectedBy(path: string, globs: readonly string[]): string | undefined {
  return globs.find((g) => matcher(g)(path));
}

const matchers = new Map<string, (path: string) => boolean>();
function matcher(glob: string): (path: string) => boolean {
  let m = matchers.get(glob);
  if (!m) {
    m = picomatch(glob, { dot: true, nocase: true });
    if (matchers.size < 1000) matchers.set(glob, m);
  }
  return m;
}

export type PathCheck = { ok: true; path: string } | { ok: false; message: string };

/** Checks the text of a path (no filesystem access). */
export function checkPathSyntax(raw: string, protectedPaths: string[]): PathCheck {
  const path = raw;
  const shown = JSON.stringify(path);
  if (path === '') return { ok: false, message: 'empty path' };
  const hidden = hiddenChars(path)[0];
  if (hidden !== undefined) {
    return {
      ok: false,
      message: `path ${shown} has an invisible, control or bidi character (${codePoint(hidden)})`,
    };
  }
  const space = ODD_SPACE.exec(path)?.[0];
  if (space !== undefined) {
    return { ok: false, message: `path ${shown} has non-ASCII whitespace (${codePoint(space)})` };
  }
  if (path.normalize('NFC') !== path) {
    return { ok: false, message: `path ${shown} is not in Unicode NFC form` };
  }
  if (mixedScripts(path)) {
    return { ok: false, message: `path ${shown} mixes Latin with look-alike letters` };
  }
  if (path.includes('\\')) return { ok: false, message: `path ${path} uses backslashes` };
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith('~')) {
    return {
      ok: false,
      message: `path ${path} is absolute; only repository-relative paths are allowed`,
    };
  }
  if (path.startsWith(':')) {
    return { ok: false, message: `path ${shown} starts with ':' (git pathspec magic)` };
  }
  const parts = path.split('/');
  if (parts.some((p) => p === '..'))
    return { ok: false, message: `path ${path} escapes the repository (..)` };
  if (parts.some((p) => p === '' || p === '.')) {
    return { ok: false, message: `path ${path} is not a normalised relative path` };
  }
  if (parts.some((p) => p.startsWith('-'))) {
    return {
      ok: false,
      message: `path ${shown} has a name starting with '-' (would be read as an option)`,
    };
  }
  if (parts.some((p) => p !== p.trim())) {
    return { ok: false, message: `path ${shown} has a name starting or ending with a space` };
  }
  // `*` and `?` are globs to every shell and tool, and forbidden on Windows; `:`
  // starts NTFS streams (`.git::$INDEX_ALLOCATION`). `[id].tsx` stays allowed:
  // git takes every path literally here.
  if (/[*?:]/.test(path)) {
    return {
      ok: false,
      message: `path ${shown} has a character git or a shell treats specially (* ? :)`,
    };
  }
  // `.git`, and what NTFS or a case-insensitive checkout reads as `.git`:
  // `.git.`, `.git ` and the 8.3 short name `GIT~1`.
  if (parts.some((p) => p.replace(/[. ]+$/, '').toLowerCase() === '.git' || /^git~\d+$/i.test(p))) {
    return { ok: false, message: `path ${path} is inside .git` };
  }
  const hit = protectedBy(path, protectedPaths);
  if (hit) return { ok: false, message: `path ${path} is protected (matches ${hit})` };
  return { ok: true, path };
}

/** A segment with Latin letters mixed with Cyrillic or Greek ones is a classic homoglyph trick. */
function mixedScripts(path: string): boolean {
  return path
    .split('/')
    .some((seg) => /[A-Za-z]/.test(seg) && /[\p{Script=Cyrillic}\p{Script=Greek}]/u.test(seg));
}

export type FsCheck = { ok: true; exists: boolean; abs: string } | { ok: false; message: string };

/**
 * Resolves `path` under `repoDir` and refuses symlinks on the way: the file
 * itself must not be a symlink, and the deepest existing ancestor must
 * resolve inside the repository.
 */
export async function checkPathOnDisk(repoDir: string, path: string): Promise<FsCheck> {
  const root = await realpath(repoDir);
  const abs = join(root, path);
  const st = await lstat(abs).catch(() => undefined);
  if (st?.isSymbolicLink()) return { ok: false, message: `path ${path} is a symlink` };
  if (st && !st.isFile()) return { ok: false, message: `path ${path} is not a regular file` };
  let dir = dirname(abs);
  for (;;) {
    const d = await lstat(dir).catch(() => undefined);
    if (d && !d.isDirectory() && !d.isSymbolicLink()) {
      return { ok: false, message: `path ${path} is below a file, not a directory` };
    }
    if (d) break;
    dir = dirname(dir);
  }
  const real = await realpath(dir);
  const rel = relative(root, real);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    return { ok: false, message: `path ${path} leaves the repository through a symlink` };
  }
  if (rel.split(sep).some((p) => p.toLowerCase() === '.git')) {
    return { ok: false, message: `path ${path} resolves inside .git` };
  }
  return { ok: true, exists: st !== undefined, abs };
}
