import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configEnv, GitClient } from './git-client.ts';

const root = mkdtempSync(join(tmpdir(), 'oc-git-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const TOKEN = 'tok_unit_9f8e7d6c5b4a';

describe('credentials', () => {
  it('scopes an Authorization header to the remote origin, through env only', () => {
    const env = configEnv(TOKEN, 'https://git.example.com/acme/demo.git');
    const n = Number(env.GIT_CONFIG_COUNT);
    const header = `Authorization: Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    expect(env[`GIT_CONFIG_KEY_${n - 1}`]).toBe('http.https://git.example.com/.extraHeader');
    expect(env[`GIT_CONFIG_VALUE_${n - 1}`]).toBe(header);
    // git itself reads it from the environment.
    const seen = execFileSync(
      'git',
      ['config', '--get-urlmatch', 'http.extraHeader', 'https://git.example.com/acme/demo.git'],
      { env: { ...process.env, ...env }, encoding: 'utf8' },
    );
    expect(seen.trim()).toBe(header);
    for (const none of [
      configEnv(TOKEN, 'file:///tmp/x.git'),
      configEnv(undefined, 'https://h/a/b'),
    ])
      expect(Object.values(none)).not.toContain(header);
  });

  it('overrides hooks and fsmonitor that the repository config sets', async () => {
    const dir = join(root, 'hooked');
    const g = new GitClient(dir, { author: { name: 'bot', email: 'bot@example.com' } });
    await g.init();
    const marker = join(root, 'hook-ran');
    execFileSync('git', ['config', 'core.hooksPath', join(root, 'hooks')], { cwd: dir });
    execFileSync('git', ['config', 'core.fsmonitor', `touch ${marker}`], { cwd: dir });
    execFileSync('mkdir', ['-p', join(root, 'hooks')]);
    writeFileSync(join(root, 'hooks', 'pre-commit'), `#!/bin/sh\ntouch ${marker}\n`, {
      mode: 0o755,
    });
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    await g.add(['a.txt']);
    await g.commit('first');
    await g.status();
    expect(existsSync(marker)).toBe(false);
  });

  it('stages a file named like a pathspec as itself, and refuses option-like paths', async () => {
    const dir = join(root, 'pathspec');
    const g = new GitClient(dir, { author: { name: 'bot', email: 'bot@example.com' } });
    await g.init();
    writeFileSync(join(dir, 'keep.txt'), 'k\n');
    await g.add(['keep.txt']);
    await g.commit('first');
    writeFileSync(join(dir, ':(glob)**'), 'x\n');
    writeFileSync(join(dir, 'other.txt'), 'o\n');
    const tree = await g.treeWith([':(glob)**']);
    const names = execFileSync('git', ['ls-tree', '--name-only', tree], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(names.split('\n').filter(Boolean).sort()).toEqual([':(glob)**', 'keep.txt']);
    await expect(g.add(['--force'])).rejects.toThrow(/looks like an option/);
  });

  it('exports a tree without .git and commits exactly that tree', async () => {
    const dir = join(root, 'export');
    const g = new GitClient(dir, { author: { name: 'bot', email: 'bot@example.com' } });
    await g.init();
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    await g.add(['a.txt']);
    await g.commit('first');
    writeFileSync(join(dir, 'a.txt'), 'changed\n');
    const tree = await g.treeWith(['a.txt']);
    const out = join(root, 'exported');
    await g.exportTree(tree, out);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('changed\n');
    expect(existsSync(join(out, '.git'))).toBe(false);
    // A later write to the work tree does not reach the commit.
    writeFileSync(join(dir, 'a.txt'), 'tampered\n');
    const sha = await g.commitTree(tree, 'second');
    expect(await g.treeOf(sha)).toBe(tree);
    expect(execFileSync('git', ['show', 'HEAD:a.txt'], { cwd: dir, encoding: 'utf8' })).toBe(
      'changed\n',
    );
  });

  it('commits as the configured author and keeps the token out of .git', async () => {
    const g = new GitClient(join(root, 'repo'), {
      token: TOKEN,
      remoteUrl: 'https://git.example.com/acme/demo.git',
      author: { name: 'bot', email: 'bot@example.com' },
    });
    await g.init();
    writeFileSync(join(g.dir, 'a.txt'), 'a\n');
    await g.add(['a.txt']);
    const sha = await g.commit('feat(a): add a');
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const author = execFileSync('git', ['log', '-1', '--format=%an <%ae>|%cn'], {
      cwd: g.dir,
      encoding: 'utf8',
    });
    expect(author.trim()).toBe('bot <bot@example.com>|bot');
    expect(readFileSync(join(g.dir, '.git', 'config'), 'utf8')).not.toContain(TOKEN);
    writeFileSync(join(g.dir, 'a.txt'), 'changed\n');
    writeFileSync(join(g.dir, 'new.txt'), 'new\n');
    expect(await g.diff()).toContain('+changed');
    expect((await g.diffStat()).map((d) => d.path).sort()).toEqual(['a.txt', 'new.txt']);
    await g.restore();
    expect(await g.status()).toEqual([]);
    expect(readFileSync(join(g.dir, 'a.txt'), 'utf8')).toBe('a\n');
  });

  it('redacts the token from git errors', async () => {
    const g = new GitClient(join(root, 'nope'), {
      token: TOKEN,
      author: { name: 'bot', email: 'bot@example.com' },
    });
    await expect(g.clone(`/nonexistent/${TOKEN}`)).rejects.toThrow(/git clone failed/);
    await expect(g.clone(`/nonexistent/${TOKEN}`)).rejects.not.toThrow(new RegExp(TOKEN));
  });
});

describe('exit codes', () => {
  it('answers ancestry from the exit code, not from stderr', async () => {
    const g = new GitClient(join(root, 'anc'), { author: { name: 'b', email: 'b@e.x' } });
    await g.init();
    writeFileSync(join(g.dir, 'a'), '1');
    await g.add(['a']);
    const first = await g.commit('one');
    writeFileSync(join(g.dir, 'a'), '2');
    await g.add(['a']);
    const second = await g.commit('two');
    expect(await g.isAncestor(first, second)).toBe(true);
    expect(await g.isAncestor(second, first)).toBe(false);
  });
});
