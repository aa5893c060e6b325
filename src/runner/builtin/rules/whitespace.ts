// Rule 1: trailing whitespace and a missing final newline in source and docs.
// Markdown hard breaks (two or more trailing spaces) are kept: they mean something.
import { scopeViolation } from '../../edits/scope.ts';
import type { FileChange, Rule } from './types.ts';

const SOURCE =
  /\.(ts|tsx|mts|cts|js|jsx|mjs|cjs|py|go|rs|java|kt|kts|scala|rb|php|c|h|cc|cpp|hpp|cs|swift|sh|bash|zsh|md|markdown|rst|txt|adoc|ya?ml|toml|json|css|scss|less|html|vue|svelte|sql|tf|lua|ex|exs|dart)$/i;
const MARKDOWN = /\.(md|markdown)$/i;

/** Fixes at most `budget` lines (each costs 2 in the diff: one removed, one added). */
function fixFile(path: string, content: string, budget: number): { after: string; fixed: number } {
  const md = MARKDOWN.test(path);
  const lines = content.split('\n');
  let fixed = 0;
  for (let i = 0; i < lines.length && (fixed + 1) * 2 <= budget; i++) {
    const line = lines[i]!;
    const cr = line.endsWith('\r') ? '\r' : '';
    const body = cr ? line.slice(0, -1) : line;
    const trail = /[ \t]+$/.exec(body)?.[0];
    if (!trail || (md && /^ {2,}$/.test(trail) && body.trim() !== '')) continue;
    lines[i] = body.slice(0, body.length - trail.length) + cr;
    fixed++;
  }
  let after = lines.join('\n');
  if (after !== '' && !after.endsWith('\n') && (fixed + 1) * 2 <= budget) {
    after += content.includes('\r\n') ? '\r\n' : '\n';
    fixed++;
  }
  return { after, fixed };
}

export const whitespaceRule: Rule = {
  id: 'whitespace',
  type: 'style',
  async run({ files, policy }) {
    const changes: FileChange[] = [];
    let budget = policy.maxLinesChanged;
    let fixedLines = 0;
    for (const f of files) {
      if (!SOURCE.test(f.path) || f.content === '' || changes.length >= policy.maxFilesChanged)
        continue;
      if (budget < 2) break;
      const { after, fixed } = fixFile(f.path, f.content, budget);
      if (fixed === 0 || after === f.content) continue;
      // Trailing whitespace inside a string literal (a Python docstring, a
      // template literal, a YAML block scalar) is content: left alone.
      if (scopeViolation('style', [{ path: f.path, before: f.content, after }])) continue;
      budget -= fixed * 2;
      fixedLines += fixed;
      changes.push({ path: f.path, before: f.content, after });
    }
    if (changes.length === 0) return undefined;
    return {
      title: 'remove trailing whitespace and add missing final newlines',
      rationale: `${fixedLines} line(s) in ${changes.length} file(s) had trailing whitespace or no final newline; editors and diffs show them as noise.`,
      blocks: changes.map((c) => ({ path: c.path, search: c.before, replace: c.after })),
    };
  },
};
