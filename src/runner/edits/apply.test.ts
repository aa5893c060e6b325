import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile, chmod, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyEdits } from './apply.ts';
import type { EditPolicy } from '../types.ts';

const policy: EditPolicy = {
  type: 'bugfix',
  maxFilesChanged: 3,
  maxLinesChanged: 20,
  protectedPaths: ['.github/workflows/**'],
};
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apply-'));
  await mkdir(join(dir, 'src'));
  await mkdir(join(dir, '.git'));
  await writeFile(join(dir, 'src/a.ts'), 'export function a() {\n  return 1;\n}\n');
  await writeFile(join(dir, 'src/a.test.ts'), "it('a', () => {\n  expect(a()).toBe(1);\n});\n");
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const read = (p: string) => readFile(join(dir, p), 'utf8');

describe('applyEdits', () => {
  it('applies an exact match and reports the diff size', async () => {
    const r = await applyEdits(
      dir,
      [{ path: 'src/a.ts', search: '  return 1;\n', replace: '  return 2;\n' }],
      policy,
    );
    expect(r).toEqual({ ok: true, changedFiles: ['src/a.ts'], filesChanged: 1, linesChanged: 2 });
    expect(await read('src/a.ts')).toBe('export function a() {\n  return 2;\n}\n');
  });

  it('tolerates indentation and trailing-space differences and re-indents the replacement', async () => {
    const r = await applyEdits(
      dir,
      [{ path: 'src/a.ts', search: 'return 1;   \n', replace: 'const v = 2;\nreturn v;\n' }],
      policy,
    );
    expect(r.ok).toBe(true);
    expect(await read('src/a.ts')).toBe('export function a() {\n  const v = 2;\n  return v;\n}\n');
  });

  it('keeps CRLF line endings', async () => {
    await writeFile(join(dir, 'win.txt'), 'one\r\ntwo\r\n');
    const r = await applyEdits(
      dir,
      [{ path: 'win.txt', search: 'two\n', replace: 'three\n' }],
      policy,
    );
    expect(r.ok).toBe(true);
    expect(await read('win.txt')).toBe('one\r\nthree\r\n');
  });

  it('creates a new file in a new directory and keeps file modes', async () => {
    await writeFile(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(dir, 'run.sh'), 0o755);
    const r = await applyEdits(
      dir,
      [
        { path: 'docs/guide.md', search: '', replace: '# Guide\n' },
        { path: 'run.sh', search: 'echo hi\n', replace: 'echo hello\n' },
      ],
      policy,
    );
    expect(r.ok).toBe(true);
    expect(await read('docs/guide.md')).toBe('# Guide\n');
    expect((await stat(join(dir, 'run.sh'))).mode & 0o777).toBe(0o755);
  });

  it('dry run validates without writing', async () => {
    const r = await applyEdits(
      dir,
      [{ path: 'src/a.ts', search: '  return 1;\n', replace: '  return 2;\n' }],
      policy,
      { dryRun: true },
    );
    expect(r.ok).toBe(true);
    expect(await read('src/a.ts')).toContain('return 1;');
  });

  it('is atomic: a bad second block leaves the first file untouched', async () => {
    const r = await applyEdits(
      dir,
      [
        { path: 'src/a.ts', search: '  return 1;\n', replace: '  return 2;\n' },
        { path: 'src/a.ts', search: 'not there\n', replace: 'x\n' },
      ],
      policy,
    );
    expect(r).toMatchObject({
      ok: false,
      reason: 'EditRejected',
      message: expect.stringMatching(/SEARCH not found/),
    });
    expect(await read('src/a.ts')).toContain('return 1;');
  });

  it.each([
    ['../outside.txt', /escapes the repository/],
    ['/etc/passwd', /absolute/],
    ['.git/config', /inside \.git/],
    ['sub/.GIT/hooks/x', /inside \.git/],
    ['.github/workflows/ci.yml', /protected/],
    ['src/\u202Eevil.ts', /bidi character \(U\+202E\)/],
    ['a\u3164b.js', /invisible, control or bidi character \(U\+3164\)/],
    ['--force', /name starting with '-'/],
    [':(glob)**', /git pathspec magic/],
    ['.GitHub/workflows/ci.yml', /is protected \(matches \.github\/workflows\/\*\*\)/],
    ['src/\u0430pp.ts', /look-alike/],
    ['src\\a.ts', /backslashes/],
  ])('rejects the path %s', async (path, message) => {
    const r = await applyEdits(dir, [{ path, search: '', replace: 'x\n' }], policy);
    expect(r).toMatchObject({ ok: false, reason: 'EditRejected' });
    expect(!r.ok && r.message).toMatch(message);
  });

  it('rejects writes through a symlinked directory that leaves the repo', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'outside-'));
    await symlink(outside, join(dir, 'link'));
    const r = await applyEdits(dir, [{ path: 'link/x.txt', search: '', replace: 'x\n' }], policy);
    expect(!r.ok && r.message).toMatch(/through a symlink/);
    await rm(outside, { recursive: true });
  });

  it('rejects ambiguous SEARCH, creating an existing file, and no-op edits', async () => {
    await writeFile(join(dir, 'dup.txt'), 'x\ny\nx\n');
    const amb = await applyEdits(dir, [{ path: 'dup.txt', search: 'x\n', replace: 'z\n' }], policy);
    expect(!amb.ok && amb.message).toMatch(/matches 2 times/);
    const exists = await applyEdits(
      dir,
      [{ path: 'src/a.ts', search: '', replace: 'x\n' }],
      policy,
    );
    expect(!exists.ok && exists.message).toMatch(/already exists/);
    const noop = await applyEdits(
      dir,
      [{ path: 'dup.txt', search: 'y\n', replace: 'y\n' }],
      policy,
    );
    expect(noop).toMatchObject({ ok: false, reason: 'MalformedModelOutput' });
  });

  it('enforces maxFilesChanged and maxLinesChanged', async () => {
    const many = ['a', 'b', 'c', 'd'].map((n) => ({ path: `${n}.md`, search: '', replace: 'x\n' }));
    const files = await applyEdits(dir, many, policy);
    expect(!files.ok && files.message).toMatch(/changes 4 files; maxFilesChanged is 3/);
    const big = await applyEdits(
      dir,
      [{ path: 'big.md', search: '', replace: 'x\n'.repeat(21) }],
      policy,
    );
    expect(!big.ok && big.message).toMatch(/changes 21 lines; maxLinesChanged is 20/);
  });

  it('consults the test-integrity rules (deleting or skipping tests)', async () => {
    const original = "it('a', () => {\n  expect(a()).toBe(1);\n});\n";
    const del = await applyEdits(
      dir,
      [{ path: 'src/a.test.ts', search: original, replace: '' }],
      policy,
    );
    expect(del).toMatchObject({ ok: false, reason: 'EditRejected' });
    const skip = await applyEdits(
      dir,
      [{ path: 'src/a.test.ts', search: "it('a'", replace: "it.skip('a'" }],
      policy,
    );
    expect(skip).toMatchObject({ ok: false, reason: 'EditRejected' });
    expect(await read('src/a.test.ts')).toBe(original);
  });

  it('allows adding a test', async () => {
    const r = await applyEdits(
      dir,
      [{ path: 'src/a.test.ts', search: '});\n', replace: "});\nit('b', () => {});\n" }],
      policy,
    );
    expect(r.ok).toBe(true);
  });

  it('refuses content that adds hidden characters, but not TAB or CRLF or ones already there', async () => {
    const zw = await applyEdits(
      dir,
      [{ path: 'src/a.ts', search: '  return 1;\n', replace: '  return 1;\u3164\n' }],
      policy,
    );
    expect(!zw.ok && zw.message).toBe(
      'block 1 (src/a.ts): adds invisible, control or bidi characters (U+3164; Trojan Source)',
    );
    const bidi = await applyEdits(
      dir,
      [{ path: 'src/b.ts', search: '', replace: 'const s = "\u202E";\n' }],
      policy,
    );
    expect(!bidi.ok && bidi.message).toMatch(/U\+202E; Trojan Source/);
    await writeFile(join(dir, 'src/zw.ts'), 'const a = "x\u200B";\nconst b = 1;\n');
    const kept = await applyEdits(
      dir,
      [
        {
          path: 'src/zw.ts',
          search: 'const a = "x\u200B";\n',
          replace: 'const a = "y\u200B";\n',
        },
        { path: 'src/c.ts', search: '', replace: 'if (x) {\r\n\treturn;\r\n}\r\n' },
      ],
      policy,
    );
    expect(kept.ok).toBe(true);
    const more = await applyEdits(
      dir,
      [{ path: 'src/zw.ts', search: 'const b = 1;\n', replace: 'const b = "\u200B";\n' }],
      policy,
    );
    expect(!more.ok && more.message).toMatch(/U\+200B/);
  });

  it('runs the protection rules on the whole change', async () => {
    const npmrc = await applyEdits(
      dir,
      [{ path: '.npmrc', search: '', replace: 'script-shell=/bin/true\n' }],
      policy,
    );
    expect(npmrc).toEqual({
      ok: false,
      reason: 'EditRejected',
      message: 'path .npmrc is protected (test harness and CI: **/.npmrc)',
    });
    await writeFile(join(dir, 'package-lock.json'), '{"v": 1}\n');
    const bump = { path: 'package-lock.json', search: '{"v": 1}\n', replace: '{"v": 2}\n' };
    const docs = await applyEdits(dir, [bump], { ...policy, type: 'documentation' });
    expect(!docs.ok && docs.message).toBe(
      'path package-lock.json is a dependency file; only a dependencies or security improvement may change it',
    );
    expect(await applyEdits(dir, [bump], { ...policy, type: 'dependencies' })).toMatchObject({
      ok: true,
    });
    await writeFile(join(dir, 'package.json'), '{\n  "scripts": { "test": "jest" }\n}\n');
    const weak = await applyEdits(
      dir,
      [{ path: 'package.json', search: '"jest"', replace: '"node --test || true"' }],
      policy,
    );
    expect(!weak.ok && weak.message).toBe(
      'path package.json: changes scripts.test (test harness script)',
    );
    expect(await read('package.json')).toContain('"jest"');
  });

  it('enforces maxFileBytes and maxLineLength, with defaults', async () => {
    const huge = await applyEdits(
      dir,
      [{ path: 'big.js', search: '', replace: `${'a'.repeat(400_000)}\n` }],
      { ...policy, maxLinesChanged: 1000 },
    );
    expect(!huge.ok && huge.message).toBe(
      'path big.js would be 400001 bytes; maxFileBytes is 262144',
    );
    const long = await applyEdits(
      dir,
      [{ path: 'src/a.ts', search: '  return 1;\n', replace: `  return ${'1'.repeat(600)};\n` }],
      policy,
    );
    expect(!long.ok && long.message).toBe(
      'path src/a.ts gets a line of 610 characters; maxLineLength is 500',
    );
    const custom = await applyEdits(
      dir,
      [{ path: 'src/a.ts', search: '  return 1;\n', replace: `  return ${'1'.repeat(600)};\n` }],
      { ...policy, maxLineLength: 1000 },
    );
    expect(custom.ok).toBe(true);
  });
});
