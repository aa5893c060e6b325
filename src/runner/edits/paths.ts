// Path rules for edits: relative, inside the repository after resolving
// symlinks, never under .git, never a protected path, and free of the
// invisible or look-alike characters that hide what a path really is.
import { lstat, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import picomatch from 'picomatch';

/** Bidi controls (Trojan Source) and zero-width characters. */
export const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u00AD]/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001F\u007F]/;

export type PathCheck = { ok: true; path: string } | { ok: false; message: string };

/** Checks the text of a path (no filesystem access). */
export function checkPathSyntax(raw: string, protectedPaths: string[]): PathCheck {
  const path = raw;
  if (path === '') return { ok: false, message: 'empty path' };
  if (CONTROL.test(path))
    return { ok: false, message: `path ${JSON.stringify(path)} has control characters` };
  if (INVISIBLE.test(path)) {
    return { ok: false, message: `path ${JSON.stringify(path)} has invisible or bidi characters` };
  }
  if (path.normalize('NFC') !== path) {
    return { ok: false, message: `path ${JSON.stringify(path)} is not in Unicode NFC form` };
  }
  if (mixedScripts(path)) {
    return {
      ok: false,
      message: `path ${JSON.stringify(path)} mixes Latin with look-alike letters`,
    };
  }
  if (path.includes('\\')) return { ok: false, message: `path ${path} uses backslashes` };
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path) || path.startsWith('~')) {
    return {
      ok: false,
      message: `path ${path} is absolute; only repository-relative paths are allowed`,
    };
  }
  const parts = path.split('/');
  if (parts.some((p) => p === '..'))
    return { ok: false, message: `path ${path} escapes the repository (..)` };
  if (parts.some((p) => p === '' || p === '.')) {
    return { ok: false, message: `path ${path} is not a normalised relative path` };
  }
  if (parts.some((p) => p.toLowerCase() === '.git')) {
    return { ok: false, message: `path ${path} is inside .git` };
  }
  const hit = protectedPaths.find((g) => picomatch(g, { dot: true })(path));
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
