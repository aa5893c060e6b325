// Every built-in rule's proposal stays within the type it declares: the same
// scope check a model's proposal goes through (edits/scope.ts).
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ImprovementType } from '../../../crds/index.ts';
import { createLogger } from '../../../util/logger.ts';
import { scopeViolation } from '../../edits/scope.ts';
import type { FileChange } from '../../files/change.ts';
import { lintFixRule } from './lint-fix.ts';
import { linksRule } from './links.ts';
import { readmeRule } from './readme.ts';
import type { Rule, RuleFix } from './types.ts';
import { whitespaceRule } from './whitespace.ts';

const policy = { maxFilesChanged: 10, maxLinesChanged: 400, protectedPaths: [] };
const logger = createLogger({ level: 'silent' });
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'builtin-scope-'));
  dirs.push(dir);
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

async function run(rule: Rule, files: Record<string, string>, dir = repo(files)) {
  const fix = await rule.run({
    dir,
    files: Object.entries(files).map(([path, content]) => ({ path, content })),
    tracked: Object.keys(files),
    policy,
    logger,
  });
  expect(fix).toBeDefined();
  return fix!;
}

/** The rule's blocks as file changes: each is whole-file (or creates the file). */
function changesOf(fix: RuleFix, files: Record<string, string>): FileChange[] {
  return fix.blocks.map((b) => {
    const current = files[b.path];
    expect(b.search).toBe(current ?? '');
    return { path: b.path, before: current ?? null, after: b.replace };
  });
}

async function expectInScope(
  rule: Rule,
  files: Record<string, string>,
  type: ImprovementType,
  dir?: string,
) {
  const fix = await run(rule, files, dir);
  expect(fix.type ?? rule.type).toBe(type);
  expect(scopeViolation(type, changesOf(fix, files))).toBeUndefined();
  return fix;
}

describe('built-in rules stay within their declared type', () => {
  it('whitespace (style): trailing whitespace and final newlines in code and prose', async () => {
    const files = {
      'src/a.js': 'const a = 1;  \nconst s = `x`;\t\nconsole.log(a);',
      'app.py': 'def f():  \n    return 1\n',
      'README.md': '# demo  \n\ntext \n',
    };
    const fix = await expectInScope(whitespaceRule, files, 'style');
    expect(fix.blocks.map((b) => b.path)).toEqual(['src/a.js', 'app.py', 'README.md']);
  });

  it('whitespace leaves files alone where trailing whitespace is inside a string', async () => {
    const files = {
      'doc.py': 'X = """line  \nmore"""\n',
      'tpl.js': 'const t = `a  \nb`;\n',
      'ok.py': 'x = 1 \n',
    };
    const fix = await expectInScope(whitespaceRule, files, 'style');
    expect(fix.blocks.map((b) => b.path)).toEqual(['ok.py']);
  });

  it('readme (documentation): creates a README, or adds sections to one', async () => {
    const pkg = JSON.stringify({ name: 'w', scripts: { test: 'jest' } });
    const created = await expectInScope(readmeRule, { 'package.json': pkg }, 'documentation');
    expect(created.blocks[0]!.path).toBe('README.md');
    await expectInScope(
      readmeRule,
      { 'package.json': pkg, 'README.md': '# w\n\nWidgets.\n' },
      'documentation',
    );
  });

  it('broken-links (documentation): relative Markdown links', async () => {
    await expectInScope(
      linksRule,
      { 'docs/guide.md': 'See [setup](setup.md).\n', 'docs/install/setup.md': '# Setup\n' },
      'documentation',
    );
  });

  describe('lint-fix: style when eslint only reformats, refactoring when it changes tokens', () => {
    const lintRepo = (rules: string, code: string) => {
      const files = {
        'package.json': JSON.stringify({ type: 'module', devDependencies: { eslint: '*' } }),
        'eslint.config.js': `export default [{ rules: ${rules} }];\n`,
        'src/a.js': code,
      };
      const dir = repo(files);
      symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
      return { files, dir };
    };

    it('a missing semicolon: style', async () => {
      const { files, dir } = lintRepo("{ semi: ['error', 'always'] }", 'const x = 1\nf(x)\n');
      const fix = await expectInScope(lintFixRule, files, 'style', dir);
      expect(fix.blocks[0]!.replace).toBe('const x = 1;\nf(x);\n');
    }, 60_000);

    it('let becoming const: refactoring, which style would refuse', async () => {
      const { files, dir } = lintRepo("{ 'prefer-const': 'error' }", 'let x = 1;\nf(x);\n');
      const fix = await expectInScope(lintFixRule, files, 'refactoring', dir);
      expect(scopeViolation('style', changesOf(fix, files))).toMatch(/changes code in src\/a\.js/);
    }, 60_000);
  });
});
