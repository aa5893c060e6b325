// What a forge does to a real bare repository when a pull request is merged:
// merge commit, squash commit, or rebase (fast-forward when possible). Sync
// calls on purpose: status helpers that trigger auto-merge return only after
// the merge is visible in git.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const IDENTITY = {
  GIT_AUTHOR_NAME: 'GitHub',
  GIT_AUTHOR_EMAIL: 'noreply@github.test',
  GIT_COMMITTER_NAME: 'GitHub',
  GIT_COMMITTER_EMAIL: 'noreply@github.test',
};

function git(bare: string, args: string[], input?: string): string {
  return execFileSync('git', ['--git-dir', bare, ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, ...IDENTITY },
    stdio: ['pipe', 'pipe', 'pipe'],
  }).trim();
}

export function revParse(bare: string, branch: string): string | undefined {
  const r = spawnSync(
    'git',
    ['--git-dir', bare, 'rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`],
    {
      encoding: 'utf8',
    },
  );
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The tree of merging head into base, or undefined on conflicts. */
function mergeTree(bare: string, base: string, head: string): string | undefined {
  const r = spawnSync('git', ['--git-dir', bare, 'merge-tree', '--write-tree', base, head], {
    encoding: 'utf8',
  });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : undefined;
}

export function isMergeable(bare: string, base: string, head: string): boolean {
  const b = revParse(bare, base);
  const h = revParse(bare, head);
  return Boolean(b && h && mergeTree(bare, b, h));
}

export type MergeResult = { ok: true; sha: string } | { ok: false; reason: 'conflict' | 'missing' };

export function mergeInBare(
  bare: string,
  input: {
    base: string;
    head: string;
    method: 'merge' | 'squash' | 'rebase';
    title: string;
    message: string;
  },
): MergeResult {
  const baseSha = revParse(bare, input.base);
  const headSha = revParse(bare, input.head);
  if (!baseSha || !headSha) return { ok: false, reason: 'missing' };
  const ff =
    spawnSync('git', ['--git-dir', bare, 'merge-base', '--is-ancestor', baseSha, headSha])
      .status === 0;
  let sha: string;
  if (input.method === 'rebase') {
    sha = ff ? headSha : (rebaseInClone(bare, input.base, input.head) ?? '');
    if (!sha) return { ok: false, reason: 'conflict' };
  } else {
    const tree = mergeTree(bare, baseSha, headSha);
    if (!tree) return { ok: false, reason: 'conflict' };
    const parents = input.method === 'merge' ? ['-p', baseSha, '-p', headSha] : ['-p', baseSha];
    sha = git(bare, ['commit-tree', tree, ...parents], `${input.title}\n\n${input.message}\n`);
  }
  // Compare-and-swap, like the forge's own ref update.
  git(bare, ['update-ref', `refs/heads/${input.base}`, sha, baseSha]);
  return { ok: true, sha };
}

function rebaseInClone(bare: string, base: string, head: string): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'gh-double-rebase-'));
  const run = (args: string[]) =>
    spawnSync('git', ['-C', dir, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...IDENTITY },
    });
  try {
    if (run(['clone', '-q', '--no-local', bare, '.']).status !== 0) return undefined;
    run(['checkout', '-q', '-B', 'work', `origin/${head}`]);
    if (run(['rebase', '-q', `origin/${base}`]).status !== 0) return undefined;
    const sha = run(['rev-parse', 'HEAD']).stdout.trim();
    if (run(['push', '-q', 'origin', `HEAD:refs/heads/__rebased`]).status !== 0) return undefined;
    git(bare, ['update-ref', '-d', 'refs/heads/__rebased']);
    return sha;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Commits reachable from `to` but not from `from` (git rev-list --count from..to). */
export function countCommits(bare: string, from: string, to: string): number {
  const r = spawnSync('git', ['--git-dir', bare, 'rev-list', '--count', `${from}..${to}`], {
    encoding: 'utf8',
  });
  return r.status === 0 ? Number(r.stdout.trim()) : 0;
}

/** The forge's "update branch": a merge commit of base into head, on head (compare-and-swap). */
export function mergeBaseIntoHead(
  bare: string,
  input: { base: string; head: string; expectedHeadSha?: string },
): MergeResult | { ok: false; reason: 'moved' } {
  const baseSha = revParse(bare, input.base);
  const headSha = revParse(bare, input.head);
  if (!baseSha || !headSha) return { ok: false, reason: 'missing' };
  if (input.expectedHeadSha && input.expectedHeadSha !== headSha)
    return { ok: false, reason: 'moved' };
  const tree = mergeTree(bare, headSha, baseSha);
  if (!tree) return { ok: false, reason: 'conflict' };
  const sha = git(
    bare,
    ['commit-tree', tree, '-p', headSha, '-p', baseSha],
    `Merge branch '${input.base}' into ${input.head}\n`,
  );
  git(bare, ['update-ref', `refs/heads/${input.head}`, sha, headSha]);
  return { ok: true, sha };
}

/** A commit's parents and message, or undefined when the repository lacks it. */
export function commitInfo(
  bare: string,
  sha: string,
): { parents: string[]; message: string } | undefined {
  const r = spawnSync('git', ['--git-dir', bare, 'show', '-s', '--format=%P%n%B', sha], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return undefined;
  const [parents = '', ...message] = r.stdout.split('\n');
  return { parents: parents.split(' ').filter(Boolean), message: message.join('\n').trimEnd() };
}
