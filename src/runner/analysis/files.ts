// The repository's tracked files (git ls-files), filtered to source-like text.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SOURCE_EXT =
  /\.(ts|tsx|js|jsx|mjs|cjs|py|go|rs|java|kt|rb|php|cs|c|h|cc|cpp|hpp|swift|scala|sh|md)$/i;
const SKIP = /(^|\/)(node_modules|vendor|dist|build|coverage|target|\.git)\//;

/** Tracked files, repo-relative, sorted. */
export async function trackedFiles(dir: string): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '-z'], { cwd: dir, maxBuffer: 64 << 20 });
  return stdout
    .split('\0')
    .filter((f) => f && !SKIP.test(f))
    .sort();
}
