import { describe, expect, it } from '@jest/globals';
import { diffLines } from './diff-stats.ts';
import { isTestFile, testWeakening } from './test-guard.ts';

describe('testWeakening', () => {
  it.each([
    [
      't_test.go',
      'func TestA(t *testing.T) {}\n',
      'func TestA(t *testing.T) {\n\tt.Skip("later")\n}\n',
      /t\.Skip/,
    ],
    [
      'test_a.py',
      'def test_a():\n    pass\n',
      '@pytest.mark.skip\ndef test_a():\n    pass\n',
      /pytest\.mark\.skip/,
    ],
    [
      'test_a.py',
      'def test_a():\n    pass\ndef test_b():\n    pass\n',
      'def test_a():\n    pass\n',
      /def test_/,
    ],
    ['src/lib.rs', '#[test]\nfn a() {}\n', '#[test]\n#[ignore]\nfn a() {}\n', /#\[ignore\]/],
    [
      'src/test/java/ATest.java',
      '@Test\nvoid a() {}\n',
      '@Disabled\n@Test\nvoid a() {}\n',
      /@Disabled/,
    ],
    ['a.spec.js', "it('a', f);\n", "xit('a', f);\n", /xit/],
    ['a.spec.js', "describe('a', f);\n", "describe.only('a', f);\n", /\.only/],
    ['a.spec.js', "it('a', f);\nit('b', f);\n", "it('a', f);\n// it('b', f);\n", /removes 1/],
  ])('%s: flags the change', (path, before, after, why) => {
    expect(testWeakening(path, before, after)).toMatch(why);
  });

  it('accepts renaming a test and ignores non-test files', () => {
    expect(testWeakening('a.test.ts', "it('a', f);\n", "it('renamed', f);\n")).toBeUndefined();
    expect(
      testWeakening('src/stream.ts', 'x.skip(1);\n', 'x.skip(2);\ny.skip(3);\n'),
    ).toBeUndefined();
    expect(isTestFile('src/__tests__/x.js')).toBe(true);
    expect(isTestFile('src/testing-utils.ts')).toBe(false);
  });
});

describe('diffLines', () => {
  it('counts added and removed lines like numstat', () => {
    expect(diffLines('a\nb\nc\n', 'a\nB\nc\nd\n')).toEqual({ added: 2, removed: 1 });
    expect(diffLines('a\nb', 'a\nb\n')).toEqual({ added: 1, removed: 1 });
    expect(diffLines('', 'x\ny\n')).toEqual({ added: 2, removed: 0 });
  });
});
