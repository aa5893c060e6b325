// A plain git remote: no pull requests and no issues. Lists are empty so the
// workflow can ask uniformly; anything that would need a PR API throws. The
// workflow fast-forwards main itself for plain git.
import type { Forge, ForgeCapabilities, ForgeIssue, ForgePullRequest } from '../types.ts';
import type { ForgeConfig } from '../config.ts';
import { OperatorError } from '../../util/errors.ts';

export class PlainGitForge implements Forge {
  readonly kind = 'git' as const;
  readonly capabilities: ForgeCapabilities = { pullRequests: false, issues: false };

  constructor(_cfg?: ForgeConfig) {}

  private unsupported(what: string): never {
    throw new OperatorError(
      'ForgeUnsupported',
      `${what} needs a forge API; repository.provider is "git" (a plain remote). Use provider github or gitea, or check forge.capabilities first`,
    );
  }

  async listOpenIssues(): Promise<ForgeIssue[]> {
    return [];
  }
  async listOpenPullRequests(): Promise<ForgePullRequest[]> {
    return [];
  }
  async listMergedPullRequests(): Promise<ForgePullRequest[]> {
    return [];
  }
  async checksState(): Promise<'none'> {
    return 'none';
  }
  async createOrUpdatePullRequest(): Promise<ForgePullRequest> {
    return this.unsupported('Opening a pull request');
  }
  async getPullRequest(): Promise<ForgePullRequest> {
    return this.unsupported('Reading a pull request');
  }
  async approval(): Promise<never> {
    return this.unsupported('Reading reviews');
  }
  async markReady(): Promise<never> {
    return this.unsupported('Marking a pull request ready');
  }
  async getCommit(): Promise<never> {
    return this.unsupported('Reading a commit through a forge API');
  }
  async mergeFacts(): Promise<never> {
    return this.unsupported('Reading a pull request');
  }
  async merge(): Promise<never> {
    return this.unsupported('Merging a pull request');
  }
  async updateBranch(): Promise<never> {
    return this.unsupported('Updating a pull request');
  }
  async enableAutoMerge(): Promise<never> {
    return this.unsupported('Merging a pull request');
  }
  async closePullRequest(): Promise<void> {
    return this.unsupported('Closing a pull request');
  }
  async openOrCommentIssue(): Promise<ForgeIssue> {
    return this.unsupported('Opening an issue');
  }
}
