// Which targets an issue event is about: the same repository, however the
// URL was written (https, ssh://, git@host:, `.git`, host or name case).
import { parseRepoUrl } from '../forge/index.ts';
import type { IssueEvent, WebhookTarget } from './types.ts';

const DEFAULT_PORTS: Record<string, string> = { https: '443', http: '80', ssh: '22' };

/**
 * host/owner/repo in lower case, the scheme's default port dropped; undefined
 * for a URL that names no repository. Both forges resolve owner and repository
 * names case-insensitively, so case never tells two repositories apart.
 */
export function repositoryKey(url: string): string | undefined {
  let c;
  try {
    c = parseRepoUrl(url);
  } catch {
    return undefined;
  }
  const host = c.host.toLowerCase();
  const port = DEFAULT_PORTS[c.scheme];
  const bare = port && host.endsWith(`:${port}`) ? host.slice(0, -port.length - 1) : host;
  return `${bare}/${c.owner}/${c.repo}`.toLowerCase();
}

export function matchTargets<T extends WebhookTarget>(
  event: Pick<IssueEvent, 'repository'>,
  targets: readonly T[],
): T[] {
  const keys = new Set(
    event.repository.cloneUrls.map(repositoryKey).filter((k): k is string => k !== undefined),
  );
  if (keys.size === 0) return [];
  return targets.filter((t) => {
    const key = repositoryKey(t.spec.repository.url);
    return key !== undefined && keys.has(key);
  });
}
