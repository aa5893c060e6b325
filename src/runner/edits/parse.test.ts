import { describe, expect, it } from '@jest/globals';
import { formatEditBlocks, parseEditBlocks } from './parse.ts';

const block = (path: string, search: string, replace: string, lang = 'ts') =>
  `${path}\n\`\`\`${lang}\n<<<<<<< SEARCH\n${search}=======\n${replace}>>>>>>> REPLACE\n\`\`\`\n`;

describe('parseEditBlocks', () => {
  it('parses a block with the path line before the fence', () => {
    const r = parseEditBlocks(
      `Here is the fix.\n\n${block('src/a.ts', 'let x = 1;\n', 'const x = 1;\n')}`,
    );
    expect(r).toEqual({
      ok: true,
      blocks: [{ path: 'src/a.ts', search: 'let x = 1;\n', replace: 'const x = 1;\n' }],
    });
  });

  it('accepts the path as the first line inside the fence and several blocks per fence', () => {
    const text =
      '```\nsrc/b.py\n<<<<<<< SEARCH\na = 1\n=======\na = 2\n>>>>>>> REPLACE\n' +
      '<<<<<<< SEARCH\nb = 1\n=======\n>>>>>>> REPLACE\n```';
    const r = parseEditBlocks(text);
    expect(r.ok && r.blocks).toEqual([
      { path: 'src/b.py', search: 'a = 1\n', replace: 'a = 2\n' },
      { path: 'src/b.py', search: 'b = 1\n', replace: '' },
    ]);
  });

  it('treats an empty SEARCH as a new file and strips decoration from the path', () => {
    const r = parseEditBlocks(block('**docs/new.md**', '', '# New\n', 'markdown'));
    expect(r.ok && r.blocks).toEqual([{ path: 'docs/new.md', search: '', replace: '# New\n' }]);
  });

  it('normalises CRLF model output', () => {
    const r = parseEditBlocks(block('a.txt', 'x\n', 'y\n').replace(/\n/g, '\r\n'));
    expect(r.ok && r.blocks[0]).toEqual({ path: 'a.txt', search: 'x\n', replace: 'y\n' });
  });

  it.each([
    ['empty output', '', /empty model output/],
    ['prose only', 'I would refactor the module.', /no SEARCH\/REPLACE blocks/],
    [
      'missing divider',
      'a.ts\n```\n<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n```',
      /marker out of place/,
    ],
    [
      'missing replace marker',
      'a.ts\n```\n<<<<<<< SEARCH\nx\n=======\ny\n```',
      /fence closed inside a REPLACE/,
    ],
    ['truncated', 'a.ts\n<<<<<<< SEARCH\nx\n=======\ny', /truncated/],
    ['stray divider', 'a.ts\n=======\n', /without a preceding SEARCH/],
    ['no path', '```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```', /without a file path/],
    [
      'junk after block in fence',
      block('a.ts', 'x\n', 'y\n').replace('>>>>>>> REPLACE\n', '>>>>>>> REPLACE\njunk\n'),
      /junk inside/,
    ],
    [
      'unclosed fence',
      'a.ts\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n',
      /never closed/,
    ],
    ['typo marker', 'a.ts\n<<<< SEARCH\nx\n', /malformed marker/],
    ['double search', 'a.ts\n<<<<<<< SEARCH\nx\n<<<<<<< SEARCH\n', /marker out of place/],
  ])('rejects %s', (_name, text, message) => {
    const r = parseEditBlocks(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(message);
  });

  it('round-trips through formatEditBlocks', () => {
    const blocks = [
      { path: 'a.ts', search: 'x\n', replace: 'y\n' },
      { path: 'b/c.md', search: '', replace: '# c\n' },
    ];
    const r = parseEditBlocks(formatEditBlocks(blocks));
    expect(r.ok && r.blocks).toEqual(blocks);
  });
});
