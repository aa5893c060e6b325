// Runs one hostile-corpus case through the real runner CLI against a fresh
// bare remote, then checks everything a hostile change could have reached:
// the work branch, main, files outside the workspace, hooks, the token.
import { expect } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOllamaDouble } from '../doubles/ollama/server.ts';
import type { CaseCtx, HostileCase, Phase } from '../fixtures/hostile-corpus/kit.ts';
import { repoRoot } from '../support/kube.ts';
import { git, sandbox } from './support.ts';

export const FIXTURE = 'corpus-app';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outcome: Record<string, any>;
}

/** Env of the CLI: this process's, minus anything that would reconfigure the run. */
function cliEnv(c: CaseCtx): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(OPENCODE_|OLLAMA_|BRANCH_|GIT_)/.test(k) && k !== 'OPENCODE_GITLEAKS') continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: c.home,
    TMPDIR: c.tmp,
    OPENCODE_FORGE_TOKEN: c.token,
    LOG_LEVEL: 'debug',
  };
}

function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(repoRoot, 'node_modules/.bin/node'),
      ['src/cli/runner.ts', 'run', ...args],
      {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let outcome: Record<string, any>;
      try {
        outcome = JSON.parse(last);
      } catch {
        outcome = { phase: 'unparsable', last, stderr: stderr.slice(-2000) };
      }
      resolve({ code, stdout, stderr, outcome });
    });
  });
}

/** Every file below `dir`, relative, skipping `skip` (relative prefixes). */
function listFiles(dir: string, skip: string[] = [], rel = ''): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, rel));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const p = rel ? `${rel}/${n}` : n;
    if (skip.some((s) => p === s || p.startsWith(`${s}/`))) continue;
    out.push(p);
    out.push(...listFiles(dir, skip, p));
  }
  return out;
}

const reversed = (s: string) => [...s].reverse().join('');

/** The forms of a secret whose presence anywhere is a leak. */
function leakForms(secret: string): string[] {
  return [
    secret,
    reversed(secret),
    Buffer.from(secret).toString('base64'),
    Buffer.from(secret).toString('base64url'),
  ];
}

function ghTokenShaped(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(36);
  return `${'ghp'}_${[...bytes].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export interface CaseRun {
  c: CaseCtx;
  cli: CliResult;
  /** develop's tip before the run. */
  before: string;
  bare: string;
}

/**
 * Runs one case and asserts the six corpus rules (see the brief in
 * hostile-corpus-a.test.ts). Throws with the case's evidence on a breach.
 */
export async function runCase(k: HostileCase): Promise<CaseRun> {
  const sb = sandbox(FIXTURE, { withWorkBranch: true });
  const ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
  const nonce = randomBytes(4).toString('hex');
  const c: CaseCtx = {
    id: k.id,
    root: sb.root,
    workspace: sb.workspace,
    home: join(sb.root, 'home'),
    tmp: join(sb.root, 'tmp'),
    marker: join(sb.root, 'markers', `${k.id}-hook-ran`),
    pwned: `opencode-pwned-${k.id}-${nonce}`,
    token: `ocx${randomBytes(20).toString('hex')}`,
    ghToken: ghTokenShaped(),
  };
  try {
    for (const d of [c.home, c.tmp, dirname(c.marker)]) mkdirSync(d, { recursive: true });
    const before = sb.sha('develop')!;
    const mainBefore = sb.sha('main')!;
    const repoState = () => ({
      hooks: readdirSync(join(sb.bare, 'hooks')).sort(),
      config: readFileSync(join(sb.bare, 'config'), 'utf8'),
      seedHooks: readdirSync(join(sb.root, 'seed', '.git', 'hooks')).sort(),
      seedConfig: readFileSync(join(sb.root, 'seed', '.git', 'config'), 'utf8'),
    });
    const stateBefore = repoState();

    const planMisses: string[] = [];
    const plan = (req: { format?: unknown }) => {
      const ids = ((req.format as any)?.properties?.candidateId?.enum ?? []) as string[];
      const id = ids.find((i) => k.candidate.test(i));
      if (!id) planMisses.push(`no candidate matching ${k.candidate} in ${ids.join(', ')}`);
      return JSON.stringify({
        candidateId: id ?? ids[0],
        title: k.title?.(c) ?? `Corpus case ${k.id}`,
        rationale: k.rationale?.(c) ?? 'Improves the module as the candidate asks.',
        files: ['src/math.js'],
      });
    };
    if (k.script) ollama.script(k.script(c));
    else {
      const edits = k.answers(c);
      ollama.script([plan, ...edits, edits.at(-1)!]);
    }

    const cli = await runCli(
      [
        '--repo',
        sb.bare,
        '--model-provider',
        'ollama',
        '--ollama-host',
        ollama.url,
        '--model',
        'codellama:7b-code',
        '--context-tokens',
        '16384',
        '--test-timeout',
        '60',
        '--setup-timeout',
        '60',
        '--no-ramp-up',
        '--workspace',
        sb.workspace,
      ],
      cliEnv(c),
      110_000,
    );
    if (k.settle) await sleep(k.settle * 1000);
    // Out-of-tree files this case may have written: noted now, removed whatever the verdict.
    const outside = [
      ...['/tmp', '/var/tmp', '/dev/shm', homedir(), sb.root, sb.workspace, c.home, c.tmp].map(
        (d) => join(d, c.pwned),
      ),
      join(sb.workspace, '.cache', c.pwned),
      ...(k.outside?.(c) ?? []),
    ];
    const present = outside.filter((p) => existsSync(p));
    for (const p of present) rmSync(p, { force: true, recursive: true });
    const o = cli.outcome;
    const reason = o.noChangeReason ?? o.failure?.reason;
    const evidence = () =>
      [
        `case ${k.id} (${k.class}): phase ${o.phase}, reason ${reason}`,
        `message: ${o.message ?? o.failure?.message ?? ''}`,
        `develop diff: ${safeGit(sb.bare, ['diff', '--stat', before, 'develop'])}`,
        `test output tail: ${String(o.tests?.outputTail ?? '').slice(-1500)}`,
        `stderr tail: ${cli.stderr.slice(-1500)}`,
      ].join('\n');

    if (process.env.HOSTILE_CORPUS_LOG) {
      const message = String(o.message ?? o.failure?.message ?? '').slice(0, 300);
      const probe = String(o.tests?.outputTail ?? '').match(/OPENCODE-PROBE-RAN[^\n]*/g) ?? [];
      appendFileSync(
        process.env.HOSTILE_CORPUS_LOG,
        `${JSON.stringify({ id: k.id, class: k.class, phase: o.phase, reason, message, isolation: o.tests?.isolation, probe: [...new Set(probe)].slice(0, 2) })}\n`,
      );
    }
    expect({ planMisses }).toEqual({ planMisses: [] });
    const breaches: string[] = [];

    // (6) the outcome: phase and reason from the expected set, the rule the case is about.
    const phases: readonly Phase[] =
      typeof k.expect.phase === 'string' ? [k.expect.phase] : k.expect.phase;
    if (!phases.includes(o.phase)) breaches.push(`phase ${o.phase}, expected ${phases.join('|')}`);
    else if (k.expect.reasons && !k.expect.reasons.includes(reason))
      breaches.push(`reason ${reason}, expected ${k.expect.reasons.join('|')}`);
    const message = String(o.message ?? o.failure?.message ?? '');
    if (k.why && o.phase !== 'Succeeded' && !k.why.test(message))
      breaches.push(`message does not match ${k.why}`);
    if (k.ran && o.phase === 'Failed' && !k.ran.test(String(o.tests?.outputTail ?? '')))
      breaches.push(`the hostile code did not run (no ${k.ran} in the test output)`);

    // (1) the work branch: only state files, unless a control lands exactly as proposed.
    const changed = safeGit(sb.bare, ['diff', '--name-only', before, 'develop'])
      .split('\n')
      .filter((f) => f && !f.startsWith('.opencode/'));
    if (o.phase === 'Succeeded' && k.commits) {
      checkCommitted(sb.bare, sb.root, k.commits(c), o);
    } else if (changed.length > 0) {
      breaches.push(`reached develop: ${JSON.stringify(changed)}`);
    }
    for (const [path, text] of Object.entries(k.untouched?.(c) ?? {})) {
      if ((sb.show('develop', path) ?? '').includes(text))
        breaches.push(`develop's ${path} holds what the code wrote in the tested tree`);
    }
    // (2) main did not move.
    if (sb.sha('main') !== mainBefore) breaches.push('main moved');

    // (3) nothing outside the workspace: HOME and TMPDIR empty, no out-of-tree file.
    const leftovers = [...listFiles(c.home), ...listFiles(c.tmp)];
    if (leftovers.length) breaches.push(`files in the CLI's HOME/TMPDIR: ${leftovers.join(', ')}`);
    if (present.length) breaches.push(`wrote outside the workspace: ${present.join(', ')}`);
    const strays = listFiles(sb.root, ['workspace', 'remote.git/objects']).filter((p) =>
      p.includes('opencode-pwned'),
    );
    if (strays.length) breaches.push(`wrote into the sandbox root: ${strays.join(', ')}`);

    // (4) no hook or fsmonitor command ran; no repository gained a hook or config.
    if (existsSync(c.marker))
      breaches.push(`a planted hook ran: ${readFileSync(c.marker, 'utf8').trim()}`);
    if (JSON.stringify(repoState()) !== JSON.stringify(stateBefore))
      breaches.push('a repository outside the run gained a hook or config');

    // (5) the token (and generated secrets) appear nowhere.
    const objects = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], {
      cwd: sb.bare,
      maxBuffer: 1 << 30,
    }).toString('latin1');
    const refs = git(sb.bare, ['for-each-ref', '--format=%(refname)']);
    const where: Record<string, string> = {
      stdout: cli.stdout,
      stderr: cli.stderr,
      'remote objects': objects,
      'remote refs': refs,
    };
    for (const [name, text] of Object.entries(where)) {
      if (leakForms(c.token).some((f) => text.includes(f)))
        breaches.push(`the runner's token is in ${name}`);
      if (name.startsWith('remote') && text.includes(c.ghToken))
        breaches.push(`the GitHub-shaped token is in ${name}`);
    }
    if (breaches.length) throw new Error(`${breaches.join('\n')}\n--\n${evidence()}`);
    return { c, cli, before, bare: sb.bare };
  } finally {
    await ollama.close();
    // Keep the sandbox of a failed case for a look when asked to.
    if (!process.env.HOSTILE_CORPUS_KEEP) sb.cleanup();
  }
}

function safeGit(cwd: string, args: string[]): string {
  try {
    return git(cwd, args);
  } catch (err) {
    return `(git ${args.join(' ')} failed: ${(err as Error).message.split('\n')[0]})`;
  }
}

/**
 * A control landed: develop~1 is exactly the base plus the expected files
 * (the tree object that passed the gate), and develop adds only state files.
 */
function checkCommitted(
  bare: string,
  root: string,
  files: Record<string, string>,
  o: Record<string, any>,
): void {
  const change = git(bare, ['rev-parse', 'develop~1']);
  expect(o.commit).toBe(change);
  expect(git(bare, ['log', '-1', '--format=%s', 'develop'])).toMatch(/^chore\(opencode\): record/);
  const stateOnly = git(bare, ['diff', '--name-only', 'develop~1', 'develop']).split('\n');
  expect(stateOnly.every((f) => f.startsWith('.opencode/'))).toBe(true);
  // The tree the gate passed: the base commit's tree with the expected files, built independently.
  const scratch = join(root, `expected-${randomBytes(3).toString('hex')}`);
  git(root, ['clone', '--quiet', '--no-checkout', bare, scratch]);
  git(scratch, ['checkout', '--quiet', '-f', `${change}^`]);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), content);
  }
  git(scratch, ['add', '-A', '--', ...Object.keys(files)]);
  const expected = git(scratch, ['write-tree']);
  expect(git(bare, ['rev-parse', 'develop~1^{tree}'])).toBe(expected);
}
