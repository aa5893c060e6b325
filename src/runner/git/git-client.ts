// A thin wrapper over simple-git: one method per git verb, arguments as
// arrays (never shell strings). The forge token reaches git only through
// environment-scoped config (GIT_CONFIG_COUNT/KEY/VALUE -> http.extraHeader),
// so it is never written to a remote URL, .git/config, a commit or a log.
// git runs defensively: the repository's and the machine's config cannot
// make it start a program (hooks, fsmonitor, ssh command, pager, filters),
// replace refs are ignored, and every path is a literal pathspec, never glob
// or magic, so a file named `:(glob)**` or `*` stages only itself.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { secrets } from '../../util/logger.ts';
import { JOB_ENV } from '../../contracts/job-env.ts';

export interface GitAuthor {
  name: string;
  email: string;
}

export interface GitClientOptions {
  /** Forge token; sent as an HTTP Basic Authorization header, scoped to the remote's origin. */
  token?: string;
  /** Remote URL the token is scoped to (only http(s) remotes use it). */
  remoteUrl?: string;
  author: GitAuthor;
}

// simple-git's environment guard refuses GIT_* variables it is not told about.
const isGitVar = (k: string) => k.toUpperCase().startsWith('GIT_');
// Variables that make git start other programs (an editor, a pager, an
// askpass helper): the runner never wants one, and simple-git refuses them.
const RUNS_PROGRAMS = new Set(['EDITOR', 'VISUAL', 'PAGER', 'SSH_ASKPASS']);

/**
 * Config that overrides whatever the repository (or a test run that wrote
 * to it) put in .git/config: nothing git reads there may start a program.
 */
export const HARDENED_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['core.sshCommand', 'ssh'],
  ['core.pager', 'cat'],
  ['core.editor', 'true'],
  ['core.askPass', ''],
  ['core.gitProxy', ''],
  ['credential.helper', ''],
  ['protocol.ext.allow', 'never'],
  ['submodule.recurse', 'false'],
  ['gpg.program', 'false'],
  ['commit.gpgSign', 'false'],
  ['tag.gpgSign', 'false'],
  ['core.untrackedCache', 'false'],
];

/** Environment-scoped git config: the hardening, plus the token's header when there is one. */
export function configEnv(
  token: string | undefined,
  remoteUrl: string | undefined,
): Record<string, string> {
  const entries: [string, string][] = HARDENED_CONFIG.map(([k, v]) => [k, v]);
  if (token && remoteUrl && /^https?:\/\//.test(remoteUrl)) {
    const origin = new URL(remoteUrl).origin;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    secrets.add(basic);
    entries.push([`http.${origin}/.extraHeader`, `Authorization: Basic ${basic}`]);
  }
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  entries.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  return env;
}

/** What every git command runs with, besides the config above. */
function defensiveEnv(): Record<string, string> {
  return {
    GIT_TERMINAL_PROMPT: '0',
    GIT_LITERAL_PATHSPECS: '1',
    GIT_NO_REPLACE_OBJECTS: '1',
    // Neither the machine's nor the user's config: a credential helper, an
    // include or a filter there would run with our token in reach. A deployer
    // who needs URL rewrites to a mirror or a CA bundle names one file in
    // OPENCODE_GIT_CONFIG; the hardening above still wins over it.
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: process.env[JOB_ENV.gitConfig] || '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
  };
}

/** The environment every git command of the runner gets, token header included when given. */
export function defensiveGitEnv(
  token: string | undefined,
  remoteUrl: string | undefined,
): Record<string, string> {
  return { ...configEnv(token, remoteUrl), ...defensiveEnv() };
}

export class GitClient {
  readonly dir: string;
  private readonly env: Record<string, string>;
  private gitInstance: SimpleGit | undefined;

  constructor(dir: string, opts: GitClientOptions) {
    this.dir = dir;
    secrets.add(opts.token);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !isGitVar(k) && !RUNS_PROGRAMS.has(k.toUpperCase())) env[k] = v;
    Object.assign(env, defensiveGitEnv(opts.token, opts.remoteUrl), {
      GIT_AUTHOR_NAME: opts.author.name,
      GIT_AUTHOR_EMAIL: opts.author.email,
      GIT_COMMITTER_NAME: opts.author.name,
      GIT_COMMITTER_EMAIL: opts.author.email,
    });
    this.env = env;
  }

  private make(baseDir: string, extraEnv: Record<string, string> = {}): SimpleGit {
    const env = { ...this.env, ...extraEnv };
    return simpleGit({
      baseDir,
      allowEnvironment: Object.keys(env).filter(isGitVar),
      // simple-git refuses config that can start programs, and it reads our
      // own GIT_CONFIG_* too. Those carry only the hardening (which sets
      // these keys to inert values) and the scoped auth header (configEnv);
      // no call passes `-c` or option-like arguments of its own.
      unsafe: {
        allowUnsafeConfigEnvCount: true,
        allowUnsafeConfigPaths: true,
        allowUnsafeHooksPath: true,
        allowUnsafeFsMonitor: true,
        allowUnsafeSshCommand: true,
        allowUnsafePager: true,
        allowUnsafeEditor: true,
        allowUnsafeAskPass: true,
        allowUnsafeGitProxy: true,
        allowUnsafeCredentialHelper: true,
        allowUnsafeProtocolOverride: true,
        allowUnsafeGpgProgram: true,
      },
      // simple-git treats a non-zero exit with empty stderr as success; for
      // `merge-base --is-ancestor` or a conflicted merge that is the answer.
      errors: (error, result) => {
        if (error) return error;
        if (result.exitCode === 0) return undefined;
        const out = Buffer.concat([...result.stdErr, ...result.stdOut]);
        return out.length ? out : Buffer.from(`exit code ${result.exitCode}`);
      },
    }).env(env);
  }

  private get git(): SimpleGit {
    this.gitInstance ??= this.make(this.dir);
    return this.gitInstance;
  }

  /** Clones url into this.dir's parent as this.dir (the directory must not exist yet). */
  async clone(url: string): Promise<void> {
    mkdirSync(dirname(this.dir), { recursive: true });
    await this.raw(['clone', '--no-tags', '--', url, this.dir], this.make(dirname(this.dir)));
  }

  /** Initialises a repository in this.dir (tests and fixtures). */
  async init(initialBranch = 'main'): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    await this.raw(['init', '--quiet', `--initial-branch=${initialBranch}`]);
  }

  async fetch(remote = 'origin', refspecs: string[] = []): Promise<void> {
    await this.raw(['fetch', '--prune', remote, ...refspecs]);
  }

  async remoteBranchExists(branch: string, remote = 'origin'): Promise<boolean> {
    const out = await this.raw(['ls-remote', '--heads', remote, `refs/heads/${branch}`]);
    return out.trim().length > 0;
  }

  async checkout(branch: string): Promise<void> {
    await this.raw(['checkout', branch]);
  }

  /** Creates (or resets, -B) a local branch at startPoint and checks it out. */
  async checkoutNewBranch(branch: string, startPoint: string): Promise<void> {
    await this.raw(['checkout', '-B', branch, startPoint]);
  }

  /** Merges ref into HEAD; returns false (and aborts) on conflict. */
  async merge(ref: string, message: string): Promise<boolean> {
    try {
      await this.raw(['merge', '--no-edit', '-m', message, ref]);
      return true;
    } catch {
      await this.raw(['merge', '--abort']).catch(() => undefined);
      return false;
    }
  }

  /** Rebases HEAD onto ref; returns false (and aborts) on conflict. */
  async rebase(ref: string): Promise<boolean> {
    try {
      // Keep merge commits (e.g. the sync with main) instead of replaying main's commits.
      await this.raw(['rebase', '--rebase-merges', ref]);
      return true;
    } catch {
      await this.raw(['rebase', '--abort']).catch(() => undefined);
      return false;
    }
  }

  async add(paths: string[]): Promise<void> {
    refuseFlagLike(paths);
    if (paths.length) await this.raw(['add', '--all', '--', ...paths]);
  }

  /**
   * The tree of HEAD with the work tree's version of `paths` (changed,
   * added or deleted), written through a private index: the real index and
   * the work tree are left as they are.
   */
  async treeWith(paths: string[]): Promise<string> {
    refuseFlagLike(paths);
    return this.withIndex(async (git) => {
      await this.raw(['read-tree', 'HEAD'], git);
      if (paths.length) await this.raw(['add', '--all', '--', ...paths], git);
      return (await this.raw(['write-tree'], git)).trim();
    });
  }

  /** Writes the files of a tree object into `dest` (a fresh directory): no .git, nothing else. */
  async exportTree(tree: string, dest: string): Promise<void> {
    mkdirSync(dest, { recursive: true });
    await this.withIndex(async (git) => {
      await this.raw(['read-tree', tree], git);
      await this.raw(['checkout-index', '--all', '--force', `--prefix=${dest}/`], git);
    });
  }

  /**
   * Commits exactly `tree` on top of HEAD and moves the current branch to
   * it; the index is refreshed from the new commit. Returns its sha.
   */
  async commitTree(tree: string, message: string): Promise<string> {
    const parent = await this.revParse('HEAD');
    const sha = (await this.raw(['commit-tree', tree, '-p', parent, '-m', message])).trim();
    await this.raw(['update-ref', '-m', 'opencode: commit tested tree', 'HEAD', sha, parent]);
    await this.raw(['reset', '--quiet']);
    return sha;
  }

  async treeOf(ref: string): Promise<string> {
    return (await this.raw(['rev-parse', '--verify', `${ref}^{tree}`])).trim();
  }

  private async withIndex<T>(fn: (git: SimpleGit) => Promise<T>): Promise<T> {
    const gitDir = (await this.raw(['rev-parse', '--absolute-git-dir'])).trim();
    const index = join(gitDir, `opencode-index-${randomBytes(4).toString('hex')}`);
    try {
      return await fn(this.make(this.dir, { GIT_INDEX_FILE: index }));
    } finally {
      rmSync(index, { force: true });
    }
  }

  /** Commits what is staged; returns the new commit sha. */
  async commit(message: string): Promise<string> {
    await this.raw(['commit', '--no-verify', '-m', message]);
    return this.revParse('HEAD');
  }

  /** Pushes a local ref to a remote branch. Never forces. */
  async push(localRef: string, remoteBranch: string, remote = 'origin'): Promise<void> {
    await this.raw(['push', '--porcelain', remote, `${localRef}:refs/heads/${remoteBranch}`]);
  }

  /**
   * A regular file's content at ref, or undefined when the path is absent
   * there. Refuses a symlink, a directory or a file over maxBytes: callers
   * read maintainer-owned data, never something that points elsewhere.
   */
  async readBlob(ref: string, path: string, maxBytes: number): Promise<string | undefined> {
    refuseFlagLike([ref, path]);
    const entry = (await this.raw(['ls-tree', '-z', '--long', ref, '--', path])).split('\0')[0];
    if (!entry) return undefined;
    const [mode, type, , size] = entry.split(/\s+/);
    if (type !== 'blob' || (mode !== '100644' && mode !== '100755'))
      throw new GitError('ls-tree', `${path} at ${ref} is not a regular file`);
    if (Number(size) > maxBytes)
      throw new GitError('ls-tree', `${path} at ${ref} is ${size} bytes, over ${maxBytes}`);
    return this.raw(['cat-file', 'blob', `${ref}:${path}`]);
  }

  async revParse(ref: string): Promise<string> {
    return (await this.raw(['rev-parse', '--verify', `${ref}^{commit}`])).trim();
  }

  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    try {
      await this.raw(['merge-base', '--is-ancestor', ancestor, descendant]);
      return true;
    } catch {
      return false;
    }
  }

  /** Porcelain status lines of the work tree (empty when clean). */
  async status(): Promise<string[]> {
    const out = await this.raw(['status', '--porcelain', '--untracked-files=all']);
    return out.split('\n').filter((l) => l.length > 0);
  }

  /** Unified diff of the work tree (including untracked files) against HEAD. */
  async diff(paths: string[] = []): Promise<string> {
    await this.raw(['add', '--intent-to-add', '--all', '--', ...(paths.length ? paths : ['.'])]);
    const out = await this.raw(['diff', '--no-ext-diff', '--no-textconv', 'HEAD', '--', ...paths]);
    await this.raw(['reset', '--quiet', '--', ...(paths.length ? paths : ['.'])]);
    return out;
  }

  /** Numstat of the work tree against HEAD: {path, added, removed}. */
  async diffStat(): Promise<{ path: string; added: number; removed: number }[]> {
    await this.raw(['add', '--intent-to-add', '--all', '--', '.']);
    const out = await this.raw(['diff', '--no-ext-diff', '--numstat', 'HEAD']);
    await this.raw(['reset', '--quiet', '--', '.']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [a, r, ...p] = l.split('\t');
        return { path: p.join('\t'), added: Number(a) || 0, removed: Number(r) || 0 };
      });
  }

  /** Restores the work tree exactly to HEAD: tracked files reset, untracked files removed. */
  async restore(): Promise<void> {
    await this.raw(['reset', '--hard', '--quiet', 'HEAD']);
    await this.raw(['clean', '-fdq']);
  }

  /** Moves the current branch to ref (used only for local, unpushed state). */
  async resetHard(ref: string): Promise<void> {
    await this.raw(['reset', '--hard', '--quiet', ref]);
  }

  async log(range: string, max = 50): Promise<{ sha: string; subject: string }[]> {
    const out = await this.raw(['log', `--max-count=${max}`, '--format=%H%x09%s', range]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [sha = '', ...s] = l.split('\t');
        return { sha, subject: s.join('\t') };
      });
  }

  /** Paths that differ between two commits. */
  async changedFiles(from: string, to: string): Promise<string[]> {
    const out = await this.raw(['diff', '--no-ext-diff', '--name-only', from, to]);
    return out.split('\n').filter(Boolean);
  }

  async currentBranch(): Promise<string> {
    return (await this.raw(['rev-parse', '--abbrev-ref', 'HEAD'])).trim();
  }

  /** Runs git with args; errors carry git's stderr with any secret redacted. */
  private async raw(args: string[], git?: SimpleGit): Promise<string> {
    try {
      return await (git ?? this.git).raw(args);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new GitError(args[0] ?? 'git', secrets.redact(msg));
    }
  }
}

/** A path that git would read as an option is never handed to it, even after `--`. */
function refuseFlagLike(paths: string[]): void {
  const bad = paths.find((p) => p.startsWith('-'));
  if (bad)
    throw new GitError('add', `refusing a path that looks like an option: ${JSON.stringify(bad)}`);
}

export class GitError extends Error {
  readonly verb: string;
  constructor(verb: string, message: string) {
    super(`git ${verb} failed: ${message.trim()}`);
    this.name = 'GitError';
    this.verb = verb;
  }
}
