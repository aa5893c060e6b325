// STATE.md: the bot's current context. The bot owns the Last Updated and
// Status fields and the Current Focus, Recent Changes, Next Actions and
// Failure Log sections, and the metric lines it writes; any other text,
// section or metric line a human added is kept verbatim.
import {
  findSection,
  getField,
  listItems,
  parseMarkdown,
  renderMarkdown,
  setField,
  setSection,
  type MarkdownDoc,
} from './markdown.ts';

export const RECENT_CHANGES_LIMIT = 15;
export const FAILURE_LOG_LIMIT = 20;
export const COVERAGE_TREND_LIMIT = 10;

export interface StateUpdate {
  date: string;
  status: string;
  focus?: string;
  recentChange?: string;
  nextActions?: string[];
  /** Latest coverage; shifts the trend. */
  coverage?: number;
  /** Findings of the extra checks (lint, type check) on the committed tree; shifts their trend. */
  findings?: number;
  /** A failed attempt, appended to the Failure Log. */
  failure?: string;
  /** Success resets the consecutive-failure count, failure increments it. */
  result?: 'success' | 'failure' | 'neutral';
}

export interface StateView {
  lastUpdated?: string;
  status?: string;
  focus: string;
  recentChanges: string[];
  nextActions: string[];
  coverageTrend: number[];
  findingsTrend: number[];
  consecutiveFailures: number;
}

export function initialState(date: string): string {
  return [
    '# Current State',
    '',
    `**Last Updated**: ${date}`,
    '**Status**: Initialized',
    '',
    '## Current Focus',
    'Analysing the repository for a first improvement.',
    '',
    '## Recent Changes',
    '- Initialized OpenCode state tracking',
    '',
    '## Next Actions',
    '1. Pick the highest-priority improvement from the decision matrix',
    '',
    '## Metrics',
    '- Consecutive Failures: 0',
    '',
  ].join('\n');
}

const metricRe = (name: string) => new RegExp(`^- ${name}:\\s*(.*)$`, 'm');

export function readState(text: string): StateView {
  const doc = parseMarkdown(text);
  const metrics = findSection(doc, 'Metrics')?.body ?? '';
  const trendOf = (name: string) =>
    (metricRe(name).exec(metrics)?.[1] ?? '')
      .split('→')
      .map((v) => Number.parseFloat(v))
      .filter((n) => Number.isFinite(n));
  return {
    lastUpdated: getField(doc, 'Last Updated'),
    status: getField(doc, 'Status'),
    focus: (findSection(doc, 'Current Focus')?.body ?? '').trim(),
    recentChanges: listItems(findSection(doc, 'Recent Changes')?.body ?? ''),
    nextActions: listItems(findSection(doc, 'Next Actions')?.body ?? ''),
    coverageTrend: trendOf('Coverage Trend'),
    findingsTrend: trendOf('Quality Trend'),
    consecutiveFailures: Number(metricRe('Consecutive Failures').exec(metrics)?.[1] ?? 0) || 0,
  };
}

export function updateState(text: string, u: StateUpdate): string {
  const doc = parseMarkdown(text);
  const view = readState(text);
  setField(doc, 'Last Updated', u.date);
  setField(doc, 'Status', oneLine(u.status));
  if (u.focus !== undefined) setSection(doc, 'Current Focus', oneLine(u.focus));
  if (u.recentChange !== undefined)
    prependItem(doc, 'Recent Changes', u.recentChange, RECENT_CHANGES_LIMIT);
  if (u.nextActions)
    setSection(
      doc,
      'Next Actions',
      u.nextActions.map((a, i) => `${i + 1}. ${oneLine(a)}`).join('\n'),
    );
  if (u.failure !== undefined)
    appendItem(doc, 'Failure Log', `${u.date}: ${oneLine(u.failure)}`, FAILURE_LOG_LIMIT);

  const metrics: Record<string, string> = {};
  if (u.coverage !== undefined) {
    const trend = [...view.coverageTrend, round(u.coverage)].slice(-COVERAGE_TREND_LIMIT);
    const prev = trend.length > 1 ? `${trend[trend.length - 2]}% → ` : '';
    metrics['Test Coverage'] = `${prev}${round(u.coverage)}%`;
    metrics['Coverage Trend'] = trend.join(' → ');
  }
  if (u.findings !== undefined) {
    const trend = [...view.findingsTrend, u.findings].slice(-COVERAGE_TREND_LIMIT);
    metrics['Quality Findings'] = String(u.findings);
    metrics['Quality Trend'] = trend.join(' → ');
  }
  if (u.result === 'success') metrics['Consecutive Failures'] = '0';
  if (u.result === 'failure')
    metrics['Consecutive Failures'] = String(view.consecutiveFailures + 1);
  setMetrics(doc, metrics);
  return renderMarkdown(doc);
}

/** Replaces the bot's metric lines in place; other metric lines stay as written. */
function setMetrics(doc: MarkdownDoc, values: Record<string, string>): void {
  if (!Object.keys(values).length) return;
  let body = findSection(doc, 'Metrics')?.body ?? '';
  for (const [name, value] of Object.entries(values)) {
    const re = metricRe(name);
    const line = `- ${name}: ${value}`;
    if (re.test(body)) body = body.replace(re, line);
    else body = `${body.replace(/\s+$/, '')}${body.trim() ? '\n' : ''}${line}\n`;
  }
  setSection(doc, 'Metrics', body);
}

function prependItem(doc: MarkdownDoc, heading: string, item: string, limit: number): void {
  const lines = (findSection(doc, heading)?.body ?? '').replace(/\s+$/, '').split('\n');
  const bullets = lines.filter((l) => /^- /.test(l));
  const others = lines.filter((l) => !/^- /.test(l) && l.trim());
  const kept = [`- ${oneLine(item)}`, ...bullets].slice(0, limit);
  setSection(doc, heading, [...others, ...kept].join('\n'));
}

function appendItem(doc: MarkdownDoc, heading: string, item: string, limit: number): void {
  const lines = (findSection(doc, heading)?.body ?? '').replace(/\s+$/, '').split('\n');
  const bullets = lines.filter((l) => /^- /.test(l));
  const others = lines.filter((l) => !/^- /.test(l) && l.trim());
  const kept = [...bullets, `- ${oneLine(item)}`].slice(-limit);
  setSection(doc, heading, [...others, ...kept].join('\n'));
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
