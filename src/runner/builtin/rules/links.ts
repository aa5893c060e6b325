// Rule 3: relative links in Markdown that point at files that do not exist.
// Fixed only when exactly one tracked file has the link's file name;
// anything ambiguous is left for a human.
import { posix } from 'node:path';
import { fitToPolicy, wholeFileBlock, type FileChange, type Rule } from './types.ts';

const LINK = /(!?\[[^\]]*\])\(([^)\s]+)((?:\s+"[^"]*")?)\)/g;

function codeSpans(line: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const m of line.matchAll(/`+[^`]*`+/g)) spans.push([m.index, m.index + m[0].length]);
  return spans;
}

function isExternal(target: string): boolean {
  return (
    /^[a-z][a-z0-9+.-]*:/i.test(target) ||
    target.startsWith('#') ||
    target.startsWith('/') ||
    target.startsWith('<') ||
    target.includes('{{')
  );
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export const linksRule: Rule = {
  id: 'broken-links',
  type: 'documentation',
  async run({ files, tracked, policy }) {
    const trackedSet = new Set(tracked);
    const dirs = new Set<string>();
    for (const p of tracked)
      for (let d = posix.dirname(p); d !== '.'; d = posix.dirname(d)) dirs.add(d);
    const byName = new Map<string, string[]>();
    for (const p of tracked)
      byName.set(posix.basename(p), [...(byName.get(posix.basename(p)) ?? []), p]);

    const changes: FileChange[] = [];
    const fixes: string[] = [];
    for (const f of files.filter((x) => /\.(md|markdown)$/i.test(x.path))) {
      const base = posix.dirname(f.path);
      let inFence = false;
      const lines = f.content.split('\n').map((line) => {
        if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
        if (inFence) return line;
        const spans = codeSpans(line);
        return line.replace(
          LINK,
          (whole, label: string, target: string, title: string, at: number) => {
            if (spans.some(([s, e]) => at >= s && at < e) || isExternal(target)) return whole;
            const cut = target.search(/[#?]/);
            const pathPart = safeDecode(cut === -1 ? target : target.slice(0, cut));
            const suffix = cut === -1 ? '' : target.slice(cut);
            if (pathPart === '') return whole;
            const resolved = posix.normalize(posix.join(base, pathPart)).replace(/\/$/, '');
            if (
              resolved.startsWith('..') ||
              trackedSet.has(resolved) ||
              dirs.has(resolved) ||
              resolved === '.'
            )
              return whole;
            const matches = byName.get(posix.basename(resolved)) ?? [];
            if (matches.length !== 1) return whole;
            const fixed = posix.relative(base, matches[0]!);
            if (!fixed) return whole;
            fixes.push(`${f.path}: ${target} -> ${fixed}${suffix}`);
            return `${label}(${fixed}${suffix}${title})`;
          },
        );
      });
      const after = lines.join('\n');
      if (after !== f.content) changes.push({ path: f.path, before: f.content, after });
    }
    const fitted = fitToPolicy(changes, policy);
    if (fitted.length === 0) return undefined;
    const kept = fixes.filter((x) => fitted.some((c) => x.startsWith(`${c.path}:`)));
    return {
      title: 'fix broken relative links',
      rationale: `Links pointed at files that do not exist; each now points at the only file with that name: ${kept.join('; ')}.`,
      blocks: fitted.map(wholeFileBlock),
    };
  },
};
