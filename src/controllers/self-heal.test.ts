import { describe, expect, it } from '@jest/globals';
import { judgeAfterMerge, mayAutoRevert } from './self-heal.ts';

const T = Date.parse('2026-12-05T10:00:00Z');
const base = { mergedAt: T, now: T + 60_000, windowMs: 3600_000 };

describe('judgeAfterMerge', () => {
  it('reverts red that is new since the merge', () => {
    expect(
      judgeAfterMerge({ ...base, verdict: 'failure', parentVerdict: 'success' }),
    ).toMatchObject({
      state: 'Red',
      revert: true,
    });
    // A parent nobody checked is not red.
    expect(judgeAfterMerge({ ...base, verdict: 'failure', parentVerdict: 'none' }).revert).toBe(
      true,
    );
  });

  it('leaves alone red that was there before, and a commit that says NOAUTOREVERT=true', () => {
    expect(
      judgeAfterMerge({ ...base, verdict: 'failure', parentVerdict: 'failure' }),
    ).toMatchObject({
      state: 'Red',
      revert: false,
    });
    expect(
      judgeAfterMerge({
        ...base,
        verdict: 'failure',
        parentVerdict: 'success',
        commitMessage: 'fix: x\n\nNOAUTOREVERT=true\n',
      }),
    ).toMatchObject({
      state: 'Red',
      revert: false,
      message: expect.stringContaining('NOAUTOREVERT'),
    });
    expect(
      judgeAfterMerge({ ...base, verdict: 'failure', commitMessage: 'NOAUTOREVERT=truely' }).revert,
    ).toBe(true);
  });

  it('is Green on success, Pending within the window, Unknown after it', () => {
    expect(judgeAfterMerge({ ...base, verdict: 'success' }).state).toBe('Green');
    expect(judgeAfterMerge({ ...base, verdict: 'pending' }).state).toBe('Pending');
    expect(judgeAfterMerge({ ...base, verdict: 'none', now: T + 3600_001 }).state).toBe('Unknown');
  });
});

describe('mayAutoRevert', () => {
  const now = new Date(T);
  const at = (hoursAgo: number) => ({
    run: 'r',
    commit: 'c',
    rollbackRun: 'rb',
    time: new Date(T - hoursAgo * 3600_000).toISOString(),
  });
  it('counts the reverts of the last 24 hours against maxPerDay', () => {
    expect(mayAutoRevert(undefined, now, 1)).toBe(true);
    expect(mayAutoRevert([at(23)], now, 1)).toBe(false);
    expect(mayAutoRevert([at(25)], now, 1)).toBe(true);
    expect(mayAutoRevert([at(1), at(2)], now, 3)).toBe(true);
    expect(mayAutoRevert([at(1)], now, 0)).toBe(false);
  });
});
