// The built-in improver on real git repositories: for each rule one repo
// where it applies (exact fix asserted) and one where it must do nothing.
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createBuiltinImprover } from '../../src/runner/builtin/index.ts';
import { lintFixRule } from '../../src/runner/builtin/rules/lint-fix.ts';
import { linksRule } from '../../src/runner/builtin/rules/links.ts';
import { readmeRule } from '../../src/runner/builtin/rules/readme.ts';
import { whitespaceRule } from '../../src/runner/builtin/rules/whitespace.ts';
import { applyEdits } from '../../src/runner/edits/apply.ts';
import type { EditLimits, Proposal, ProposeResult } from '../../src/runner/types.ts';
import { captureLogger, dirtyFiles, makeRepo, removeRepo, repoContext } from './support.ts';

const policy: EditLimits = {
  maxFilesChanged: 10,
  maxLinesChanged: 400,
  protectedPaths: ['.github/workflows/**'],
};
const { logger } = captureLogger();
const FULL_README = '# demo\n\nA demo.\n';
let dirs: string[] = [];
afterEach(() => {
  dirs.forEach(removeRepo);
  dirs = [];
});
const repo = (files: Record<string, string>) => {
  const d = makeRepo(files);
  dirs.push(d);
  return d;
};
const read = (dir: string, p: string) => readFileSync(join(dir, p), 'utf8');

async function proposeAndApply(
  dir: string,
  opts: Partial<Parameters<typeof createBuiltinImprover>[0]> = {},
) {
  const p = opts.policy ?? policy;
  const r = await createBuiltinImprover({ policy: p, logger, ...opts }).propose(
    repoContext(dir),
    [],
  );
  expect(r.kind).toBe('proposal');
  const proposal = (r as { proposal: Proposal }).proposal;
  expect(dirtyFiles(dir)).toBe(''); // proposing writes nothing
  const applied = await applyEdits(dir, proposal.blocks, { ...p, type: proposal.type });
  expect(applied.ok).toBe(true);
  return proposal;
}

async function nothing(dir: string, rules: Parameters<typeof createBuiltinImprover>[0]['rules']) {
  const r: ProposeResult = await createBuiltinImprover({ policy, logger, rules }).propose(
    repoContext(dir),
    [],
  );
  expect(r).toMatchObject({ kind: 'none', reason: 'NothingToDo' });
  expect(dirtyFiles(dir)).toBe('');
}

describe('built-in improver: whitespace', () => {
  const files = {
    'src/a.js': 'const a = 1;  \nconst b = 2;\t\nconsole.log(a + b);',
    'README.md': '# demo\n\nLine with a hard break  \nnext line\ntrailing tab\t\n',
    'package-lock.json': '{  \n}\n',
    'vendor/lib.js': 'x  \n',
    'gen.pb.go': 'package x  \n',
    '.github/workflows/ci.yml': 'on: push  \n',
    'logo.png': 'PNG\u0000\u0001  \n',
  };

  it('strips trailing whitespace and adds the final newline, keeping Markdown hard breaks', async () => {
    const dir = repo(files);
    const p = await proposeAndApply(dir);
    expect(p).toMatchObject({
      type: 'style',
      priority: 'P3',
      title: 'remove trailing whitespace and add missing final newlines',
    });
    expect(p.candidate.id).toBe('builtin:whitespace');
    expect(read(dir, 'src/a.js')).toBe('const a = 1;\nconst b = 2;\nconsole.log(a + b);\n');
    expect(read(dir, 'README.md')).toBe(
      '# demo\n\nLine with a hard break  \nnext line\ntrailing tab\n',
    );
    expect(read(dir, 'package-lock.json')).toBe('{  \n}\n');
    expect(read(dir, 'vendor/lib.js')).toBe('x  \n');
    expect(read(dir, '.github/workflows/ci.yml')).toBe('on: push  \n');
  });

  it('stays within maxLinesChanged by fixing only the first lines', async () => {
    const dir = repo({ 'a.txt': 'one \ntwo \nthree \n' });
    const small = { ...policy, maxLinesChanged: 4 };
    await proposeAndApply(dir, { policy: small });
    expect(read(dir, 'a.txt')).toBe('one\ntwo\nthree \n');
  });

  it('does nothing on a clean repository or when style is not allowed', async () => {
    await nothing(repo({ 'src/a.js': 'const a = 1;\n', 'README.md': FULL_README }), [
      whitespaceRule,
    ]);
    const dir = repo(files);
    const r = await createBuiltinImprover({ policy, logger, allowedTypes: ['tests'] }).propose(
      repoContext(dir),
      [],
    );
    expect(r).toMatchObject({ kind: 'none', reason: 'NothingToDo' });
  });
});

describe('built-in improver: README', () => {
  it('creates a README from the detected commands', async () => {
    const dir = repo({
      'package.json':
        JSON.stringify(
          { name: 'widget', description: 'Makes widgets.', scripts: { test: 'jest' } },
          null,
          2,
        ) + '\n',
      'src/index.js': 'export const w = 1;\n',
    });
    const p = await proposeAndApply(dir);
    expect(p).toMatchObject({ type: 'documentation', priority: 'P3', title: 'add a README' });
    expect(read(dir, 'README.md')).toBe(
      '# widget\n\nMakes widgets.\n\n## Installation\n\nInstall the dependencies:\n\n```sh\nnpm install\n```\n\n' +
        '## Testing\n\nRun the test suite:\n\n```sh\nnpm test\n```\n',
    );
  });

  it('adds the missing Usage and Testing sections to an existing README', async () => {
    const dir = repo({
      'go.mod': 'module example.com/acme/tool\n\ngo 1.22\n',
      'main.go': 'package main\n\nfunc main() {}\n',
      'README.md': '# tool\n\nA tool.\n\n## Install\n\nRun `go install`.\n',
    });
    const p = await proposeAndApply(dir);
    expect(p.title).toBe('add Usage, Testing to the README');
    expect(read(dir, 'README.md')).toBe(
      '# tool\n\nA tool.\n\n## Install\n\nRun `go install`.\n\n## Usage\n\nRun it:\n\n```sh\ngo run .\n```\n\n' +
        '## Testing\n\nRun the test suite:\n\n```sh\ngo test ./...\n```\n',
    );
  });

  it('does nothing when the README already covers installation, usage and testing', async () => {
    await nothing(
      repo({
        'go.mod': 'module example.com/acme/tool\n',
        'main.go': 'package main\n',
        'README.md':
          '# tool\n\n## Getting started\n\n`go build`\n\n## Running the tests\n\n`go test ./...`\n',
      }),
      [readmeRule],
    );
  });
});

describe('built-in improver: broken relative links', () => {
  const base = {
    'README.md': FULL_README,
    'docs/install/setup.md': '# Setup\n',
    'a/logo.png': 'PNG\u0000',
    'b/logo.png': 'PNG\u0000',
  };

  it('fixes a link with exactly one file of that name and leaves the rest alone', async () => {
    const guide =
      'See [setup](setup.md#start), [api](../api.md), [home](../README.md), `[code](missing.md)`, ' +
      '![logo](logo.png) and [site](https://example.com/x.md).\n\n```\n[fenced](setup.md)\n```\n';
    const dir = repo({ ...base, 'docs/guide.md': guide });
    const p = await proposeAndApply(dir);
    expect(p).toMatchObject({ type: 'documentation', title: 'fix broken relative links' });
    expect(p.rationale).toContain('docs/guide.md: setup.md#start -> install/setup.md#start');
    expect(read(dir, 'docs/guide.md')).toBe(
      guide.replace('[setup](setup.md#start)', '[setup](install/setup.md#start)'),
    );
  });

  it('does nothing when links resolve or the match is ambiguous', async () => {
    await nothing(
      repo({
        ...base,
        'docs/guide.md': 'See [setup](install/setup.md), [dir](install/) and ![logo](logo.png).\n',
      }),
      [linksRule],
    );
  });
});

describe('built-in improver: eslint --fix', () => {
  const files = {
    'package.json':
      JSON.stringify({
        name: 'lint-demo',
        type: 'module',
        devDependencies: { eslint: '^10.0.0' },
      }) + '\n',
    'eslint.config.js': "export default [{ rules: { 'prefer-const': 'error' } }];\n",
    'src/a.js': 'let x = 1;\nconsole.log(x);\n',
    'README.md': '# lint-demo\n\n## Installation\n\n`npm install`\n',
    '.gitignore': 'node_modules\n',
  };

  it('runs the repository’s own eslint fixer and proposes its changes', async () => {
    const dir = repo(files);
    symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
    const p = await proposeAndApply(dir);
    expect(p).toMatchObject({ type: 'refactoring', priority: 'P3', title: 'apply eslint --fix' });
    expect(p.blocks.map((b) => b.path)).toEqual(['src/a.js']);
    expect(read(dir, 'src/a.js')).toBe('const x = 1;\nconsole.log(x);\n');
  });

  it('does nothing when eslint is configured but not installed locally', async () => {
    await nothing(repo(files), [lintFixRule]);
  });
});

describe('built-in improver: contract', () => {
  it('is provider builtin and never repairs', async () => {
    const dir = repo({ 'a.txt': 'x\n' });
    writeFileSync(join(dir, 'untracked.txt'), 'y  \n'); // not tracked: never touched
    const imp = createBuiltinImprover({ policy, logger });
    expect(imp.provider).toBe('builtin');
    const r = await imp.propose(repoContext(dir), []);
    // Only README creation applies here (a.txt is clean; untracked files are ignored).
    expect(r.kind === 'proposal' && r.proposal.blocks.map((b) => b.path)).toEqual(['README.md']);
    const again = await imp.repair(
      repoContext(dir),
      (r as { proposal: Proposal }).proposal,
      'FAIL',
    );
    expect(again).toMatchObject({ kind: 'none' });
  });
});
