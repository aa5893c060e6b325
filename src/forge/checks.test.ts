import { describe, expect, it } from '@jest/globals';
import { combineChecks, latestPerContext, reportedChecks } from './checks.ts';

const done = (conclusion: string | null) => ({ status: 'completed', conclusion });
const running = { status: 'in_progress', conclusion: null };

describe('combineChecks', () => {
  it('is none when nothing reported', () => {
    expect(combineChecks([], [])).toBe('none');
  });
  it('is success when every status and run is green', () => {
    expect(combineChecks(['success'], [done('success'), done('neutral'), done('skipped')])).toBe(
      'success',
    );
  });
  it('is pending while a status is pending or a run has not completed', () => {
    expect(combineChecks(['pending'], [])).toBe('pending');
    expect(combineChecks(['success'], [running])).toBe('pending');
    expect(combineChecks([], [{ status: 'queued', conclusion: null }])).toBe('pending');
  });
  it('is failure when anything failed, even while others are pending', () => {
    expect(combineChecks(['pending', 'failure'], [])).toBe('failure');
    expect(combineChecks(['error'], [done('success')])).toBe('failure');
    expect(combineChecks([], [running, done('failure')])).toBe('failure');
    expect(combineChecks([], [done('timed_out')])).toBe('failure');
    expect(combineChecks([], [done('cancelled')])).toBe('failure');
    expect(combineChecks([], [done('action_required')])).toBe('failure');
  });
});

describe('latestPerContext', () => {
  it('keeps the first (newest) status of each context', () => {
    const out = latestPerContext([
      { context: 'ci', state: 'success' },
      { context: 'lint', state: 'pending' },
      { context: 'ci', state: 'failure' },
    ]);
    expect(out).toEqual([
      { context: 'ci', state: 'success' },
      { context: 'lint', state: 'pending' },
    ]);
  });
});

describe('reportedChecks', () => {
  it('names each check once: the newest status per context, and the worse verdict on a shared name', () => {
    const out = reportedChecks(
      [
        { context: 'ci/test', state: 'success' },
        { context: 'ci/test', state: 'failure' },
        { context: 'lint', state: 'pending' },
        { context: 'build', state: 'success' },
      ],
      [
        { name: 'build', status: 'completed', conclusion: 'failure' },
        { name: 'e2e', status: 'in_progress', conclusion: null },
        { name: 'docs', status: 'completed', conclusion: 'skipped' },
      ],
    );
    expect(out).toEqual([
      { name: 'ci/test', state: 'success' },
      { name: 'lint', state: 'pending' },
      { name: 'build', state: 'failure' },
      { name: 'e2e', state: 'pending' },
      { name: 'docs', state: 'success' },
    ]);
  });
});
