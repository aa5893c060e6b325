// What a repository file is, by path alone: the one place every step of the
// runner (analysis, edit rules, the test gate, the built-in improver) asks.
// Matching is case-insensitive where git on a case-insensitive checkout or a
// forge would treat two spellings as the same file (`.GitHub/`, `Makefile`).

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/**
 * Files that hold tests (or what tests compare against: snapshots, golden
 * files), by the conventions of the common ecosystems and the default
 * discovery patterns of their runners (node --test, jest, vitest, mocha,
 * pytest/unittest, go test, cargo, surefire, rspec/minitest, googletest).
 * Rust unit tests live inside ordinary `.rs` files; see `mayHoldTests`.
 */
export function isTestFile(path: string): boolean {
  const p = path.toLowerCase();
  return (
    /(^|\/)(test|tests|__tests__|spec|specs|__snapshots__|testdata)\//.test(p) ||
    // jest/vitest/mocha `a.test.ts`, `a-spec.js`, `a_test.mjs`
    /[._-](test|spec)\.[cm]?[jt]sx?$/.test(p) ||
    // node --test defaults: `test.js`, `test-a.js`, `test_a.mjs`
    /(^|\/)test([._-][^/]*)?\.[cm]?[jt]sx?$/.test(p) ||
    /\.snap$/.test(p) ||
    // pytest and unittest: `test_a.py`, `a_test.py`, Django's `tests.py`
    /(^|\/)(test_[^/]*|tests)\.py$/.test(p) ||
    /(^|\/)conftest\.py$/.test(p) ||
    /_test\.(py|go|rb|exs|dart|c|cc|cpp|cxx)$/.test(p) ||
    /_unittest\.(c|cc|cpp|cxx)$/.test(p) ||
    /(^|\/)test_[^/]*\.rb$/.test(p) ||
    /_spec\.rb$/.test(p) ||
    // xUnit naming is CamelCase: `CalcTest.java`, `CalcTests.cs`, `CalcIT.java`,
    // `CalcSpec.scala`; `Latest.java` or `Contest.kt` are not tests.
    /[a-z0-9_](Test|Tests|TestCase|IT|Spec|Suite)\.(java|kt|kts|cs|scala|groovy|php|swift)$/.test(
      path,
    )
  );
}

/** Language families whose syntax the test-integrity rules understand. */
export type CodeLanguage = 'js' | 'python' | 'go' | 'rust' | 'jvm' | 'c' | 'script';

/** The language family of a source file, or undefined for data and prose. */
export function codeLanguage(path: string): CodeLanguage | undefined {
  const ext = /\.([a-z0-9]+)$/.exec(path.toLowerCase())?.[1];
  switch (ext) {
    case 'js':
    case 'jsx':
    case 'mjs':
    case 'cjs':
    case 'ts':
    case 'tsx':
    case 'mts':
    case 'cts':
      return 'js';
    case 'py':
      return 'python';
    case 'go':
      return 'go';
    case 'rs':
      return 'rust';
    case 'java':
    case 'kt':
    case 'kts':
    case 'scala':
    case 'groovy':
    case 'cs':
    case 'swift':
    case 'dart':
    case 'php':
      return 'jvm';
    case 'c':
    case 'h':
    case 'cc':
    case 'cpp':
    case 'cxx':
    case 'hpp':
      return 'c';
    case 'rb':
    case 'ex':
    case 'exs':
    case 'sh':
    case 'bash':
    case 'pl':
    case 'lua':
      return 'script';
    default:
      return undefined;
  }
}

/**
 * Test files, plus Rust sources: their `#[cfg(test)]` modules and `#[test]`
 * functions are tests too, though the file as a whole is not a test file.
 */
export function mayHoldTests(path: string): boolean {
  return isTestFile(path) || codeLanguage(path) === 'rust';
}

/** Prose: what a `documentation` improvement may change freely. */
export function isDocFile(path: string): boolean {
  const p = path.toLowerCase();
  // Code is code wherever it lives: `docs/example.test.js` runs with the tests.
  if (isTestFile(p) || codeLanguage(p) !== undefined) return false;
  return (
    /\.(md|markdown|mdx|rst|adoc|txt)$/.test(p) ||
    /(^|\/)(docs?)\//.test(p) ||
    /^(readme|changelog|contributing|authors|license|notice)(\.[a-z]+)?$/.test(base(p))
  );
}

/**
 * Whether an improvement of `type` may change dependency manifests,
 * lockfiles and the dependency sections of package.json and pyproject.toml:
 * a dependencies one, and a security one (a fix is often an upgrade).
 */
export function mayChangeDependencies(type: string): boolean {
  return type === 'dependencies' || type === 'security';
}

/** Dependency manifests and lockfiles: see mayChangeDependencies. */
export const DEPENDENCY_FILES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'yarn.lock',
  'bun.lockb',
  'bun.lock',
  'go.mod',
  'go.sum',
  'go.work',
  'go.work.sum',
  'cargo.toml',
  'cargo.lock',
  'requirements.txt',
  'requirements-dev.txt',
  'pipfile',
  'pipfile.lock',
  'poetry.lock',
  'uv.lock',
  'pom.xml',
  'build.gradle',
  'build.gradle.kts',
  'gemfile',
  'gemfile.lock',
  'composer.json',
  'composer.lock',
] as const;

export function isDependencyFile(path: string): boolean {
  const p = path.toLowerCase();
  const b = base(p);
  return (
    (DEPENDENCY_FILES as readonly string[]).includes(b) ||
    /^requirements[-\w]*\.txt$/.test(b) ||
    // vendored dependencies: `go test` builds from vendor/ when vendor/modules.txt exists
    /(^|\/)vendor\//.test(p)
  );
}

/**
 * Globs (matched case-insensitively, dotfiles included) of files that define
 * how tests run and what counts as passing, or that steer CI, review and
 * tooling. No improvement may change them: that is for a human.
 * package.json and pyproject.toml are checked by section instead (see
 * edits/sections.ts): their test scripts and dependency sections are
 * protected, the rest is not.
 */
export const HARNESS_AND_GOVERNANCE_GLOBS = [
  // CI and repository governance
  '.github/**',
  '.gitlab-ci.yml',
  '.gitlab/**',
  '.circleci/**',
  'jenkinsfile',
  '.travis.yml',
  'azure-pipelines.yml',
  '.buildkite/**',
  '.gitea/**',
  '.forgejo/**',
  '.drone.yml',
  '.drone.star',
  '.woodpecker.yml',
  '.woodpecker.yaml',
  '.woodpecker/**',
  'bitbucket-pipelines.yml',
  '.cirrus.yml',
  'appveyor.yml',
  '.appveyor.yml',
  'cloudbuild.yaml',
  'cloudbuild.yml',
  '.pipelines/**',
  '.tekton/**',
  '.semaphore/**',
  '.husky/**',
  '.lefthook.yml',
  'lefthook.yml',
  '**/codeowners',
  '.gitattributes',
  '**/.gitattributes',
  '.gitmodules',
  '**/.gitignore',
  '.pre-commit-config.yaml',
  '.opencode/**',
  // package-manager and script-shell settings
  '**/.npmrc',
  '**/.yarnrc',
  '**/.yarnrc.yml',
  '.yarn/**',
  '**/.pnpmfile.cjs',
  // test runners and coverage
  '**/jest.config.*',
  '**/jest.setup.*',
  '**/vitest.config.*',
  '**/vitest.workspace.*',
  '**/vite.config.*',
  '**/.mocharc*',
  '**/ava.config.*',
  '**/.c8rc*',
  '**/.nycrc*',
  '**/nyc.config.*',
  '**/karma.conf.*',
  '**/playwright.config.*',
  '**/tsconfig*.json',
  '**/babel.config.*',
  '**/.babelrc*',
  '**/.swcrc',
  // pytest also reads an ini file in the directory it is given (`pytest tests/`)
  '**/pytest.ini',
  '**/.pytest.ini',
  '**/tox.ini',
  '**/setup.cfg',
  '**/noxfile.py',
  '**/conftest.py',
  '**/.coveragerc',
  '**/makefile',
  '**/gnumakefile',
  '**/*.mk',
  'justfile',
  'taskfile.yml',
  '.cargo/**',
  'rust-toolchain*',
  '.tool-versions',
  '.nvmrc',
  '.node-version',
  '.python-version',
  '**/bunfig.toml',
  '**/deno.json',
  '**/deno.jsonc',
  // pnpm reads these as package.json (scripts included)
  '**/package.yaml',
  '**/package.json5',
  // code Python imports by itself at start-up
  '**/sitecustomize.py',
  '**/usercustomize.py',
  '**/*.pth',
  // installed packages and environments the test run loads, never tracked source
  '**/node_modules/**',
  '**/.venv/**',
  '**/.tox/**',
  '**/.nox/**',
  '**/site-packages/**',
  '**/__pycache__/**',
] as const;

/** package.json scripts that decide what running the tests (or installing) does. */
export function isHarnessScript(name: string): boolean {
  return (
    /^(pre|post)?test(:|$)/.test(name) ||
    /^(pre|post)?(install|prepare|ci)$/.test(name) ||
    /^(pre|post)?(lint|typecheck|coverage|check)(:|$)/.test(name) ||
    name === 'prepublish'
  );
}
