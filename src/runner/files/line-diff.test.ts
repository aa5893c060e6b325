import { describe, expect, it } from '@jest/globals';
import { diffLines, firstLostLine } from './line-diff.ts';

describe('firstLostLine', () => {
  it('points at the first line a change drops or rewrites', () => {
    expect(firstLostLine(['a', 'b', 'c'], ['a', 'x', 'b', 'c', 'd'])).toBe(-1);
    expect(firstLostLine(['a', 'b', 'c'], ['a', 'B', 'c'])).toBe(1);
    expect(firstLostLine(['a', '}', 'b', '}'], ['a', 'b', '}'])).toBe(1);
    expect(firstLostLine(['a', 'b'], [])).toBe(0);
  });
});

describe('diffLines', () => {
  it('counts added and removed lines as git diff --numstat does', () => {
    expect(diffLines('a\nb\nc\n', 'a\nB\nc\nd\n')).toEqual({ added: 2, removed: 1 });
    expect(diffLines('', 'x\n')).toEqual({ added: 1, removed: 0 });
    expect(diffLines('x\n', '')).toEqual({ added: 0, removed: 1 });
    // Adding the final newline changes the last line.
    expect(diffLines('a\nb', 'a\nb\n')).toEqual({ added: 1, removed: 1 });
  });

  it('bounds its work on files too different to align', () => {
    const a = Array.from({ length: 30_000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 30_000 }, (_, i) => `b${i}`).join('\n');
    const t = Date.now();
    expect(diffLines(a, b)).toEqual({ added: 30_000, removed: 30_000 });
    expect(Date.now() - t).toBeLessThan(5000);
  });
});
