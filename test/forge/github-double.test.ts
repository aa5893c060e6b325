// The GitHub double itself: its OpenAPI validation catches bad requests and
// bad responses (so a clean `violations` means something), conditional
// requests, auth, and merges that really happen in the bare repository.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import { createBareRepo } from './support.ts';

const TOKEN = 'ghp_doubleSuiteToken0123456789';
let gh: GitHubDouble;
const auth = { authorization: `token ${TOKEN}`, accept: 'application/vnd.github+json' };

beforeAll(async () => {
  gh = await startGitHubDouble({ token: TOKEN });
  gh.addRepo('o', 'r');
});
afterAll(async () => {
  await gh.close();
});

function takeViolations(): string[] {
  return gh.violations.splice(0, gh.violations.length);
}

describe('validation against @octokit/openapi', () => {
  it('serves valid responses for valid requests', async () => {
    gh.addIssue('o', 'r', { title: 'x', labels: ['a'] });
    const res = await fetch(`${gh.url}/repos/o/r/issues?state=open&labels=a&per_page=10`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any[];
    expect(body[0]).toMatchObject({
      number: 1,
      title: 'x',
      state: 'open',
      labels: [{ name: 'a' }],
    });
    expect(takeViolations()).toEqual([]);
  });

  it('catches a response that breaks the schema', async () => {
    gh.corruptNextResponse((body) =>
      (body as any[]).map(({ number: _n, ...rest }) => ({ ...rest, state: 7 })),
    );
    await fetch(`${gh.url}/repos/o/r/issues`, { headers: auth });
    const found = takeViolations();
    expect(found.some((v) => v.includes('response 200') && v.includes("'number'"))).toBe(true);
    expect(found.some((v) => v.includes('/0/state'))).toBe(true);
  });

  it('catches unknown query parameters and invalid bodies', async () => {
    await fetch(`${gh.url}/repos/o/r/pulls?state=opened&colour=red`, { headers: auth });
    let found = takeViolations();
    expect(found.some((v) => v.includes('colour'))).toBe(true);
    expect(found.some((v) => v.includes('/state') && v.includes('allowed'))).toBe(true);

    await fetch(`${gh.url}/repos/o/r/issues`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'no title', labels: 'not-an-array' }),
    });
    found = takeViolations();
    expect(found.some((v) => v.includes('request body') && v.includes('title'))).toBe(true);
    expect(found.some((v) => v.includes('/labels'))).toBe(true);
  });

  it('flags endpoints it does not implement', async () => {
    await fetch(`${gh.url}/repos/o/r/releases`, { headers: auth });
    expect(takeViolations()).toEqual([expect.stringContaining('no such endpoint')]);
  });
});

describe('protocol', () => {
  it('answers If-None-Match with 304 and does not count it against the rate limit', async () => {
    const url = `${gh.url}/repos/o/r/pulls?state=open`;
    const first = await fetch(url, { headers: auth });
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    const remaining = Number(first.headers.get('x-ratelimit-remaining'));
    const second = await fetch(url, { headers: { ...auth, 'if-none-match': etag ?? '' } });
    expect(second.status).toBe(304);
    expect(gh.rateLimitRemaining()).toBe(remaining);
    expect(takeViolations()).toEqual([]);
  });

  it('refuses a missing or wrong token with 401', async () => {
    expect((await fetch(`${gh.url}/repos/o/r/pulls`)).status).toBe(401);
    const wrong = await fetch(`${gh.url}/repos/o/r/pulls`, {
      headers: { authorization: 'token nope' },
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).message).toBe('Bad credentials');
    expect(takeViolations()).toEqual([]);
  });
});

describe('merges in the bare repository', () => {
  async function openPull(owner: string, head: string): Promise<number> {
    const res = await fetch(`${gh.url}/repos/${owner}/r/pulls`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ head, base: 'main', title: `merge ${head}`, body: 'b' }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as any).number;
  }

  it.each([
    ['merge', 2],
    ['squash', 1],
    ['rebase', 1],
  ] as const)('%s gives the history GitHub would', async (method, parents) => {
    const repo = createBareRepo();
    try {
      const owner = `m-${method}`;
      gh.addRepo(owner, 'r', { bareRepoPath: repo.bare });
      repo.commit('feature', 'f.txt', 'feature\n', 'feat: f');
      repo.commit('main', 'm.txt', 'main moved\n', 'chore: m'); // not a fast-forward
      const n = await openPull(owner, 'feature');
      gh.mergePull(owner, 'r', n, method);
      const line = repo.bareGit('rev-list', '--parents', '-n', '1', 'main').split(' ');
      expect(line).toHaveLength(parents + 1);
      expect(repo.bareGit('show', 'main:f.txt')).toBe('feature');
      expect(repo.bareGit('show', 'main:m.txt')).toBe('main moved');
      const rec = gh.pulls(owner, 'r')[0];
      expect(rec).toMatchObject({ merged: true, state: 'closed' });
      expect(rec?.mergeCommitSha).toBe(repo.bareGit('rev-parse', 'main'));
      expect(takeViolations()).toEqual([]);
    } finally {
      repo.cleanup();
    }
  });
});
