// The plain-git forge: no PR or issue API, said through capabilities.
import { describe, expect, it } from '@jest/globals';
import { createForge } from '../../src/forge/index.ts';
import { OperatorError, StalledError } from '../../src/util/errors.ts';
import { capturingLogger } from './support.ts';

describe('plain git forge', () => {
  const forge = createForge({
    provider: 'git',
    repoUrl: '/srv/git/repo.git',
    logger: capturingLogger().logger,
  });

  it('has no pull requests or issues, and lists are empty', async () => {
    expect(forge.kind).toBe('git');
    expect(forge.capabilities).toEqual({ pullRequests: false, issues: false });
    expect(await forge.listOpenIssues(['opencode-priority'])).toEqual([]);
    expect(await forge.listOpenPullRequests('develop')).toEqual([]);
    expect(await forge.listMergedPullRequests('develop', 'main')).toEqual([]);
    expect(await forge.checksState('main')).toBe('none');
  });

  it('throws a clear error for calls that need a PR or issue API', async () => {
    const pr = {
      number: 1,
      url: '',
      state: 'open',
      merged: false,
      mergedAt: null,
      head: 'develop',
      base: 'main',
      headSha: '',
      title: '',
    } as const;
    for (const call of [
      () =>
        forge.createOrUpdatePullRequest({ head: 'develop', base: 'main', title: 't', body: 'b' }),
      () => forge.getPullRequest(1),
      () => forge.mergeFacts(pr.number),
      () => forge.merge(pr.number, 'squash', 'abc'),
      () => forge.updateBranch(pr.number, 'abc'),
      () => forge.enableAutoMerge(pr.number, 'squash'),
      () => forge.closePullRequest(1),
      () => forge.openOrCommentIssue({ title: 't', body: 'b', labels: [] }),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperatorError);
      expect((err as OperatorError).reason).toBe('ForgeUnsupported');
      expect((err as Error).message).toContain('plain remote');
    }
  });

  it('refuses an unknown provider with a StalledError naming the field', () => {
    expect(() =>
      createForge({ provider: 'gitlab' as 'git', repoUrl: 'x', logger: capturingLogger().logger }),
    ).toThrow(StalledError);
  });
});
