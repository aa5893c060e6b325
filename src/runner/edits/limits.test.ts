import { describe, expect, it } from '@jest/globals';
import {
  contentLimitViolation,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_LINE_LENGTH,
} from './limits.ts';

const defaults = { maxFileBytes: DEFAULT_MAX_FILE_BYTES, maxLineLength: DEFAULT_MAX_LINE_LENGTH };
const change = (after: string | null, before: string | null = 'x\n') => [
  { path: 'src/a.ts', before, after },
];

describe('contentLimitViolation', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_MAX_FILE_BYTES).toBe(262144);
    expect(DEFAULT_MAX_LINE_LENGTH).toBe(500);
  });

  it('refuses a single 400 kB line by both limits', () => {
    const line = 'a'.repeat(400_000);
    expect(contentLimitViolation(change(line), defaults)).toBe(
      'path src/a.ts would be 400000 bytes; maxFileBytes is 262144',
    );
    expect(contentLimitViolation(change(line), { maxFileBytes: 1e9, maxLineLength: 500 })).toBe(
      'path src/a.ts gets a line of 400000 characters; maxLineLength is 500',
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    const limits = { maxFileBytes: 10, maxLineLength: 500 };
    expect(contentLimitViolation(change('éééé\n'), limits)).toBeUndefined(); // 9 bytes
    expect(contentLimitViolation(change('ééééé\n'), limits)).toBe(
      'path src/a.ts would be 11 bytes; maxFileBytes is 10',
    );
  });

  it('allows a file of exactly maxFileBytes and a line of exactly maxLineLength', () => {
    const limits = { maxFileBytes: 101, maxLineLength: 100 };
    expect(contentLimitViolation(change(`${'a'.repeat(100)}\n`), limits)).toBeUndefined();
    expect(contentLimitViolation(change(`${'a'.repeat(101)}\n`), limits)).toMatch(
      /would be 102 bytes/,
    );
  });

  it('refuses an added long line, counted in characters, CR excluded', () => {
    const limits = { maxFileBytes: 1e6, maxLineLength: 10 };
    expect(contentLimitViolation(change('ok\r\n' + 'é'.repeat(10) + '\r\n'), limits)).toBe(
      undefined,
    );
    expect(contentLimitViolation(change('ok\n' + '🎉'.repeat(11) + '\n'), limits)).toBe(
      'path src/a.ts gets a line of 11 characters; maxLineLength is 10',
    );
    expect(contentLimitViolation(change('x'.repeat(11), null), limits)).toMatch(
      /gets a line of 11 characters/,
    );
  });

  it('allows long lines when the file already had one at least as long', () => {
    const limits = { maxFileBytes: 1e6, maxLineLength: 10 };
    const before = `short\n${'b'.repeat(20)}\n`;
    expect(
      contentLimitViolation(change(`${before}${'c'.repeat(20)}\n`, before), limits),
    ).toBeUndefined();
    expect(contentLimitViolation(change(`${before}${'c'.repeat(21)}\n`, before), limits)).toBe(
      'path src/a.ts gets a line of 21 characters; maxLineLength is 10',
    );
  });

  it('ignores unchanged and deleted files', () => {
    const big = 'a'.repeat(400_000);
    expect(contentLimitViolation(change(big, big), defaults)).toBeUndefined();
    expect(contentLimitViolation(change(null, big), defaults)).toBeUndefined();
  });
});
