// Rule 4: the repository's own linter autofix, only when the repo configures
// ESLint and its binary is installed locally. The fixer runs on a temporary
// copy; its changes come back as ordinary edit blocks for the strict applier.
import { execFile } from 'node:child_process';
import {
  access,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  symlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { scopeViolation } from '../../edits/scope.ts';
import { scrubbedEnv } from '../../testing/run-tests.ts';
import { fitToPolicy, wholeFileBlock, type FileChange, type Rule } from './types.ts';

const CONFIGS = /^(eslint\.config\.(js|mjs|cjs|ts|mts|cts)|\.eslintrc(\.(js|cjs|json|ya?ml))?)$/;

function runEslint(bin: string, cwd: string): Promise<number> {
  return new Promise((resolve) => {
    // Our own Node runs the repo's eslint script: the shebang's node may be too old.
    execFile(
      process.execPath,
      [bin, '--fix', '.'],
      // The repository's eslint and config are its code: none of the runner's secrets.
      { cwd, env: scrubbedEnv(), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err) => {
        resolve(err ? (typeof err.code === 'number' ? err.code : 2) : 0);
      },
    );
  });
}

// Declared `style`; a fix that changes tokens (prefer-const turning `let`
// into `const`, eqeqeq, object-shorthand) is proposed as `refactoring`.
export const lintFixRule: Rule = {
  id: 'lint-fix',
  type: 'style',
  async run({ dir, files, tracked, policy, logger }) {
    const pkgRaw = files.find((f) => f.path === 'package.json')?.content;
    if (!pkgRaw) return undefined;
    let pkg: { devDependencies?: Record<string, string>; dependencies?: Record<string, string> };
    try {
      pkg = JSON.parse(pkgRaw);
    } catch {
      return undefined;
    }
    if (!pkg.devDependencies?.eslint && !pkg.dependencies?.eslint) return undefined;
    if (!tracked.some((p) => CONFIGS.test(p))) return undefined;
    // An eslint committed to the repository is not the one its lockfile installs.
    if (tracked.some((p) => p.split('/').includes('node_modules'))) return undefined;
    const binLink = join(dir, 'node_modules/.bin/eslint');
    if (
      !(await access(binLink).then(
        () => true,
        () => false,
      ))
    )
      return undefined;
    const bin = await realpath(binLink);

    const tmp = await mkdtemp(join(tmpdir(), 'opencode-lint-'));
    try {
      for (const p of tracked) {
        await mkdir(dirname(join(tmp, p)), { recursive: true });
        await copyFile(join(dir, p), join(tmp, p)).catch(() => undefined);
      }
      await symlink(join(dir, 'node_modules'), join(tmp, 'node_modules'));
      const code = await runEslint(bin, tmp);
      // 0: clean, 1: fixed what it could but problems remain; anything else: eslint itself failed.
      if (code !== 0 && code !== 1) {
        logger.warn({ code }, 'eslint --fix failed; lint rule skipped');
        return undefined;
      }
      const changes: FileChange[] = [];
      for (const f of files) {
        const after = await readFile(join(tmp, f.path), 'utf8').catch(() => f.content);
        if (after !== f.content) changes.push({ path: f.path, before: f.content, after });
      }
      const fitted = fitToPolicy(changes, policy);
      if (fitted.length === 0) return undefined;
      return {
        title: 'apply eslint --fix',
        rationale: `The repository's ESLint configuration reports fixable problems in ${fitted.length} file(s); these are the linter's own fixes.`,
        blocks: fitted.map(wholeFileBlock),
        type: scopeViolation('style', fitted) === undefined ? 'style' : 'refactoring',
      };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  },
};
