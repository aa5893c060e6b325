// The analysis reads repository files without following symlinks out of it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRepoMap } from './repo-map.ts';
import { scanTodos } from './todos.ts';

describe('analysis file reads do not follow symlinks', () => {
  let base: string;
  let dir: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'no-follow-'));
    dir = join(base, 'repo');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(
      join(base, 'secret.ts'),
      'export function leakedSecret() {}\n// TODO: leaked-todo\n',
    );
    writeFileSync(join(dir, 'src/a.ts'), 'export function real() {}\n// TODO: real-todo\n');
    symlinkSync(join(base, 'secret.ts'), join(dir, 'src/link.ts'));
    symlinkSync(base, join(dir, 'up'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const files = ['src/a.ts', 'src/link.ts', 'up/secret.ts'];

  it('repo map: symbols from real files only', async () => {
    const map = await buildRepoMap(dir, files, 1000);
    expect(map).toContain('src/a.ts: real');
    expect(map).not.toContain('leakedSecret');
  });

  it('TODO scan: real files only', async () => {
    const todos = await scanTodos(dir, files);
    expect(todos.map((t) => t.text)).toEqual(['real-todo']);
  });
});
