import { describe, expect, it } from '@jest/globals';
import { decideMerge, needsApproval } from './merge-gate.ts';
import type { MergeFacts } from './types.ts';

const T0 = Date.parse('2026-12-05T10:00:00Z');
const policy = { checkGraceMs: 60_000, requireChecks: true };
const facts = (over: Partial<MergeFacts> = {}): MergeFacts => ({
  number: 1,
  state: 'open',
  merged: false,
  mergedAt: null,
  mergeCommitSha: null,
  headSha: 'a'.repeat(40),
  base: 'main',
  mergeable: true,
  behindBy: 0,
  checks: [],
  platformAutoMerge: false,
  ...over,
});
const ok = (name: string) => ({ name, state: 'success' as const });

describe('decideMerge', () => {
  it('waits out the grace period from when the head was first seen, even with green checks', () => {
    const d = decideMerge(facts({ checks: [ok('ci')] }), policy, T0, T0 + 59_999);
    expect(d).toMatchObject({ action: 'wait', recheckAt: T0 + 60_000 });
    expect(decideMerge(facts({ checks: [ok('ci')] }), policy, T0, T0 + 60_000).action).toBe(
      'merge',
    );
  });

  it('never merges on "no checks" unless requireChecks is false', () => {
    expect(decideMerge(facts(), policy, T0, T0 + 120_000).action).toBe('wait');
    expect(decideMerge(facts(), { ...policy, requireChecks: false }, T0, T0 + 120_000).action).toBe(
      'merge',
    );
  });

  it('blocks on any failed check, before anything else', () => {
    const d = decideMerge(
      facts({ checks: [ok('ci'), { name: 'lint', state: 'failure' }], behindBy: 3 }),
      policy,
      T0,
      T0 + 120_000,
    );
    expect(d).toMatchObject({ action: 'blocked', message: expect.stringContaining('lint') });
  });

  it('updates a branch behind base before it looks at the checks', () => {
    expect(
      decideMerge(facts({ checks: [ok('ci')], behindBy: 2 }), policy, T0, T0 + 120_000),
    ).toMatchObject({
      action: 'update',
      message: expect.stringContaining('2 commit(s) behind main'),
    });
  });

  it('waits while a reported check runs, and while mergeability is unknown; blocks on conflicts', () => {
    const running = facts({ checks: [ok('ci'), { name: 'e2e', state: 'pending' }] });
    expect(decideMerge(running, policy, T0, T0 + 120_000).action).toBe('wait');
    expect(
      decideMerge(facts({ mergeable: null, checks: [ok('ci')] }), policy, T0, T0 + 120_000),
    ).toMatchObject({
      action: 'wait',
      recheckAt: T0 + 120_000 + 15_000,
    });
    expect(
      decideMerge(facts({ mergeable: false, checks: [ok('ci')] }), policy, T0, T0 + 120_000).action,
    ).toBe('blocked');
  });

  it("follows required checks at once (no grace), and asks for the platform's auto-merge while one is missing", () => {
    const required = facts({ requiredChecks: ['ci'], checks: [ok('lint')] });
    expect(decideMerge(required, policy, T0, T0)).toMatchObject({
      action: 'enable-auto-merge',
      message: expect.stringContaining('ci'),
    });
    expect(decideMerge({ ...required, checks: [ok('ci')] }, policy, T0, T0).action).toBe('merge');
    expect(decideMerge({ ...required, platformAutoMerge: true }, policy, T0, T0).action).toBe(
      'wait',
    );
  });

  it('reports a merged or closed pull request as done', () => {
    expect(decideMerge(facts({ merged: true, state: 'closed' }), policy, T0, T0)).toMatchObject({
      action: 'done',
      state: 'Merged',
    });
    expect(decideMerge(facts({ state: 'closed' }), policy, T0, T0)).toMatchObject({
      action: 'done',
      state: 'Blocked',
    });
  });
});

describe('needsApproval', () => {
  it('matches a listed type, or a priority at least as urgent as a listed Pn', () => {
    expect(needsApproval(['feature', 'dependencies'], { type: 'feature', priority: 'P2' })).toBe(
      true,
    );
    expect(needsApproval(['feature'], { type: 'style', priority: 'P3' })).toBe(false);
    expect(needsApproval(['P1'], { type: 'bugfix', priority: 'P0' })).toBe(true);
    expect(needsApproval(['P1'], { type: 'bugfix', priority: 'P1' })).toBe(true);
    expect(needsApproval(['P1'], { type: 'refactor', priority: 'P2' })).toBe(false);
    expect(needsApproval([], { type: 'feature', priority: 'P0' })).toBe(false);
    expect(needsApproval(undefined, { type: 'feature' })).toBe(false);
  });
});
