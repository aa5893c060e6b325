// What a newcomer needs to know, detected from the repository's own files.
import { codeLanguage, isTestFile } from '../files/kinds.ts';
import type { RepoFile } from './scan.ts';

export interface ProjectFacts {
  name?: string;
  description?: string;
  install?: string;
  usage?: string;
  test?: string;
}

interface PackageJson {
  name?: unknown;
  description?: unknown;
  scripts?: Record<string, unknown>;
  bin?: string | Record<string, string>;
}

function packageJson(files: Map<string, string>): PackageJson | undefined {
  const raw = files.get('package.json');
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as PackageJson;
  } catch {
    return undefined;
  }
}

/** Facts from root-level manifests; `trackedPaths` includes files the scan skipped (lockfiles). */
export function detectProject(
  textFiles: RepoFile[],
  trackedPaths: string[],
  testCommand?: string,
): ProjectFacts {
  const files = new Map(textFiles.map((f) => [f.path, f.content]));
  const has = (p: string) => trackedPaths.includes(p);
  const pkg = packageJson(files);
  if (pkg) {
    const pm = has('pnpm-lock.yaml') ? 'pnpm' : has('yarn.lock') ? 'yarn' : 'npm';
    const script = pkg.scripts?.test;
    const realTest = typeof script === 'string' && !/no test specified/.test(script);
    const name = typeof pkg.name === 'string' ? pkg.name : undefined;
    const bin = typeof pkg.bin === 'string' ? name : pkg.bin ? Object.keys(pkg.bin)[0] : undefined;
    return {
      name,
      description: typeof pkg.description === 'string' ? pkg.description : undefined,
      install: `${pm} install`,
      usage: bin ? `npx ${bin} --help` : pkg.scripts?.start ? `${pm} start` : undefined,
      test: testCommand ?? (realTest ? `${pm} test` : undefined),
    };
  }
  const pyproject = files.get('pyproject.toml');
  if (pyproject || has('setup.py') || has('requirements.txt')) {
    const pytest =
      /\[tool\.pytest/.test(pyproject ?? '') ||
      has('pytest.ini') ||
      has('conftest.py') ||
      trackedPaths.some((p) => codeLanguage(p) === 'python' && isTestFile(p));
    return {
      name: /^name\s*=\s*"([^"]+)"/m.exec(pyproject ?? '')?.[1],
      description: /^description\s*=\s*"([^"]+)"/m.exec(pyproject ?? '')?.[1],
      install:
        pyproject || has('setup.py') ? 'pip install -e .' : 'pip install -r requirements.txt',
      test: testCommand ?? (pytest ? 'pytest' : undefined),
    };
  }
  const gomod = files.get('go.mod');
  if (gomod) {
    return {
      name: /^module\s+(\S+)/m.exec(gomod)?.[1]?.split('/').pop(),
      install: 'go build ./...',
      usage: has('main.go') ? 'go run .' : undefined,
      test: testCommand ?? 'go test ./...',
    };
  }
  const cargo = files.get('Cargo.toml');
  if (cargo) {
    return {
      name: /^name\s*=\s*"([^"]+)"/m.exec(cargo)?.[1],
      description: /^description\s*=\s*"([^"]+)"/m.exec(cargo)?.[1],
      install: 'cargo build',
      usage: has('src/main.rs') ? 'cargo run -- --help' : undefined,
      test: testCommand ?? 'cargo test',
    };
  }
  const makefile = files.get('Makefile');
  return {
    test: testCommand ?? (makefile && /^test\s*:/m.test(makefile) ? 'make test' : undefined),
  };
}
