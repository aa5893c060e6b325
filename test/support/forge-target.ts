// Shared setup for operator suites that talk to the GitHub double: a forge
// factory pointed at the double with test-fast retries, and a target whose
// repository lives on the double, created once its token Secret exists and
// returned after the operator's first forge check.
import type { ForgeFactory } from '../../src/controllers/forge-checks.ts';
import { createForge } from '../../src/forge/index.ts';
import { isAlreadyExists } from '../../src/kube/api.ts';
import { createLogger } from '../../src/util/logger.ts';
import type { GitHubDouble } from '../doubles/github/server.ts';
import { clients, createTarget, getTarget } from './operator.ts';
import { waitFor } from './wait.ts';

export function doubleForgeFactory(gh: GitHubDouble): ForgeFactory {
  return (t, token) =>
    createForge({
      provider: 'github',
      repoUrl: t.spec.repository.url,
      apiUrl: gh.url,
      token,
      logger: createLogger({ level: 'silent' }),
      tuning: { retryBaseMs: 1, spaceWrites: false },
    });
}

/** Adds acme/<name> to the double and a target for it; resolves after the first forge check. */
export async function createDoubleTarget(
  gh: GitHubDouble,
  opts: {
    namespace: string;
    name: string;
    token: string;
    forgeCheckInterval?: string;
    /** Options for the double's repository (a bare repo behind it, auto-merge). */
    repo?: Parameters<GitHubDouble['addRepo']>[2];
    /** More spec fields (schedule, model, policy, ...). */
    spec?: Record<string, unknown>;
  },
): Promise<void> {
  const { namespace, name, token } = opts;
  gh.addRepo('acme', name, opts.repo);
  // One token Secret per namespace, shared by its targets.
  await clients()
    .core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'gh' }, stringData: { token } },
    })
    .catch((err: unknown) => {
      if (!isAlreadyExists(err)) throw err;
    });
  await createTarget(namespace, name, {
    repository: {
      url: `https://github.com/acme/${name}.git`,
      provider: 'github',
      apiUrl: gh.url,
      credentialsSecretRef: { name: 'gh', key: 'token' },
    },
    schedule: '0 0 1 1 *',
    forgeCheckInterval: opts.forgeCheckInterval,
    ...opts.spec,
  });
  await waitFor(async () => (await getTarget(namespace, name)).status?.forge?.lastCheckTime, {
    what: 'first forge check',
  });
}
