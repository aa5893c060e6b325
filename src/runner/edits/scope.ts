// Does a change stay within the improvement type it declares? The model's
// word for what it did counts for nothing: a "documentation" change that
// alters a single token of code, or a "style" change that renames a variable,
// is refused here, before any test runs.
//
//   documentation  docs files freely; elsewhere comments and whitespace only
//   style          formatting only (whitespace, optional commas and
//                  semicolons, quote style); no new or deleted files
//   tests          test files only, created or changed, never deleted
//   dependencies   anything (protected paths are checked elsewhere)
//   security       anything (a fix is often an upgrade)
//   the rest       anything but dependency manifests and lockfiles
import type { ImprovementType } from '../../crds/index.ts';
import type { FileChange } from '../files/change.ts';
import {
  codeLanguage,
  isDependencyFile,
  isDocFile,
  isTestFile,
  mayChangeDependencies,
} from '../files/kinds.ts';
import { jsLanguageName, jsTokens } from './scope-js.ts';
import { LITE_LANGUAGE_NAMES, liteLanguage, liteTokens } from './scope-lite.ts';
import { firstDifference, lineAt, type ScopeMode, type Tok } from './scope-tokens.ts';

const DOCS_ONLY = 'documentation may change docs files and comments only';
const STYLE_ONLY =
  'style may change formatting only (whitespace, line breaks, optional commas and semicolons, quote style)';

/** The first change outside what `type` allows, as a message naming the file; undefined when all fit. */
export function scopeViolation(type: ImprovementType, changes: FileChange[]): string | undefined {
  for (const change of changes) {
    if (change.before === change.after) continue;
    const why = fileViolation(type, change);
    if (why) return why;
  }
  return undefined;
}

function fileViolation(type: ImprovementType, c: FileChange): string | undefined {
  const a = `a ${type} improvement`;
  const verb = c.before === null ? 'creates' : c.after === null ? 'deletes' : 'changes';
  if (mayChangeDependencies(type)) return undefined;
  if (isDependencyFile(c.path))
    return `${a} ${verb} ${c.path}, a dependency file; only a dependencies or security improvement may touch dependency manifests and lockfiles`;
  switch (type) {
    case 'documentation':
      if (isDocFile(c.path)) return undefined;
      if (c.before === null || c.after === null)
        return `${a} ${verb} ${c.path}, which is not a docs file; documentation may create and delete docs files only`;
      return sameTokens(a, 'documentation', c.path, c.before, c.after, DOCS_ONLY);
    case 'style':
      if (c.before === null || c.after === null)
        return `${a} ${verb} ${c.path}; style may only reformat existing files`;
      return sameTokens(a, 'style', c.path, c.before, c.after, STYLE_ONLY);
    case 'tests':
      if (c.after === null)
        return `${a} deletes ${c.path}; tests may change and create test files, not delete them`;
      if (!isTestFile(c.path))
        return `${a} ${verb} ${c.path}, which is not a test file; tests may change and create test files only`;
      return undefined;
    default:
      return undefined;
  }
}

interface Reading {
  language: string;
  before: Tok[] | undefined;
  after: Tok[] | undefined;
}

function read(path: string, before: string, after: string, mode: ScopeMode): Reading | undefined {
  if (codeLanguage(path) === 'js')
    return {
      language: jsLanguageName(path),
      before: jsTokens(path, before, mode),
      after: jsTokens(path, after, mode),
    };
  const lang = liteLanguage(path);
  if (lang)
    return {
      language: LITE_LANGUAGE_NAMES[lang],
      before: liteTokens(lang, before, mode),
      after: liteTokens(lang, after, mode),
    };
  return undefined;
}

function sameTokens(
  a: string,
  mode: ScopeMode,
  path: string,
  before: string,
  after: string,
  allowed: string,
): string | undefined {
  const r = read(path, before, after, mode);
  if (!r) {
    if (mode === 'documentation')
      return `${a} changes ${path}, which is not a docs file and not in a language whose comments this check can tell from code; ${allowed}`;
    const line = firstLooseDifference(before, after);
    return line === undefined
      ? undefined
      : `${a} changes ${path} beyond trailing whitespace and final newlines (line ${line}), and this check cannot read its language; ${allowed}`;
  }
  if (!r.before || !r.after) {
    const when = !r.before ? 'before' : 'after';
    return `${a} changes ${path}, which does not parse as ${r.language} ${when} the change, so its comments cannot be told from its code; ${allowed}`;
  }
  const k = firstDifference(r.before, r.after);
  if (k === undefined) return undefined;
  const tok = r.after[k] ?? r.before[k]!;
  const line = lineAt(r.after[k] ? after : before, tok.pos);
  const directive = [r.before[k], r.after[k]].some((t) => t?.key.startsWith('d:'));
  if (directive)
    return `${a} changes a tool directive comment in ${path} (line ${line}); directives (lint, coverage, type-check and compiler pragmas) count as code; ${allowed}`;
  return `${a} changes code in ${path} (tokens differ at line ${line}); ${allowed}`;
}

/** Languages this check cannot read: only trailing whitespace and final newlines may differ. */
function firstLooseDifference(before: string, after: string): number | undefined {
  const lines = (t: string) => {
    const ls = t.split('\n').map((l) => l.replace(/[ \t\r]+$/, ''));
    while (ls.length > 0 && ls[ls.length - 1] === '') ls.pop();
    return ls;
  };
  const b = lines(before);
  const x = lines(after);
  for (let k = 0; k < Math.max(b.length, x.length); k++) if (b[k] !== x[k]) return k + 1;
  return undefined;
}
