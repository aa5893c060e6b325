// Real repositories that nobody here wrote, fetched at test time (never
// committed): a Go module with its tests through the Go module proxy, and an
// npm package that ships its tests and needs its devDependencies to run
// them. Each goes through `opencode-runner run` end to end with the built-in
// improver: detected set-up, baseline in the sandbox, gate, commit to a bare
// remote, and the report printed.
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/kube.ts';
import { git } from './support.ts';

// Pinned, so that a new upstream release cannot change what the test sees.
const GO_MODULE = 'github.com/google/uuid@v1.6.0';
// It ships test/*.js; its `npm test` runs them with tape, a devDependency.
const NPM_PACKAGE = 'through@2.3.8';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

/** A bare remote whose main holds `src` as one commit. */
function remoteFrom(src: string): { bare: string; workspace: string } {
  const seed = join(root!, 'seed');
  cpSync(src, seed, { recursive: true });
  makeWritable(seed);
  git(seed, ['init', '--quiet', '--initial-branch=main']);
  git(seed, ['add', '-A']);
  git(seed, ['commit', '--quiet', '-m', 'upstream release']);
  const bare = join(root!, 'remote.git');
  git(root!, ['clone', '--quiet', '--bare', seed, bare]);
  return { bare, workspace: join(root!, 'workspace') };
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) makeWritable(p);
    else chmodSync(p, 0o644);
  }
}

function runner(bare: string, workspace: string) {
  const r = spawnSync(
    join(repoRoot, 'node_modules/.bin/node'),
    [
      'src/cli/runner.ts',
      'run',
      '--repo',
      bare,
      '--model-provider',
      'builtin',
      '--no-ramp-up',
      '--workspace',
      workspace,
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 600_000 },
  );
  const outcome = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}');
  return { ...r, outcome };
}

function expectGoodRun(r: ReturnType<typeof runner>, bare: string, setup: string | undefined) {
  // What a user sees, kept in the test log.
  console.log(
    r.stdout
      .split('\n')
      .filter((l) => !l.startsWith('{'))
      .join('\n'),
  );
  // The report is printed, then the outcome line.
  expect(r.stdout).toMatch(/^Found \d+ candidate\(s\) \(tests: /m);
  expect(r.stdout).toMatch(/^Isolation: namespaces/m);
  if (setup) expect(r.stdout).toContain(`Set-up: ${setup}`);
  // The built-in improver finds something in both (README sections, doc comments).
  expect(r.outcome.phase).toBe('Succeeded');
  expect(r.outcome.tests).toMatchObject({ passed: true });
  expect(r.outcome.tests.executedBefore).toBeGreaterThan(0);
  {
    // The improvement commit is the one the outcome names, on develop.
    const subjects = git(bare, ['log', '--format=%H %s', 'develop']).split('\n');
    expect(subjects.find((s) => s.startsWith(r.outcome.commit))).toMatch(/ (docs|style)/);
    expect(r.outcome.tests.executedAfter).toBeGreaterThanOrEqual(r.outcome.tests.executedBefore);
  }
  // The runner's clone and exported trees are gone; only the dependency cache stays.
  expect(readdirSync(join(root!, 'workspace')).filter((e) => e !== '.cache')).toEqual([]);
}

describe('real repositories', () => {
  it(`${GO_MODULE}: go mod download, go test in the sandbox, an improvement committed`, () => {
    root = mkdtempSync(join(tmpdir(), 'oc-real-go-'));
    const gomod = join(root, 'gomodcache');
    mkdirSync(gomod);
    const info = JSON.parse(
      execFileSync('go', ['mod', 'download', '-json', GO_MODULE], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, GOMODCACHE: gomod, GOFLAGS: '-modcacherw' },
      }),
    ) as { Dir: string };
    const { bare, workspace } = remoteFrom(info.Dir);
    const r = runner(bare, workspace);
    expect(r.stdout).toContain('(tests: go test -v ./...)');
    expectGoodRun(r, bare, 'go mod download');
  });

  it(`${NPM_PACKAGE}: npm install of its devDependencies, its tape tests, out of the box`, () => {
    root = mkdtempSync(join(tmpdir(), 'oc-real-npm-'));
    const tgz = execFileSync('npm', ['pack', NPM_PACKAGE, '--silent'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    mkdirSync(join(root, 'pkg'));
    execFileSync('tar', ['-xzf', tgz, '-C', join(root, 'pkg'), '--strip-components=1'], {
      cwd: root,
    });
    const { bare, workspace } = remoteFrom(join(root, 'pkg'));
    const r = runner(bare, workspace);
    expect(r.stdout).toContain('(tests: npm test)');
    expectGoodRun(r, bare, 'npm install --no-audit --no-fund');
  });
});
