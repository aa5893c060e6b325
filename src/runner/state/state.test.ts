import { describe, expect, it } from '@jest/globals';
import { parseMarkdown, renderMarkdown } from './markdown.ts';
import { initialState, readState, updateState } from './state-md.ts';
import { addPlanItem, checkPlanItem, initialPlan, readPlan } from './plan-md.ts';
import {
  addImprovement,
  initialImprovements,
  markReverted,
  readImprovements,
  setImprovementField,
} from './improvements-md.ts';

const HUMAN_STATE = `# Current State

**Last Updated**: 2026-02-10
**Status**: Improving test coverage
**Owner**: the platform team

Some notes a human wrote above the sections.

## Current Focus
Working on increasing test coverage in src/utils/

## Recent Changes
- Refactored error handling module
- Added 15 new test cases

## Human Notes
Do not touch the payments module.
\`\`\`
## not a heading inside a fence
\`\`\`

## Next Actions
1. Complete coverage for auth module
2. Document new error patterns

## Metrics
- Test Coverage: 67% → 72%
- Code Quality: A-
`;

describe('markdown', () => {
  it('round-trips any document byte for byte', () => {
    for (const text of [
      HUMAN_STATE,
      '',
      'no headings\n',
      '## a\n## b\n\n\ntext',
      'x\r\n## y\r\nz',
    ]) {
      expect(renderMarkdown(parseMarkdown(text))).toBe(text);
    }
  });

  it('does not treat a heading inside a code fence as a section', () => {
    const doc = parseMarkdown(HUMAN_STATE);
    expect(doc.sections.map((s) => s.heading)).toEqual([
      'Current Focus',
      'Recent Changes',
      'Human Notes',
      'Next Actions',
      'Metrics',
    ]);
  });
});

describe('STATE.md', () => {
  it('reads the seed format', () => {
    const v = readState(HUMAN_STATE);
    expect(v.lastUpdated).toBe('2026-02-10');
    expect(v.status).toBe('Improving test coverage');
    expect(v.recentChanges).toEqual([
      'Refactored error handling module',
      'Added 15 new test cases',
    ]);
    expect(v.nextActions).toHaveLength(2);
    expect(v.consecutiveFailures).toBe(0);
  });

  it('updates the bot-owned parts and keeps human text verbatim', () => {
    const out = updateState(HUMAN_STATE, {
      date: '2026-11-22',
      status: 'Improved documentation',
      focus: 'Documentation of src/a.js',
      recentChange: 'docs: document add()',
      nextActions: ['Add tests for sum'],
      coverage: 80.04,
      result: 'success',
    });
    expect(out).toContain('**Last Updated**: 2026-11-22');
    expect(out).toContain('**Status**: Improved documentation');
    expect(out).toContain('**Owner**: the platform team');
    expect(out).toContain('Some notes a human wrote above the sections.');
    expect(out).toContain(
      '## Human Notes\nDo not touch the payments module.\n```\n## not a heading inside a fence\n```\n',
    );
    expect(out).toContain('## Current Focus\nDocumentation of src/a.js\n');
    expect(out).toContain(
      '- docs: document add()\n- Refactored error handling module\n- Added 15 new test cases',
    );
    expect(out).toContain('## Next Actions\n1. Add tests for sum\n');
    expect(out).toContain('- Code Quality: A-');
    expect(out).toContain('- Test Coverage: 80%');
    expect(out).toContain('- Coverage Trend: 80');
    expect(out.match(/## /g)).toHaveLength(HUMAN_STATE.match(/## /g)!.length);
  });

  it('keeps a coverage trend and counts consecutive failures', () => {
    let s = initialState('2026-11-20');
    s = updateState(s, { date: 'd1', status: 's', coverage: 60, result: 'success' });
    s = updateState(s, { date: 'd2', status: 's', coverage: 65.25, result: 'success' });
    expect(s).toContain('- Test Coverage: 60% → 65.3%');
    expect(readState(s).coverageTrend).toEqual([60, 65.3]);
    s = updateState(s, {
      date: 'd3',
      status: 'failed',
      failure: 'TestsFailed: x',
      result: 'failure',
    });
    s = updateState(s, {
      date: 'd4',
      status: 'failed',
      failure: 'TestsFailed: y',
      result: 'failure',
    });
    expect(readState(s).consecutiveFailures).toBe(2);
    expect(s).toContain('## Failure Log\n- d3: TestsFailed: x\n- d4: TestsFailed: y\n');
    s = updateState(s, { date: 'd5', status: 'ok', result: 'success' });
    expect(readState(s).consecutiveFailures).toBe(0);
    // The failure log is history: success does not erase it.
    expect(s).toContain('- d4: TestsFailed: y');
  });

  it('caps the recent changes list', () => {
    let s = initialState('d');
    for (let i = 0; i < 30; i++)
      s = updateState(s, { date: 'd', status: 's', recentChange: `c${i}` });
    const v = readState(s);
    expect(v.recentChanges).toHaveLength(15);
    expect(v.recentChanges[0]).toBe('c29');
  });
});

describe('PLAN.md', () => {
  it('adds, dedupes and ticks items without touching human items', () => {
    const human = `${initialPlan()}\n## Long Term\n- [ ] Human idea\n`;
    let p = addPlanItem(human, 'Short Term', 'Document src/a.js');
    p = addPlanItem(p, 'Short Term', 'document src/a.js');
    expect(p.match(/Document src\/a\.js/gi)).toHaveLength(1);
    p = checkPlanItem(p, 'Document src/a.js');
    const items = readPlan(p);
    expect(items).toContainEqual({ horizon: 'Short Term', text: 'Document src/a.js', done: true });
    expect(items).toContainEqual({ horizon: 'Long Term', text: 'Human idea', done: false });
    expect(p).toContain('## Long Term\n- [ ] Human idea\n');
  });
});

describe('IMPROVEMENTS.md', () => {
  const seed = `# Improvements

Log of completed work.

### 2026-02-10 - Refactor Error Handling
- **Type**: refactoring
- **Scope**: src/utils/errors.js
- **Impact**: Reduced complexity by 40%
- **Commit**: abc123
- **PR**: #42
A human remark under the entry.
`;

  it('reads the seed entry', () => {
    expect(readImprovements(seed)).toEqual([
      expect.objectContaining({
        date: '2026-02-10',
        title: 'Refactor Error Handling',
        type: 'refactoring',
        commit: 'abc123',
        pr: 42,
        reverted: false,
      }),
    ]);
  });

  it('adds entries newest first and fills fields later, keeping old entries verbatim', () => {
    let t = addImprovement(seed, {
      date: '2026-11-22',
      title: 'Document add()',
      type: 'documentation',
      scope: 'src/a.js',
      impact: 'Explains arguments',
      commit: 'fff000111',
    });
    t = setImprovementField(t, 'fff000111aaaa', 'PR', '#7');
    const entries = readImprovements(t);
    expect(entries.map((e) => e.title)).toEqual(['Document add()', 'Refactor Error Handling']);
    expect(entries[0]).toMatchObject({ pr: 7, commit: 'fff000111' });
    expect(t.endsWith(seed.slice(seed.indexOf('### 2026-02-10')))).toBe(true);
    t = markReverted(t, 'abc123', '2026-11-23', 'run r1');
    expect(readImprovements(t)[1]).toMatchObject({ reverted: true, pr: 42 });
    expect(t).toContain(
      '- **PR**: #42\nA human remark under the entry.\n- **Reverted**: 2026-11-23 (run r1)\n',
    );
  });

  it('starts from an empty log', () => {
    expect(readImprovements(initialImprovements())).toEqual([]);
  });
});
