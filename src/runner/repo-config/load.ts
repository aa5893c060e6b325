// Reads .opencode/config.yaml from the main branch: the branch humans
// review, as Renovate reads its config from the default branch. The work
// branch is written by the runner, so what it says there is not taken as
// the maintainers' word. The file is data only: bounded in size, YAML
// without custom tags, validated against the schema in src/crds.
import { Value } from 'typebox/value';
import { parseDocument } from 'yaml';
import { RepoConfig } from '../../crds/repo-config.ts';
import { REPO_CONFIG_PATH } from '../../crds/repo-config.ts';
import { GitError, type GitClient } from '../git/git-client.ts';
import { RepoConfigError } from './narrow.ts';

const MAX_BYTES = 64 * 1024;

export interface LoadedConfig {
  config?: RepoConfig;
  path: string;
  /** The commit the file was read from (main's tip). */
  commit: string;
}

export async function loadRepoConfig(
  git: GitClient,
  mainRef: string,
  stateDir: string,
): Promise<LoadedConfig> {
  const path = `${stateDir}/${REPO_CONFIG_PATH}`;
  const commit = await git.revParse(mainRef);
  let text: string | undefined;
  try {
    text = await git.readBlob(commit, path, MAX_BYTES);
  } catch (err) {
    if (err instanceof GitError) throw new RepoConfigError(path, '', err.message);
    throw err;
  }
  if (text === undefined) return { path, commit };
  return { config: parseRepoConfig(text, path), path, commit };
}

/** Parses and validates the file's text; the error names the field. */
export function parseRepoConfig(text: string, path: string): RepoConfig {
  const doc = parseDocument(text, { uniqueKeys: true, customTags: [] });
  if (doc.errors.length)
    throw new RepoConfigError(path, '', `not valid YAML: ${doc.errors[0]!.message}`);
  let raw: unknown;
  try {
    // Aliases expand: a few bytes can stand for gigabytes. None are needed here.
    raw = doc.toJS({ maxAliasCount: 0 }) ?? {};
  } catch (err) {
    throw new RepoConfigError(path, '', `not usable YAML: ${(err as Error).message}`);
  }
  if (!Value.Check(RepoConfig, raw)) {
    const first = [...Value.Errors(RepoConfig, raw)][0] as
      { instancePath?: string; message: string } | undefined;
    const at = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    // An additional property fails as "schema is false": say what it means.
    const message =
      first?.message === 'schema is false' ? 'is not a known field' : (first?.message ?? 'invalid');
    throw new RepoConfigError(path, at, message);
  }
  return raw;
}
