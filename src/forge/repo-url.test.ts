import { describe, expect, it } from '@jest/globals';
import { parseRepoUrl } from './repo-url.ts';
import { StalledError } from '../util/errors.ts';

describe('parseRepoUrl', () => {
  it.each([
    ['https://github.com/acme/api-server.git', 'github.com', 'acme', 'api-server', 'https'],
    ['https://github.com/acme/api-server', 'github.com', 'acme', 'api-server', 'https'],
    ['https://github.com/acme/api-server/', 'github.com', 'acme', 'api-server', 'https'],
    ['http://127.0.0.1:3000/team/tool.git', '127.0.0.1:3000', 'team', 'tool', 'http'],
    ['https://x-access-token:ghp_secret@github.com/acme/r.git', 'github.com', 'acme', 'r', 'https'],
    ['https://code.example.com/gitea/org/svc.git', 'code.example.com', 'org', 'svc', 'https'],
    ['ssh://git@github.com/acme/api-server.git', 'github.com', 'acme', 'api-server', 'ssh'],
    ['ssh://git@gitea.local:2222/org/repo.git', 'gitea.local:2222', 'org', 'repo', 'ssh'],
    ['git@github.com:acme/api-server.git', 'github.com', 'acme', 'api-server', 'ssh'],
    ['git@github.com:acme/api-server', 'github.com', 'acme', 'api-server', 'ssh'],
    ['github.com:acme/dotted.name.git', 'github.com', 'acme', 'dotted.name', 'ssh'],
  ])('%s', (url, host, owner, repo, scheme) => {
    expect(parseRepoUrl(url)).toEqual({ host, owner, repo, scheme });
  });

  it.each([
    [''],
    ['not a url'],
    ['https://github.com/only-owner'],
    ['ftp://github.com/acme/repo.git'],
    ['/srv/git/repo.git'],
    ['git@github.com:'],
  ])('rejects %j with a StalledError', (url) => {
    expect(() => parseRepoUrl(url)).toThrow(StalledError);
  });

  it('never echoes credentials of a URL it rejects', () => {
    let message = '';
    try {
      parseRepoUrl('https://user:hunter2secret@github.com/');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('spec.repository.url');
    expect(message).not.toContain('hunter2secret');
  });
});
