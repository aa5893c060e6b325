// The test bench: where the repository's own code runs. A tree object is
// exported from git into a fresh directory (no .git, nothing the runner
// holds), the set-up step installs what the tests need, and the tests run
// there, in the isolation this machine allows, with none of the runner's
// secrets. Nothing written there ever reaches a commit: the workflow commits
// the tree object it exported, not the directory.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from '../../util/logger.ts';
import { readUntrustedFile } from '../improver/untrusted.ts';
import type { GitClient } from '../git/git-client.ts';
import type { ExtraCheck } from '../testing/commands.ts';
import {
  runTests,
  type CheckRun,
  type RunTestsOptions,
  type TestRun,
} from '../testing/run-tests.ts';
import { containerRunTests } from './container-executor.ts';
import { describeIsolation, probeIsolation, type Isolation } from './isolation.ts';

/**
 * Where set-up and tests run: `local`, a child process of the runner (in
 * namespaces when the machine allows); or `container`, the Job's test
 * container serving `bench` (root and cacheDir must then be inside it).
 */
export type BenchExecutor = { kind: 'local' } | { kind: 'container'; bench: string };

export interface BenchOptions {
  git: GitClient;
  /** The runner's clone: hidden from the code under test. */
  clone: string;
  /** Scratch root for this run's exported trees, home and temp (created). */
  root: string;
  /** Dependency caches shared between runs in the same workspace. */
  cacheDir: string;
  setupCommand?: string;
  setupTimeoutSeconds: number;
  testCommand: string;
  testTimeoutSeconds: number;
  /** Lint and type checks, run after set-up and before the tests, on the same tree. */
  extraChecks?: ExtraCheck[];
  log: Logger;
  /** Default local. */
  executor?: BenchExecutor;
  /** Replaces the test step (tests inject races); set-up always runs for real. */
  runTests?: (dir: string, command: string, opts: RunTestsOptions) => Promise<TestRun>;
  keep?: boolean;
}

export interface BenchResult {
  /** The set-up step, when there is one. */
  setup?: TestRun;
  /** The tests; absent when set-up failed. */
  tests?: TestRun;
  /** The extra checks, in order; absent when set-up failed. */
  checks?: CheckRun[];
}

export class TestBench {
  private readonly o: BenchOptions;
  private isolation: Isolation | undefined;

  constructor(o: BenchOptions) {
    this.o = o;
  }

  /** How the code was isolated (probed on first use). */
  async isolationInUse(): Promise<Isolation> {
    if (!this.isolation && this.o.executor?.kind === 'container')
      this.isolation = { kind: 'container' };
    if (!this.isolation) {
      mkdirSync(join(this.o.root, 'probe'), { recursive: true });
      this.isolation = await probeIsolation(join(this.o.root, 'probe'));
      if (this.isolation.kind === 'none')
        this.o.log.warn({ isolation: describeIsolation(this.isolation) }, 'tests run unisolated');
    }
    return this.isolation;
  }

  /** Exports `tree`, sets it up and runs the tests in it; the directory is removed afterwards. */
  async check(tree: string, label: string): Promise<BenchResult> {
    const isolation = await this.isolationInUse();
    const dir = join(this.o.root, `${label}-${randomBytes(3).toString('hex')}`);
    await this.o.git.exportTree(tree, dir);
    const opts = { isolation, mounts: this.mounts(), env: this.env() };
    const ex = this.o.executor;
    const run = ex?.kind === 'container' ? containerRunTests(ex.bench) : runTests;
    try {
      let setup: TestRun | undefined;
      if (this.o.setupCommand) {
        setup = await run(dir, this.o.setupCommand, {
          ...opts,
          timeoutSeconds: this.o.setupTimeoutSeconds,
        });
        this.o.log.info(
          { label, command: setup.command, passed: setup.passed, seconds: setup.durationSeconds },
          'set-up',
        );
        if (!setup.passed) return { setup };
      }
      // Before the tests, so files the tests write (reports, snapshots) are not linted.
      const checks: CheckRun[] = [];
      for (const c of this.o.extraChecks ?? []) {
        const r = await run(dir, c.command, { ...opts, timeoutSeconds: this.o.testTimeoutSeconds });
        this.o.log.info(
          { label, check: c.name, exitCode: r.exitCode, findings: r.findings },
          'extra check',
        );
        checks.push({ ...r, name: c.name });
      }
      const tests = await (this.o.runTests ?? run)(dir, this.o.testCommand, {
        ...opts,
        env: this.env(dir),
        timeoutSeconds: this.o.testTimeoutSeconds,
      });
      return { setup, tests, checks };
    } finally {
      if (!this.o.keep) await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Exports `tree`, runs `command` in it (no set-up, no tests) and reads back
   * `collect` (paths relative to the tree) as the command left them: null
   * for a file it removed or that was never there. What the command wrote is
   * read as hostile (no symlinks, regular files only, at most maxBytes each).
   */
  async transform(
    tree: string,
    label: string,
    command: string,
    collect: string[],
    timeoutSeconds: number,
    maxBytes: number,
  ): Promise<{ run: TestRun; files: Map<string, string | null> }> {
    const isolation = await this.isolationInUse();
    const dir = join(this.o.root, `${label}-${randomBytes(3).toString('hex')}`);
    await this.o.git.exportTree(tree, dir);
    const ex = this.o.executor;
    const exec = ex?.kind === 'container' ? containerRunTests(ex.bench) : runTests;
    try {
      const run = await exec(dir, command, {
        isolation,
        mounts: this.mounts(),
        env: this.env(),
        timeoutSeconds,
      });
      const files = new Map<string, string | null>();
      if (run.passed)
        for (const path of collect)
          files.set(
            path,
            await readUntrustedFile(dir, path, maxBytes).catch((err: NodeJS.ErrnoException) => {
              if (err.code === 'ENOENT') return null;
              throw err;
            }),
          );
      return { run, files };
    } finally {
      if (!this.o.keep) await rm(dir, { recursive: true, force: true });
    }
  }

  async cleanup(): Promise<void> {
    await rm(this.o.root, { recursive: true, force: true });
  }

  private dirs() {
    const home = join(this.o.root, 'home');
    const tmp = join(this.o.root, 'tmp');
    for (const d of [home, tmp, this.o.cacheDir]) mkdirSync(d, { recursive: true });
    return { home, tmp, cache: this.o.cacheDir };
  }

  private mounts() {
    const { home, tmp, cache } = this.dirs();
    return { writable: [home, tmp, cache], hidden: [this.o.clone] };
  }

  /**
   * A private home and temp dir; package managers' caches in the shared cache
   * dir. For the test step (`tests`: the exported tree) coverage is measured
   * even when the repository does not ask for it: Node writes V8 coverage to a
   * fresh directory outside the tree, and `go test` a cover profile into it.
   */
  private env(tests?: string): Record<string, string> {
    const { home, tmp, cache } = this.dirs();
    const env: Record<string, string> = {
      HOME: home,
      TMPDIR: tmp,
      npm_config_cache: join(cache, 'npm'),
      npm_config_update_notifier: 'false',
      YARN_CACHE_FOLDER: join(cache, 'yarn'),
      PNPM_HOME: join(home, '.pnpm'),
      GOPATH: join(home, 'go'),
      GOMODCACHE: join(cache, 'go-mod'),
      GOCACHE: join(cache, 'go-build'),
      GOFLAGS: '-modcacherw',
      PIP_CACHE_DIR: join(cache, 'pip'),
      PYTHONUSERBASE: join(home, '.local'),
      CARGO_HOME: join(cache, 'cargo'),
    };
    // rustup finds its toolchains under the real home; they are only read.
    // (A test container's image sets its own.)
    const rustup = process.env.RUSTUP_HOME ?? join(homedir(), '.rustup');
    if (this.o.executor?.kind !== 'container' && existsSync(rustup)) env.RUSTUP_HOME = rustup;
    if (tests) {
      env.NODE_V8_COVERAGE = join(tmp, `v8-coverage-${basename(tests)}`);
      // GOFLAGS entries are space-separated: a path with a space cannot go in.
      if (!/\s/.test(tests)) env.GOFLAGS += ` -coverprofile=${join(tests, 'coverage.out')}`;
    }
    return env;
  }
}
