// Which command runs a repository's tests, detected from its ecosystem files
// when the spec does not give one. First match wins, most specific first.
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
  if (await exists(dir, 'go.mod')) return 'go test ./...';
  if (await exists(dir, 'Cargo.toml')) return 'cargo test';
  for (const f of ['Makefile', 'makefile', 'GNUmakefile']) {
    if (!(await exists(dir, f))) continue;
    const text = await readFile(join(dir, f), 'utf8');
    if (/^test\s*:/m.test(text)) return 'make test';
  }
  return undefined;
}
