// A thin wrapper over simple-git: one method per git verb, arguments as
// arrays (never shell strings). The forge token reaches git only through
// environment-scoped config (GIT_CONFIG_COUNT/KEY/VALUE -> http.extraHeader),
// so it is never written to a remote URL, .git/config, a commit or a log.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { secrets } from '../../util/logger.ts';

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

/** Environment-scoped git config carrying the token, or {} without one. */
export function credentialEnv(token: string | undefined, remoteUrl: string | undefined) {
  if (!token || !remoteUrl || !/^https?:\/\//.test(remoteUrl)) return {};
  const origin = new URL(remoteUrl).origin;
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  secrets.add(basic);
  return {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${origin}/.extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
  };
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
    Object.assign(env, credentialEnv(opts.token, opts.remoteUrl), {
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: opts.author.name,
      GIT_AUTHOR_EMAIL: opts.author.email,
      GIT_COMMITTER_NAME: opts.author.name,
      GIT_COMMITTER_EMAIL: opts.author.email,
    });
    this.env = env;
  }

  private make(baseDir: string): SimpleGit {
    return simpleGit({
      baseDir,
      allowEnvironment: Object.keys(this.env).filter(isGitVar),
      // Our own GIT_CONFIG_COUNT carries only the scoped auth header (see credentialEnv).
      unsafe: { allowUnsafeConfigEnvCount: 'GIT_CONFIG_COUNT' in this.env },
      // simple-git treats a non-zero exit with empty stderr as success; for
      // `merge-base --is-ancestor` or a conflicted merge that is the answer.
      errors: (error, result) => {
        if (error) return error;
        if (result.exitCode === 0) return undefined;
        const out = Buffer.concat([...result.stdErr, ...result.stdOut]);
        return out.length ? out : Buffer.from(`exit code ${result.exitCode}`);
      },
    }).env(this.env);
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
    if (paths.length) await this.raw(['add', '--all', '--', ...paths]);
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
    const out = await this.raw(['diff', 'HEAD', '--', ...paths]);
    await this.raw(['reset', '--quiet', '--', ...(paths.length ? paths : ['.'])]);
    return out;
  }

  /** Numstat of the work tree against HEAD: {path, added, removed}. */
  async diffStat(): Promise<{ path: string; added: number; removed: number }[]> {
    await this.raw(['add', '--intent-to-add', '--all', '--', '.']);
    const out = await this.raw(['diff', '--numstat', 'HEAD']);
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
    const out = await this.raw(['diff', '--name-only', from, to]);
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

export class GitError extends Error {
  readonly verb: string;
  constructor(verb: string, message: string) {
    super(`git ${verb} failed: ${message.trim()}`);
    this.name = 'GitError';
    this.verb = verb;
  }
}
