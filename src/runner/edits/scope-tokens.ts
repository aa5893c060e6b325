// What the scope check compares: a file reduced to a stream of keys, one per
// token (or per syntax node boundary), each with the offset it came from so a
// difference can be reported by line. Shared by the JavaScript/TypeScript
// stream (scope-js.ts) and the tokenizer-lite for other languages
// (scope-lite.ts).

export interface Tok {
  key: string;
  /** Offset in the text the token was read from. */
  pos: number;
}

/** What may differ: `documentation` ignores comments, `style` keeps them. */
export type ScopeMode = 'documentation' | 'style';

/**
 * Comments that are not prose: they tell a tool (linter, type checker,
 * coverage, bundler, compiler, interpreter) to behave differently. A
 * documentation improvement may not add, change or remove them; they are
 * compared like code. Deliberately broad: a false positive only means the
 * comment cannot change under `documentation`.
 */
const DIRECTIVES: RegExp[] = [
  // linters and formatters
  /eslint-(disable|enable|env)|^\/\*\s*(eslint|globals?|exported|jshint|jslint)\s|tslint:|jscs:|prettier-ignore|@(format|noformat|prettier)\b/i,
  /\bnoqa\b|\b(pylint|mypy|pyright|isort|ruff|flake8|bandit)\s*:|pyre-(ignore|fixme|strict|unsafe)|\bnosec\b|\bfmt:\s*(off|on|skip)/i,
  /rubocop:|shellcheck\s|yamllint\s|NOLINT|NOSONAR|clang-format\s+(off|on)|clang-tidy|cppcheck-suppress|\bnolint\b|lint:ignore/i,
  // coverage (what the test gate measures)
  /istanbul\s+ignore|\b[cv]8\s+ignore|pragma:\s*no\s*(cover|branch)|:nocov:|LCOV_EXCL|GCOVR_EXCL|codecov/i,
  // type checkers
  /@ts-(ignore|expect-error|nocheck|check)|type:\s*ignore|^#\s*type:|^#\s*typed:/i,
  // compilers, bundlers, test runners
  /@jsx\w*|@(flow|noflow|refresh)\b|@(jest|vitest)-environment|@vite-ignore|webpack[A-Z]\w*\s*:|[#@]__[A-Z_]+__|[#@]\s*source(Mapping)?URL\s*=/,
  /^\/\/(go:|line |export |extern )|^\/\/\s*\+build\b/,
  // interpreters: source encoding, Ruby magic comments, cloud-init, editors' schemas
  /coding[:=]|frozen_string_literal:|shareable_constant_value:|warn_(indent|past_scope):|^#\s*cloud-config|yaml-language-server:/i,
];

export function isDirectiveComment(comment: string): boolean {
  return DIRECTIVES.some((re) => re.test(comment));
}

export function normalizeComment(comment: string): string {
  return comment.replace(/\s+/g, ' ').trim();
}

/** The token a comment contributes in this mode, if any. */
export function commentToken(comment: string, pos: number, mode: ScopeMode): Tok | undefined {
  if (mode === 'style') return { key: `c:${normalizeComment(comment)}`, pos };
  if (isDirectiveComment(comment)) return { key: `d:${normalizeComment(comment)}`, pos };
  return undefined;
}

/** Index of the first differing token, or undefined when the streams are equal. */
export function firstDifference(a: Tok[], b: Tok[]): number | undefined {
  const n = Math.min(a.length, b.length);
  for (let k = 0; k < n; k++) if (a[k]!.key !== b[k]!.key) return k;
  return a.length === b.length ? undefined : n;
}

/** 1-based line of an offset. */
export function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let k = text.indexOf('\n'); k !== -1 && k < pos; k = text.indexOf('\n', k + 1)) line++;
  return line;
}
