// Which commands set up a repository (install what its tests need) and run
// its tests, detected from its ecosystem files when the spec does not give
// them. First match wins, most specific first. The one place for both.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

const exists = (dir: string, f: string) =>
  stat(join(dir, f)).then(
    () => true,
    () => false,
  );

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function detectTestCommand(dir: string): Promise<string | undefined> {
  const pkg = await readJson(join(dir, 'package.json'));
  const scripts = (pkg?.scripts ?? {}) as Record<string, unknown>;
  // npm's placeholder script fails on purpose: that is no test suite.
  if (typeof scripts.test === 'string' && !/no test specified/.test(scripts.test)) {
    if (await exists(dir, 'pnpm-lock.yaml')) return 'pnpm test';
    if (await exists(dir, 'yarn.lock')) return 'yarn test';
    return 'npm test';
  }
  if (
    (await exists(dir, 'pytest.ini')) ||
    (await exists(dir, 'conftest.py')) ||
    (await exists(dir, 'pyproject.toml')) ||
    (await exists(dir, 'setup.py')) ||
    (await exists(dir, 'tox.ini'))
  )
    return 'pytest';
  // -v: its per-test lines are what the gate counts (plain output names packages only).
  if (await exists(dir, 'go.mod')) return 'go test -v ./...';
  if (await exists(dir, 'Cargo.toml')) return 'cargo test';
  for (const f of ['Makefile', 'makefile', 'GNUmakefile']) {
    if (!(await exists(dir, f))) continue;
    const text = await readFile(join(dir, f), 'utf8');
    if (/^test\s*:/m.test(text)) return 'make test';
  }
  return undefined;
}

/**
 * The install step for the repository's tests: the lockfile's own package
 * manager in its frozen mode, so the tests run against what the repository
 * pinned. undefined: nothing to install.
 */
export async function detectSetupCommand(dir: string): Promise<string | undefined> {
  const pkg = await readJson(join(dir, 'package.json'));
  if (pkg) {
    const deps = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
    const hasDeps = deps.some((k) => Object.keys((pkg[k] ?? {}) as object).length > 0);
    if (hasDeps) {
      if (await exists(dir, 'pnpm-lock.yaml')) return 'pnpm install --frozen-lockfile';
      if (await exists(dir, 'yarn.lock'))
        return (await exists(dir, '.yarnrc.yml'))
          ? 'yarn install --immutable'
          : 'yarn install --frozen-lockfile';
      if ((await exists(dir, 'package-lock.json')) || (await exists(dir, 'npm-shrinkwrap.json')))
        return 'npm ci --no-audit --no-fund';
      return 'npm install --no-audit --no-fund';
    }
  }
  if (await exists(dir, 'requirements.txt')) return 'pip install -r requirements.txt';
  if ((await exists(dir, 'pyproject.toml')) || (await exists(dir, 'setup.py')))
    return 'pip install -e .';
  if (await exists(dir, 'go.mod')) return 'go mod download';
  if (await exists(dir, 'Cargo.toml')) return 'cargo fetch';
  return undefined;
}

export interface ExtraCheck {
  name: string;
  command: string;
}

const ESLINT_CONFIGS = [
  'eslint.config.js',
  'eslint.config.mjs',
  'eslint.config.cjs',
  'eslint.config.ts',
  '.eslintrc.js',
  '.eslintrc.cjs',
  '.eslintrc.json',
  '.eslintrc.yml',
  '.eslintrc.yaml',
  '.eslintrc',
];

/**
 * Lint and type checks a repository has configured, run after its set-up
 * (so its own pinned linter runs): eslint or biome where configured, tsc
 * where there is a tsconfig and TypeScript is a dependency, ruff or flake8
 * where configured, go vet for Go modules. `--no-install`: never fetch a
 * tool the repository did not install.
 */
export async function detectExtraChecks(dir: string): Promise<ExtraCheck[]> {
  const checks: ExtraCheck[] = [];
  const pkg = await readJson(join(dir, 'package.json'));
  const deps = {
    ...((pkg?.dependencies ?? {}) as object),
    ...((pkg?.devDependencies ?? {}) as object),
  } as Record<string, unknown>;
  const hasConfig = async (files: string[]) => {
    for (const f of files) if (await exists(dir, f)) return true;
    return false;
  };
  if ('eslint' in deps && ((await hasConfig(ESLINT_CONFIGS)) || 'eslintConfig' in (pkg ?? {})))
    checks.push({ name: 'eslint', command: 'npx --no-install eslint .' });
  else if ('@biomejs/biome' in deps && (await hasConfig(['biome.json', 'biome.jsonc'])))
    checks.push({ name: 'biome', command: 'npx --no-install biome lint --reporter=github .' });
  if ('typescript' in deps && (await exists(dir, 'tsconfig.json')))
    checks.push({ name: 'tsc', command: 'npx --no-install tsc --noEmit --pretty false' });
  const pyproject = await readFile(join(dir, 'pyproject.toml'), 'utf8').catch(() => '');
  const setupCfg = await readFile(join(dir, 'setup.cfg'), 'utf8').catch(() => '');
  if ((await hasConfig(['ruff.toml', '.ruff.toml'])) || /^\[tool\.ruff/m.test(pyproject))
    checks.push({ name: 'ruff', command: 'ruff check --output-format concise .' });
  else if ((await exists(dir, '.flake8')) || /^\[flake8\]/m.test(setupCfg))
    checks.push({ name: 'flake8', command: 'flake8 .' });
  if (await exists(dir, 'go.mod')) checks.push({ name: 'go vet', command: 'go vet ./...' });
  return checks;
}
