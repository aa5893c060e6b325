import { describe, expect, it } from '@jest/globals';
import { matchTargets, repositoryKey } from './match-targets.ts';

const target = (name: string, url: string) => ({
  namespace: 'team-a',
  name,
  spec: { repository: { url } },
});

const githubEvent = {
  repository: {
    fullName: 'Octo-Org/Widget',
    cloneUrls: [
      'https://github.com/Octo-Org/Widget.git',
      'git@github.com:Octo-Org/Widget.git',
      'https://github.com/Octo-Org/Widget',
    ],
  },
};

describe('repositoryKey', () => {
  it('gives https, ssh:// and scp-like forms of one repository the same key', () => {
    const key = 'github.com/octo-org/widget';
    for (const url of [
      'https://github.com/octo-org/widget',
      'https://GitHub.com/Octo-Org/Widget.git',
      'https://github.com:443/octo-org/widget/',
      'http://github.com/octo-org/widget',
      'ssh://git@github.com/octo-org/widget.git',
      'ssh://git@github.com:22/octo-org/widget.git',
      'git@github.com:octo-org/widget.git',
      'git@GITHUB.COM:Octo-Org/widget',
      'https://bot:tok123456@github.com/octo-org/widget.git',
    ])
      expect([url, repositoryKey(url)]).toEqual([url, key]);
  });

  it('keeps a non-default port and sub-path installations', () => {
    expect(repositoryKey('https://gitea.local:3000/o/r.git')).toBe('gitea.local:3000/o/r');
    expect(repositoryKey('https://host.example/gitea/o/r')).toBe('host.example/o/r');
  });

  it('has no key for URLs that name no repository', () => {
    expect(repositoryKey('git://github.com/o/r.git')).toBeUndefined();
    expect(repositoryKey('https://github.com/only-owner')).toBeUndefined();
    expect(repositoryKey('not a url')).toBeUndefined();
  });
});

describe('matchTargets', () => {
  it('returns every target whose URL denotes the event repository, in any form', () => {
    const targets = [
      target('https', 'https://github.com/octo-org/widget'),
      target('scp', 'git@github.com:octo-org/widget.git'),
      target('ssh', 'ssh://git@github.com/Octo-Org/Widget'),
      target('other-repo', 'https://github.com/octo-org/widget-2'),
      target('other-owner', 'https://github.com/someone/widget'),
      target('other-host', 'https://github.example.com/octo-org/widget'),
      target('broken', 'not a url'),
    ];
    expect(matchTargets(githubEvent, targets).map((t) => t.name)).toEqual(['https', 'scp', 'ssh']);
  });

  it('tells apart two forges on one host by port', () => {
    const event = {
      repository: {
        fullName: 'o/r',
        cloneUrls: ['http://gitea.local:3000/o/r.git', 'ssh://git@gitea.local:2222/o/r.git'],
      },
    };
    const targets = [
      target('web', 'http://gitea.local:3000/o/r'),
      target('ssh', 'ssh://git@gitea.local:2222/o/r.git'),
      target('other-port', 'http://gitea.local:3001/o/r'),
    ];
    expect(matchTargets(event, targets).map((t) => t.name)).toEqual(['web', 'ssh']);
  });

  it('matches nothing when the event carries no usable URL', () => {
    const event = { repository: { fullName: 'octo-org/widget', cloneUrls: ['git://x/y'] } };
    expect(matchTargets(event, [target('a', 'https://github.com/octo-org/widget')])).toEqual([]);
  });
});
