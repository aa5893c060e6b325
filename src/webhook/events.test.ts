import { describe, expect, it } from '@jest/globals';
import { parseIssuePayload, payloadText } from './events.ts';

const githubPayload = (over: Record<string, unknown> = {}) => ({
  action: 'labeled',
  issue: { number: 42, labels: [{ name: 'bug' }, { name: 'opencode:priority' }] },
  label: { name: 'opencode:priority' },
  repository: {
    full_name: 'octo-org/widget',
    clone_url: 'https://github.com/octo-org/widget.git',
    ssh_url: 'git@github.com:octo-org/widget.git',
    html_url: 'https://github.com/octo-org/widget',
    git_url: 'git://github.com/octo-org/widget.git',
  },
  ...over,
});

describe('parseIssuePayload', () => {
  it('reads a GitHub issues payload into an IssueEvent', () => {
    expect(parseIssuePayload('github', JSON.stringify(githubPayload()))).toEqual({
      kind: 'trigger',
      event: {
        provider: 'github',
        repository: {
          fullName: 'octo-org/widget',
          cloneUrls: [
            'https://github.com/octo-org/widget.git',
            'git@github.com:octo-org/widget.git',
            'https://github.com/octo-org/widget',
          ],
        },
        action: 'labeled',
        labels: ['bug', 'opencode:priority'],
        number: 42,
      },
    });
  });

  it('maps Gitea label_updated to labeled and takes the top-level number when needed', () => {
    const parsed = parseIssuePayload(
      'gitea',
      JSON.stringify({
        action: 'label_updated',
        number: 7,
        issue: { id: 99, labels: [{ id: 1, name: 'opencode:priority' }], pull_request: null },
        repository: { full_name: 'o/r', clone_url: 'http://gitea.local:3000/o/r.git' },
      }),
    );
    expect(parsed.kind === 'trigger' && parsed.event).toMatchObject({
      provider: 'gitea',
      action: 'labeled',
      number: 7,
      labels: ['opencode:priority'],
    });
    // GitHub has no label_updated action.
    expect(
      parseIssuePayload('github', JSON.stringify(githubPayload({ action: 'label_updated' }))).kind,
    ).toBe('ignored');
  });

  it('ignores actions that do not trigger and pull requests', () => {
    for (const action of ['closed', 'unlabeled', 'assigned', 'deleted'])
      expect(parseIssuePayload('github', JSON.stringify(githubPayload({ action }))).kind).toBe(
        'ignored',
      );
    const pr = {
      action: 'opened',
      number: 3,
      issue: { number: 3, pull_request: { merged: false } },
    };
    expect(
      parseIssuePayload('gitea', JSON.stringify({ ...pr, repository: { full_name: 'o/r' } })).kind,
    ).toBe('ignored');
  });

  it('reports malformed payloads', () => {
    expect(parseIssuePayload('github', '{not json').kind).toBe('malformed');
    expect(parseIssuePayload('github', '[1]').kind).toBe('malformed');
    expect(parseIssuePayload('github', '{"issue":{}}').kind).toBe('malformed');
    const noRepo = githubPayload();
    delete (noRepo as Record<string, unknown>).repository;
    expect(parseIssuePayload('github', JSON.stringify(noRepo)).kind).toBe('malformed');
    expect(
      parseIssuePayload('github', JSON.stringify(githubPayload({ issue: { number: '42' } }))).kind,
    ).toBe('malformed');
  });
});

describe('payloadText', () => {
  it('reads JSON bodies as they are and form posts from their payload field', () => {
    const json = '{"action":"opened"}';
    expect(payloadText(Buffer.from(json), 'application/json')).toBe(json);
    expect(payloadText(Buffer.from(json), undefined)).toBe(json);
    const form = new URLSearchParams({ payload: json }).toString();
    expect(payloadText(Buffer.from(form), 'application/x-www-form-urlencoded')).toBe(json);
    expect(payloadText(Buffer.from('x=1'), 'application/x-www-form-urlencoded')).toBeUndefined();
  });
});
