// Picks the forge for spec.repository.provider from a registry map.
import type { Forge } from './types.ts';
import type { ForgeConfig, ForgeProvider } from './config.ts';
import { secrets } from '../util/logger.ts';
import { StalledError } from '../util/errors.ts';
import { GitHubForge } from './github/index.ts';
import { GiteaForge } from './gitea/index.ts';
import { PlainGitForge } from './git/index.ts';

export type { ForgeConfig, ForgeProvider, ForgeTuning } from './config.ts';
export type * from './types.ts';
export { parseRepoUrl, type RepoCoordinates } from './repo-url.ts';
export { combineChecks } from './checks.ts';
export { GitHubForge, GiteaForge, PlainGitForge };

export const FORGES: Record<ForgeProvider, (cfg: ForgeConfig) => Forge> = {
  github: (cfg) => new GitHubForge(cfg),
  gitea: (cfg) => new GiteaForge(cfg),
  git: (cfg) => new PlainGitForge(cfg),
};

export function createForge(cfg: ForgeConfig): Forge {
  // Registered before any request, so no log line or error can carry it.
  secrets.add(cfg.token);
  const make = FORGES[cfg.provider];
  if (!make)
    throw new StalledError(
      'InvalidForgeProvider',
      `spec.repository.provider must be one of ${Object.keys(FORGES).join(', ')} (got ${String(cfg.provider)})`,
    );
  return make(cfg);
}
