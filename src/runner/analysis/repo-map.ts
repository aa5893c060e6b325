// A compact map of the repository for the model: each file with its
// top-level symbols, cut to a token budget (about 4 characters per token).
// Files named by the candidates come first so the budget is spent on them.
// Files are read without following symlinks (a tracked symlink to /etc/passwd
// must not lend its contents to the map).
import { tryReadRepoFile } from '../improver/untrusted.ts';
import { SOURCE_EXT } from './files.ts';

export const CHARS_PER_TOKEN = 4;

const SYMBOL_PATTERNS: RegExp[] = [
  // JS/TS
  /^export\s+(?:default\s+)?(?:async\s+)?(?:function\*?|class|interface|type|const|let|enum)\s+([A-Za-z_$][\w$]*)/,
  /^(?:async\s+)?function\*?\s+([A-Za-z_$][\w$]*)/,
  /^class\s+([A-Za-z_$][\w$]*)/,
  /^module\.exports\s*=\s*\{?\s*([\w$, ]+)/,
  // Python
  /^(?:async\s+)?def\s+([A-Za-z_]\w*)/,
  /^class\s+([A-Za-z_]\w*)/,
  // Go
  /^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)/,
  /^type\s+([A-Za-z_]\w*)/,
  // Rust
  /^pub\s+(?:fn|struct|enum|trait)\s+([A-Za-z_]\w*)/,
  /^fn\s+([A-Za-z_]\w*)/,
];

export function topLevelSymbols(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    for (const re of SYMBOL_PATTERNS) {
      const m = re.exec(line);
      if (m?.[1]) {
        for (const s of m[1].split(',')) if (s.trim()) out.add(s.trim());
        break;
      }
    }
  }
  return [...out];
}

export async function buildRepoMap(
  dir: string,
  files: string[],
  tokenBudget: number,
  focus: string[] = [],
): Promise<string> {
  const budget = tokenBudget * CHARS_PER_TOKEN;
  const focusSet = new Set(focus);
  const ordered = [
    ...files.filter((f) => focusSet.has(f)),
    ...files.filter((f) => !focusSet.has(f)),
  ];
  let out = '';
  let omitted = 0;
  for (const path of ordered) {
    let line = path;
    if (SOURCE_EXT.test(path) && !path.endsWith('.md')) {
      const text = (await tryReadRepoFile(dir, path)) ?? '';
      const symbols = topLevelSymbols(text).slice(0, 20);
      if (symbols.length) line += `: ${symbols.join(', ')}`;
    }
    // Leave room for the "omitted" note so the model knows the map is partial.
    if (out.length + line.length + 1 > budget - 40) {
      omitted++;
      continue;
    }
    out += `${line}\n`;
  }
  const note = omitted ? `… ${omitted} more files omitted\n` : '';
  return out + note;
}
