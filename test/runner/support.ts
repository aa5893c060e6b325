// Helpers for the runner's integration tests: a fixture repository copied
// into a bare remote in a temp dir, git inspection of that remote, target
// specs with CRD defaults, and a JSON-lines logger whose output is captured.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from '@jest/globals';
import { startOllamaDouble, type OllamaDouble } from '../doubles/ollama/server.ts';
import { parseTargetSpec } from '../../src/runner/config.ts';
import type { ImprovementTargetSpec } from '../../src/crds/index.ts';
import { createLogger, type Logger } from '../../src/util/logger.ts';
import { repoRoot } from '../support/kube.ts';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'repos');

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Human Dev',
  GIT_AUTHOR_EMAIL: 'human@example.com',
  GIT_COMMITTER_NAME: 'Human Dev',
  GIT_COMMITTER_EMAIL: 'human@example.com',
};

export function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
}

export interface Sandbox {
  root: string;
  /** The bare remote. */
  bare: string;
  url: string;
  workspace: string;
  /** Clones the remote into a fresh "human" checkout. */
  humanClone(name?: string): string;
  /** A file's content at a ref of the remote, or undefined. */
  show(ref: string, path: string): string | undefined;
  sha(ref: string): string | undefined;
  log(ref: string): string[];
  cleanup(): void;
}

export function sandbox(fixture = 'node-basic', opts: { withWorkBranch?: boolean } = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'oc-runner-'));
  const seed = join(root, 'seed');
  cpSync(join(FIXTURES, fixture), seed, { recursive: true });
  git(seed, ['init', '--quiet', '--initial-branch=main']);
  git(seed, ['add', '-A']);
  git(seed, ['commit', '--quiet', '-m', 'initial commit']);
  if (opts.withWorkBranch) git(seed, ['branch', 'develop']);
  const bare = join(root, 'remote.git');
  git(root, ['clone', '--quiet', '--bare', seed, bare]);
  let clones = 0;
  const s: Sandbox = {
    root,
    bare,
    url: `file://${bare}`,
    workspace: join(root, 'workspace'),
    humanClone(name = `human${++clones}`) {
      const dir = join(root, name);
      git(root, ['clone', '--quiet', bare, dir]);
      return dir;
    },
    show(ref, path) {
      try {
        return execFileSync('git', ['show', `${ref}:${path}`], {
          cwd: bare,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
      } catch {
        return undefined;
      }
    },
    sha(ref) {
      try {
        return execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
          cwd: bare,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim();
      } catch {
        return undefined;
      }
    },
    log(ref) {
      return git(bare, ['log', '--format=%s', ref]).split('\n');
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
  return s;
}

export function targetSpec(url: string, over: Record<string, unknown> = {}): ImprovementTargetSpec {
  const base = {
    repository: { url, provider: 'git' },
    schedule: '@daily',
    tests: { command: 'node --test', timeoutSeconds: 120 },
    model: { provider: 'ollama', name: 'codellama:7b-code', contextTokens: 16384 },
  };
  return parseTargetSpec(deepMerge(base, over), 'test');
}

function deepMerge(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object'
        ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** A real logger writing JSON lines into memory (for asserting what was logged). */
export function capturedLogger(): { logger: Logger; lines: () => string } {
  let out = '';
  const dest = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination: dest }), lines: () => out };
}

export const DOC_EDIT = [
  'src/math.js',
  '```js',
  '<<<<<<< SEARCH',
  'export function add(a, b) {',
  '=======',
  '/** Adds two numbers. */',
  'export function add(a, b) {',
  '>>>>>>> REPLACE',
  '```',
].join('\n');

export const BREAKING_EDIT = [
  'src/math.js',
  '```js',
  '<<<<<<< SEARCH',
  '  return a + b;',
  '=======',
  '  return a - b;',
  '>>>>>>> REPLACE',
  '```',
].join('\n');

/** A plan answer choosing the first candidate whose id matches, from the schema sent. */
export function planFor(match: RegExp, title = 'Document add') {
  return (req: { format?: unknown }) => {
    const ids = ((req.format as any)?.properties?.candidateId?.enum ?? []) as string[];
    const id = ids.find((i) => match.test(i));
    if (!id) throw new Error(`no candidate matching ${match} in ${ids.join(', ')}`);
    return JSON.stringify({
      candidateId: id,
      title,
      rationale: 'Explain what add() does.',
      files: ['src/math.js'],
    });
  };
}

/** An Ollama double serving the runner's default model for the whole test file. */
export function useOllamaDouble(): () => OllamaDouble {
  let ollama: OllamaDouble | undefined;
  beforeAll(async () => {
    ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
  });
  afterAll(() => ollama?.close());
  return () => {
    if (!ollama) throw new Error('the Ollama double is not started yet');
    return ollama;
  };
}

/** Runs `opencode-runner <args>` (the CLI from source, on the project's Node) to the end. */
export function runnerCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(join(repoRoot, 'node_modules/.bin/node'), ['src/cli/runner.ts', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env,
  });
}
