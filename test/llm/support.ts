// Helpers for the LLM and improver suites: real git repositories in temp dirs
// and a logger that collects its lines so tests can inspect them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/util/logger.ts';
import type { RepoContext } from '../../src/runner/types.ts';

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
      GIT_CONFIG_NOSYSTEM: '1',
    },
  });
}

/** A committed repository with these files (path -> content). */
export function makeRepo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'llm-repo-'));
  git(dir, 'init', '-q', '-b', 'main');
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'initial');
  return dir;
}

export function removeRepo(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `git status --porcelain` including ignored files: empty means byte-for-byte unchanged. */
export function dirtyFiles(dir: string): string {
  return git(dir, 'status', '--porcelain', '--untracked-files=all').trim();
}

export function repoContext(dir: string, extra: Partial<RepoContext> = {}): RepoContext {
  return {
    dir,
    repoMap: git(dir, 'ls-files'),
    stateSummary: '',
    async readFile(path: string) {
      const abs = resolve(dir, path);
      if (relative(dir, abs).startsWith('..')) throw new Error(`outside the repo: ${path}`);
      return readFileSync(abs, 'utf8');
    },
    ...extra,
  };
}

export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}
