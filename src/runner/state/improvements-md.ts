// IMPROVEMENTS.md: one entry per improvement, newest first.
//
//   ### 2026-02-10 - Refactor Error Handling
//   - **Type**: refactoring
//   - **Scope**: src/utils/errors.js
//   - **Impact**: Reduced complexity by 40%
//   - **Commit**: abc123
//   - **PR**: #42
//   - **Run**: api-server-29384756 (optional: the ImprovementRun that committed it)
//   - **Reverted**: 2026-02-12 (optional)
//
// Entries a human wrote (or edited) are kept byte for byte; the bot inserts
// new entries and adds or replaces single fields of its own entries.
import { escapeRe } from './markdown.ts';

export interface ImprovementEntry {
  date: string;
  title: string;
  type?: string;
  scope?: string;
  impact?: string;
  commit?: string;
  pr?: number;
  /** The ImprovementRun that committed it (entries written since rollback by run). */
  run?: string;
  /** Extra fields, by name. */
  fields: Record<string, string>;
  reverted: boolean;
}

export const IMPROVEMENTS_HEADER = '# Improvements\n\nLog of completed work, newest first.\n';

export function initialImprovements(): string {
  return `${IMPROVEMENTS_HEADER}\n`;
}

const ENTRY = /^### (\d{4}-\d{2}-\d{2}) - (.*)$/;
const FIELD = /^- \*\*([^*]+)\*\*:\s*(.*)$/;

/** Splits into the header and one text block per entry (lossless). */
function split(text: string): { head: string; blocks: string[] } {
  const lines = text.split(/(?<=\n)/);
  let head = '';
  const blocks: string[] = [];
  for (const line of lines) {
    if (ENTRY.test(line.replace(/\r?\n$/, ''))) blocks.push(line);
    else if (blocks.length) blocks[blocks.length - 1] += line;
    else head += line;
  }
  return { head, blocks };
}

function parseBlock(block: string): ImprovementEntry {
  const [first = '', ...rest] = block.split('\n');
  const m = ENTRY.exec(first);
  const fields: Record<string, string> = {};
  for (const l of rest) {
    const f = FIELD.exec(l);
    if (f) fields[(f[1] ?? '').trim().toLowerCase()] = (f[2] ?? '').trim();
  }
  const pr = /#?(\d+)/.exec(fields.pr ?? '')?.[1];
  const reverted = fields.reverted !== undefined && !/^(no|false|-)?$/i.test(fields.reverted);
  return {
    date: m?.[1] ?? '',
    title: (m?.[2] ?? '').trim(),
    type: fields.type,
    scope: fields.scope,
    impact: fields.impact,
    commit: fields.commit && fields.commit !== '-' ? fields.commit : undefined,
    pr: pr ? Number(pr) : undefined,
    run: fields.run && fields.run !== '-' ? fields.run : undefined,
    fields,
    reverted,
  };
}

export function readImprovements(text: string): ImprovementEntry[] {
  return split(text).blocks.map(parseBlock);
}

export interface NewEntry {
  date: string;
  title: string;
  type: string;
  scope: string;
  impact: string;
  commit?: string;
  pr?: number;
  run?: string;
}

export function renderEntry(e: NewEntry): string {
  return [
    `### ${e.date} - ${e.title.replace(/\s+/g, ' ').trim()}`,
    `- **Type**: ${e.type}`,
    `- **Scope**: ${e.scope || '-'}`,
    `- **Impact**: ${e.impact.replace(/\s+/g, ' ').trim() || '-'}`,
    `- **Commit**: ${e.commit ?? '-'}`,
    `- **PR**: ${e.pr ? `#${e.pr}` : '-'}`,
    ...(e.run ? [`- **Run**: ${e.run}`] : []),
    '',
  ].join('\n');
}

/** Inserts a new entry above the newest one. */
export function addImprovement(text: string, e: NewEntry): string {
  const { head, blocks } = split(text);
  const h = head.replace(/\n*$/, '\n\n');
  return h + renderEntry(e) + '\n' + blocks.join('');
}

/** Sets one field of the entry whose Commit matches (prefix match either way). */
export function setImprovementField(
  text: string,
  commit: string,
  name: string,
  value: string,
): string {
  const { head, blocks } = split(text);
  const i = blocks.findIndex((b) => {
    const c = parseBlock(b).commit;
    return !!c && (c.startsWith(commit) || commit.startsWith(c));
  });
  if (i < 0) return text;
  const block = blocks[i] ?? '';
  const re = new RegExp(`^- \\*\\*${escapeRe(name)}\\*\\*:.*$`, 'mi');
  const line = `- **${name}**: ${value}`;
  if (re.test(block)) blocks[i] = block.replace(re, line);
  else {
    const trail = /\n*$/.exec(block)?.[0] ?? '';
    blocks[i] = `${block.slice(0, block.length - trail.length)}\n${line}${trail || '\n'}`;
  }
  return head + blocks.join('');
}

export function markReverted(text: string, commit: string, date: string, by?: string): string {
  return setImprovementField(text, commit, 'Reverted', by ? `${date} (${by})` : date);
}

/**
 * Marks the entry of a rolled-back commit: `- **Reverted**: <date> by <run>
 * (rollback <id>)`, plus the revert PR when the change had reached main.
 * Returns the text unchanged when no entry records that commit.
 */
export function markRolledBack(
  text: string,
  commit: string,
  r: { date: string; run: string; rollbackId: string; pr?: number },
): string {
  const pr = r.pr ? `, PR #${r.pr}` : '';
  return setImprovementField(
    text,
    commit,
    'Reverted',
    `${r.date} by ${r.run} (rollback ${r.rollbackId}${pr})`,
  );
}
