import { describe, expect, it } from '@jest/globals';
import { riskOf, routeOf } from './risk.ts';

const base = {
  files: ['src/a.js'],
  linesChanged: 4,
  maxLinesChanged: 400,
  hasTests: true,
  executedBefore: 10,
  executedAfter: 10,
};

describe('riskOf', () => {
  it('a comment in one file is close to no risk: its type held it to comments', () => {
    expect(riskOf({ ...base, type: 'documentation' })).toEqual({
      score: 0,
      reasons: ['+0 type documentation'],
    });
  });

  it('adds up type, size, files, code and dependencies, and lists every term', () => {
    const r = riskOf({
      ...base,
      type: 'feature',
      files: ['src/a.js', 'src/b.js', 'package-lock.json'],
      linesChanged: 200,
    });
    expect(r.reasons).toEqual([
      '+50 type feature',
      '+10 200 of 400 lines allowed',
      '+4 3 files',
      '+10 changes code (src/a.js, …)',
      '+15 changes dependencies (package-lock.json)',
    ]);
    expect(r.score).toBe(89);
  });

  it('tests that grow and coverage that rises lower it; no tests raise it; it stays in 0..100', () => {
    const tests = riskOf({
      ...base,
      type: 'tests',
      files: ['test/a.test.js'],
      executedAfter: 14,
      coverageBefore: 60,
      coverageAfter: 72,
    });
    expect(tests.reasons).toEqual([
      '+10 type tests',
      '-10 adds tests (10 → 14)',
      '-5 raises coverage (60% → 72%)',
    ]);
    expect(tests.score).toBe(0);
    expect(riskOf({ ...base, type: 'bugfix', hasTests: false }).score).toBe(35 + 10 + 25);
    const huge = riskOf({
      ...base,
      type: 'feature',
      hasTests: false,
      linesChanged: 1e6,
      files: Array(50).fill('x.go'),
    });
    expect(huge.score).toBe(100);
  });
});

describe('routeOf', () => {
  const t = { mainBelow: 30, approvalFrom: 70 };
  it('below mainBelow: main; from approvalFrom: approval; between: the work branch', () => {
    expect(routeOf(29, t)).toBe('main');
    expect(routeOf(30, t)).toBe('work');
    expect(routeOf(69, t)).toBe('work');
    expect(routeOf(70, t)).toBe('approval');
    expect(routeOf(100, { mainBelow: 101, approvalFrom: 101 })).toBe('main');
  });
});
