// Owner and repository from the clone URL users put in spec.repository.url.
// Credentials embedded in the URL are dropped, never returned.
import { StalledError } from '../util/errors.ts';

export interface RepoCoordinates {
  /** Host without credentials, with a port when one was given (`gitea.local:3000`). */
  host: string;
  owner: string;
  repo: string;
  /** https or http for web URLs; ssh for ssh:// and scp-like URLs. */
  scheme: 'https' | 'http' | 'ssh';
}

// git@host:owner/repo(.git): the scp-like form git accepts without a scheme.
const SCP_LIKE = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)([^\s]+)$/;

export function parseRepoUrl(url: string): RepoCoordinates {
  const text = url.trim();
  let host: string;
  let path: string;
  let scheme: RepoCoordinates['scheme'];
  const scp = SCP_LIKE.exec(text);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw invalid(text);
    }
    const protocol = parsed.protocol.replace(/:$/, '').toLowerCase();
    if (protocol === 'https' || protocol === 'http') scheme = protocol;
    else if (protocol === 'ssh' || protocol === 'git+ssh') scheme = 'ssh';
    else throw invalid(text);
    host = parsed.host;
    path = decodeURIComponent(parsed.pathname);
  } else if (scp) {
    scheme = 'ssh';
    host = scp[1] ?? '';
    path = scp[2] ?? '';
  } else {
    throw invalid(text);
  }
  const segments = path
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .split('/')
    .filter((s) => s.length > 0);
  // Installations under a sub-path (https://host/gitea/owner/repo) keep
  // owner/repo as the last two segments.
  const repo = segments.at(-1);
  const owner = segments.at(-2);
  if (!host || !owner || !repo) throw invalid(text);
  return { host, owner, repo, scheme };
}

function invalid(url: string): StalledError {
  // The URL may carry credentials: name only its shape, not its text.
  const shape = url.replace(/\/\/[^@/]*@/, '//***@');
  return new StalledError(
    'InvalidRepositoryUrl',
    `spec.repository.url must look like https://host/owner/repo(.git), ssh://git@host/owner/repo.git or git@host:owner/repo.git (got ${shape})`,
  );
}
