// PLAN.md: a checkbox roadmap (Short Term, Medium Term). The bot adds items
// it means to do and ticks the ones it finished; it never removes or rewords
// an item, so a human's edits survive.
import { escapeRe, findSection, parseMarkdown, renderMarkdown, setSection } from './markdown.ts';

export type Horizon = 'Short Term' | 'Medium Term';

export interface PlanItem {
  horizon: string;
  text: string;
  done: boolean;
}

export function initialPlan(): string {
  return [
    '# Improvement Plan',
    '',
    '## Short Term',
    '- [ ] Fix failing tests and labelled issues first',
    '- [ ] Improve documentation and code style',
    '',
    '## Medium Term',
    '- [ ] Increase test coverage',
    '- [ ] Refactor complex modules',
    '',
  ].join('\n');
}

const ITEM = /^\s*[-*] \[( |x|X)\] (.*)$/;

export function readPlan(text: string): PlanItem[] {
  const doc = parseMarkdown(text);
  const out: PlanItem[] = [];
  for (const s of doc.sections)
    for (const line of s.body.split('\n')) {
      const m = ITEM.exec(line);
      if (m) out.push({ horizon: s.heading.trim(), text: (m[2] ?? '').trim(), done: m[1] !== ' ' });
    }
  return out;
}

/** Adds an unchecked item unless one with the same text exists anywhere. */
export function addPlanItem(text: string, horizon: Horizon, item: string): string {
  if (readPlan(text).some((p) => p.text.toLowerCase() === item.toLowerCase())) return text;
  const doc = parseMarkdown(text);
  const body = findSection(doc, horizon)?.body ?? '';
  const trimmed = body.replace(/\s+$/, '');
  setSection(doc, horizon, `${trimmed}${trimmed ? '\n' : ''}- [ ] ${item}`);
  return renderMarkdown(doc);
}

/** Ticks the item with this text (case-insensitive); unchanged when absent. */
export function checkPlanItem(text: string, item: string): string {
  const re = new RegExp(`^(\\s*[-*] )\\[ \\]( ${escapeRe(item)}\\s*)$`, 'im');
  return text.replace(re, '$1[x]$2');
}
