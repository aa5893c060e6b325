import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialEnv, GitClient } from './git-client.ts';

const root = mkdtempSync(join(tmpdir(), 'oc-git-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const TOKEN = 'tok_unit_9f8e7d6c5b4a';

describe('credentials', () => {
  it('scopes an Authorization header to the remote origin, through env only', () => {
    const env = credentialEnv(TOKEN, 'https://git.example.com/acme/demo.git');
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://git.example.com/.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`,
    });
    // git itself reads it from the environment.
    const seen = execFileSync(
      'git',
      ['config', '--get-urlmatch', 'http.extraHeader', 'https://git.example.com/acme/demo.git'],
      {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      },
    );
    expect(seen.trim()).toBe(env.GIT_CONFIG_VALUE_0);
    expect(credentialEnv(TOKEN, 'file:///tmp/x.git')).toEqual({});
    expect(credentialEnv(undefined, 'https://h/a/b')).toEqual({});
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
