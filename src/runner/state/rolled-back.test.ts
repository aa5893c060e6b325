import { describe, expect, it } from '@jest/globals';
import { addImprovement, initialImprovements, markRolledBack, readImprovements } from './index.ts';

describe('IMPROVEMENTS.md run field and rollback marks', () => {
  const base = addImprovement(initialImprovements(), {
    date: '2026-02-10',
    title: 'Document add',
    type: 'documentation',
    scope: 'src/math.js',
    impact: 'clearer',
    commit: 'abc123def456',
    run: 'demo-1',
  });

  it('records and reads the run that committed an entry', () => {
    expect(base).toContain('- **Run**: demo-1\n');
    expect(readImprovements(base)[0]).toMatchObject({ run: 'demo-1', reverted: false });
  });

  it('marks the entry whose commit matches, keeping human text', () => {
    const human = `${base.trimEnd()}\n\nHuman note.\n`;
    const full = 'abc123def4567890abc123def4567890abc123de';
    const out = markRolledBack(human, full, {
      date: '2026-02-12',
      run: 'rb-1',
      rollbackId: 'r1',
      pr: 7,
    });
    expect(readImprovements(out)[0]).toMatchObject({
      reverted: true,
      fields: expect.objectContaining({ reverted: '2026-02-12 by rb-1 (rollback r1, PR #7)' }),
    });
    expect(out.replace(/\n- \*\*Reverted\*\*: [^\n]*/, '')).toBe(human);
    expect(markRolledBack(human, 'fff0000', { date: 'd', run: 'r', rollbackId: 'x' })).toBe(human);
  });
});
