import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { genericBody, sign, slackBody, type Notification } from './payload.ts';

const n: Notification = {
  id: 'RunFailed/team/api-7',
  event: 'RunFailed',
  severity: 'warning',
  namespace: 'team',
  target: 'api',
  run: 'api-7',
  message: 'TestsFailed: 2 tests failed',
  time: '2026-12-05T10:00:00Z',
};

describe('payloads', () => {
  it('a Slack message is one text line naming the event, the target and the run', () => {
    expect(JSON.parse(slackBody(n))).toEqual({
      text: ':warning: *RunFailed* team/api (run api-7): TestsFailed: 2 tests failed',
    });
    expect(JSON.parse(slackBody({ ...n, url: 'https://x/pr/1', run: undefined })).text).toBe(
      ':warning: *RunFailed* team/api: TestsFailed: 2 tests failed <https://x/pr/1|details>',
    );
  });

  it('the generic body carries every field and its source', () => {
    expect(JSON.parse(genericBody(n))).toEqual({ ...n, source: 'opencode-operator' });
  });

  it('signs the exact bytes: another body or key gives another signature', () => {
    const body = genericBody(n);
    const want = createHmac('sha256', 'k3y-value').update(body).digest('hex');
    expect(sign(body, 'k3y-value')).toBe(`sha256=${want}`);
    expect(sign(`${body} `, 'k3y-value')).not.toBe(sign(body, 'k3y-value'));
    expect(sign(body, 'other-key')).not.toBe(sign(body, 'k3y-value'));
  });
});
