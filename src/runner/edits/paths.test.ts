import { describe, expect, it } from '@jest/globals';
import { checkPathSyntax, hiddenChars, protectedBy } from './paths.ts';

const refused = (path: string, protectedPaths: string[] = []) => {
  const r = checkPathSyntax(path, protectedPaths);
  return r.ok ? undefined : r.message;
};

describe('checkPathSyntax', () => {
  it.each([
    ['a\u3164b.js', 'U+3164'], // HANGUL FILLER (Default_Ignorable, Lo)
    ['src/\u061Ca.ts', 'U+061C'], // ARABIC LETTER MARK
    ['src/a\u200B.ts', 'U+200B'],
    ['src/\u202Eevil.ts', 'U+202E'],
    ['soft\u00ADhyphen.md', 'U+00AD'],
    ['\uFEFFbom.ts', 'U+FEFF'],
    ['line\u2028sep.ts', 'U+2028'],
    ['nul\u0000.ts', 'U+0000'],
    ['tab\t.ts', 'U+0009'],
    ['new\nline.ts', 'U+000A'],
    ['private\uE000.ts', 'U+E000'],
    ['lone\uD800.ts', 'U+D800'],
    ['unassigned\u0378.ts', 'U+0378'],
    ['variation\uFE0F.ts', 'U+FE0F'],
    ['src/math\u2800.js', 'U+2800'], // BRAILLE PATTERN BLANK: renders as nothing
  ])('refuses %j (invisible or control character %s)', (path, cp) => {
    expect(refused(path)).toMatch(`has an invisible, control or bidi character (${cp})`);
  });

  it.each([
    ['no\u00A0break.md', 'U+00A0'],
    ['ideographic\u3000space.md', 'U+3000'],
    ['narrow\u202Fnbsp.md', 'U+202F'],
  ])('refuses %j (non-ASCII whitespace %s)', (path, cp) => {
    expect(refused(path)).toMatch(`has non-ASCII whitespace (${cp})`);
  });

  it.each([
    ['--force', /name starting with '-'/],
    ['-rf', /name starting with '-'/],
    ['src/-n.ts', /name starting with '-'/],
    [':(glob)**', /starts with ':' \(git pathspec magic\)/],
    [':!src', /git pathspec magic/],
    ['src/ a.ts', /starting or ending with a space/],
    ['src/a.ts ', /starting or ending with a space/],
    ['.Git/config', /inside \.git/],
    ['.git./config', /inside \.git/],
    ['GIT~1/config', /inside \.git/],
    ['.git::$INDEX_ALLOCATION/config', /treats specially/],
    ['src/time:zone.ts', /treats specially/],
    ['*', /treats specially/],
    ['src/?.js', /treats specially/],
    ['e\u0301.md', /NFC/],
  ])('refuses %j', (path, message) => {
    expect(refused(path)).toMatch(message);
  });

  it.each([
    'src/a-b.ts',
    'src/a--force.ts',
    'docs/My Guide.md',
    'docs/café.md',
    'docs/日本語.md',
    'app/[id]/page.tsx',
  ])('accepts %j', (path) => {
    expect(checkPathSyntax(path, ['.github/**'])).toEqual({ ok: true, path });
  });

  it('matches protected paths case-insensitively, dotfiles included', () => {
    expect(refused('.GitHub/workflows/x.yml', ['.github/**'])).toBe(
      'path .GitHub/workflows/x.yml is protected (matches .github/**)',
    );
    expect(refused('SECRETS/.env', ['secrets/**'])).toMatch(/protected \(matches secrets\/\*\*\)/);
    expect(refused('.githubx/a.yml', ['.github/**'])).toBeUndefined();
  });
});

describe('hiddenChars', () => {
  it('finds hidden characters by category and leaves out the allowed ones', () => {
    expect(hiddenChars('a\tb\r\nc\u200Bd\u3164', '\t\n\r')).toEqual(['\u200B', '\u3164']);
    expect(hiddenChars('a\tb')).toEqual(['\t']);
    expect(hiddenChars('plain ascii, café, 日本語, emoji 🎉')).toEqual([]);
  });

  it('protectedBy names the first matching glob', () => {
    expect(protectedBy('docs/CODEOWNERS', ['x', '**/codeowners'])).toBe('**/codeowners');
    expect(protectedBy('src/a.ts', ['**/codeowners'])).toBeUndefined();
  });
});
