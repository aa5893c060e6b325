// The git verbs a rollback needs beyond GitClient's (revert, trailer lookup,
// push with lease), one method per verb, arguments as arrays. The token
// reaches git the same way as in GitClient: environment-scoped config only.
import { execFile } from 'node:child_process';
import { defensiveGitEnv, type GitAuthor } from '../git/git-client.ts';
import { secrets } from '../../util/logger.ts';

/** The trailer the workflow adds to its improvement commits (exact run lookup). */
export const RUN_TRAILER = 'Opencode-Run';

/** Appends `Opencode-Run: <run>` as a git trailer to a commit message. */
export function withRunTrailer(message: string, runName: string): string {
  return `${message.replace(/\s+$/, '')}\n\n${RUN_TRAILER}: ${runName}`;
}

export class RollbackGitError extends Error {
  constructor(verb: string, message: string) {
    super(`git ${verb} failed: ${message.trim()}`);
    this.name = 'RollbackGitError';
  }
}

export class RollbackGit {
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(dir: string, opts: { token?: string; remoteUrl?: string; author: GitAuthor }) {
    this.dir = dir;
    const env: NodeJS.ProcessEnv = {};
    // No inherited GIT_* (a stray GIT_DIR would point elsewhere), no editor or pager.
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !/^GIT_/i.test(k) && !/^(EDITOR|VISUAL|PAGER)$/i.test(k)) env[k] = v;
    this.env = {
      ...env,
      ...defensiveGitEnv(opts.token, opts.remoteUrl),
      GIT_EDITOR: 'true',
      GIT_AUTHOR_NAME: opts.author.name,
      GIT_AUTHOR_EMAIL: opts.author.email,
      GIT_COMMITTER_NAME: opts.author.name,
      GIT_COMMITTER_EMAIL: opts.author.email,
    };
  }

  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        'git',
        args,
        { cwd: this.dir, env: this.env, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err)
            reject(new RollbackGitError(args[0] ?? 'git', secrets.redact(stderr || err.message)));
          else resolve(stdout);
        },
      );
    });
  }

  /** Number of parents (2+ for a merge commit). */
  async parentCount(sha: string): Promise<number> {
    const out = await this.run(['rev-list', '--parents', '-n', '1', sha]);
    return out.trim().split(/\s+/).length - 1;
  }

  /**
   * Stages the inverse of sha (no commit). A merge commit is reverted against
   * its first parent. On conflict the revert is aborted and false returned.
   */
  async revertNoCommit(sha: string): Promise<boolean> {
    const mainline = (await this.parentCount(sha)) > 1 ? ['-m', '1'] : [];
    try {
      await this.run(['revert', '--no-commit', ...mainline, sha]);
      return true;
    } catch {
      await this.run(['revert', '--abort']).catch(() => undefined);
      return false;
    }
  }

  async subject(sha: string): Promise<string> {
    return (await this.run(['log', '-1', '--format=%s', sha])).trim();
  }

  /** Commits reachable from refs whose Opencode-Run trailer equals runName, newest first. */
  async commitsWithRunTrailer(refs: string[], runName: string): Promise<string[]> {
    const out = await this.run([
      'log',
      `--format=%H%x09%(trailers:key=${RUN_TRAILER},valueonly,separator=%x2C)`,
      ...refs,
      '--',
    ]);
    return out
      .split('\n')
      .map((l) => l.split('\t'))
      .filter(([, v]) => (v ?? '').split(',').some((x) => x.trim() === runName))
      .map(([sha]) => sha ?? '');
  }

  /**
   * The given commits, newest first in topological order over refs (commit
   * dates tie within a second, so they cannot order a run's commits).
   */
  async newestFirst(shas: string[], refs: string[]): Promise<string[]> {
    if (!shas.length) return [];
    const wanted = new Set(shas);
    const out = await this.run(['rev-list', '--topo-order', ...refs, '--']);
    return out.split('\n').filter((sha) => wanted.has(sha));
  }

  /**
   * Moves the remote branch to localRef only if it is still at expectedSha
   * (force-with-lease with an explicit expectation, never a plain force).
   */
  async pushWithLease(localRef: string, branch: string, expectedSha: string): Promise<void> {
    await this.run([
      'push',
      '--porcelain',
      `--force-with-lease=refs/heads/${branch}:${expectedSha}`,
      'origin',
      `${localRef}:refs/heads/${branch}`,
    ]);
  }
}
