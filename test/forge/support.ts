// Shared helpers for the forge suites: a real bare repository with main and
// a work branch, and a logger whose output is captured for secret greps.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '../../src/util/logger.ts';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.test',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.test',
};

export interface BareRepo {
  root: string;
  bare: string;
  work: string;
  git(...args: string[]): string;
  bareGit(...args: string[]): string;
  /** Commits a file on `branch` in the work clone and pushes it. */
  commit(branch: string, file: string, content: string, message: string): string;
  cleanup(): void;
}

export function createBareRepo(): BareRepo {
  const root = mkdtempSync(join(tmpdir(), 'forge-test-'));
  const bare = join(root, 'remote.git');
  const work = join(root, 'work');
  const run = (cwd: string | undefined, args: string[]) =>
    execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8' }).trim();
  run(undefined, ['init', '-q', '--bare', '-b', 'main', bare]);
  run(undefined, ['init', '-q', '-b', 'main', work]);
  run(work, ['remote', 'add', 'origin', bare]);
  const repo: BareRepo = {
    root,
    bare,
    work,
    git: (...args) => run(work, args),
    bareGit: (...args) => run(undefined, ['--git-dir', bare, ...args]),
    commit(branch, file, content, message) {
      const current = run(work, ['symbolic-ref', '--short', 'HEAD']);
      if (current !== branch) {
        const exists = run(work, ['branch', '--list', branch]).length > 0;
        run(work, exists ? ['checkout', '-q', branch] : ['checkout', '-q', '-b', branch]);
      }
      writeFileSync(join(work, file), content);
      run(work, ['add', file]);
      run(work, ['commit', '-q', '-m', message]);
      run(work, ['push', '-q', 'origin', `HEAD:refs/heads/${branch}`]);
      return run(work, ['rev-parse', 'HEAD']);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  repo.commit('main', 'README.md', '# demo\n', 'initial');
  return repo;
}

export function capturingLogger(): { logger: Logger; output: () => string } {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (s: string) => void lines.push(s) },
  });
  return { logger, output: () => lines.join('') };
}

/** Retries and write spacing shrunk so suites stay fast. */
export const FAST = { retryBaseMs: 1, spaceWrites: false } as const;
