// The fix an advisory names, made by the package manager itself: npm or the
// go command upgrades the one package to the smallest version that fixes it
// and rewrites the lockfile. It runs on an export of HEAD in the test bench
// (the sandbox, with none of the runner's secrets, scripts off); what it
// leaves in the dependency files comes back as ordinary edit blocks, checked
// by the same strict applier as any other change and gated by the tests.
import { dirname, posix } from 'node:path';
import { gte as semverGte, valid as semverValid } from 'semver';
import { readRepoFileForPrompt } from '../improver/untrusted.ts';
import { DEFAULT_MAX_FILE_BYTES } from '../edits/limits.ts';
import type { Candidate, EditBlock, ProposeResult } from '../types.ts';
import { shellQuote } from '../../util/shell.ts';
import type { RunContext } from '../workflow/context.ts';
import { openBench } from '../workflow/test-step.ts';
import type { AdvisoryFix } from './candidates.ts';

// Names and versions come from a lockfile the repository wrote: checked
// before they reach a command line (and quoted there as well).
const NPM_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const GO_MODULE = /^[A-Za-z0-9][A-Za-z0-9._~/-]*$/;
const NPM_SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
const SAVE_FLAG: Record<(typeof NPM_SECTIONS)[number], string> = {
  dependencies: '--save-prod',
  devDependencies: '--save-dev',
  optionalDependencies: '--save-optional',
};
const NPM_QUIET = '--package-lock-only --ignore-scripts --no-audit --no-fund';

interface Plan {
  /** The shell command, run in the tree's root. */
  command: string;
  /** Repository-relative files the command may rewrite. */
  files: string[];
  /** How it did: the version the lockfile now pins, read from the new files. */
  reached: (files: Map<string, string | null>) => string | undefined;
}

const none = (message: string): ProposeResult => ({ kind: 'none', reason: 'NothingToDo', message });

/** Proposes the advisory's fix for `c`, or says why there is none. */
export async function proposeAdvisoryFix(ctx: RunContext, c: Candidate): Promise<ProposeResult> {
  const a = c.advisory!;
  if (!(await openBench(ctx)))
    return none(`no test command: ${a.name} is not upgraded without tests to gate it`);
  let plan: Plan | string;
  try {
    plan = a.manager === 'npm' ? await npmPlan(ctx, a) : goPlan(a);
  } catch (err) {
    plan = `cannot read ${a.source}: ${(err as Error).message}`;
  }
  if (typeof plan === 'string') return none(plan);
  const maxBytes = ctx.spec.policy.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const tree = await ctx.git.treeOf('HEAD');
  const { run, files } = await ctx.bench!.transform(
    tree,
    'advisory-fix',
    plan.command,
    plan.files,
    ctx.spec.tests.setupTimeoutSeconds,
    maxBytes,
  );
  if (!run.passed)
    return none(
      `\`${plan.command}\` ${run.timedOut ? 'timed out' : `failed (exit ${run.exitCode})`}: ${run.outputTail.trim().split('\n').slice(-5).join('\n')}`,
    );
  const reached = plan.reached(files);
  if (!reached || !atLeast(reached, a.to))
    return none(
      `\`${plan.command}\` left ${a.name} at ${reached ?? 'an unknown version'}, not ${a.to} or later`,
    );
  const blocks: EditBlock[] = [];
  for (const [path, after] of files) {
    const before = await readRepoFileForPrompt(ctx.dir, path).catch(() => null);
    if (after === null || after === before) continue;
    blocks.push({ path, search: before ?? '', replace: after });
  }
  if (!blocks.length) return none(`\`${plan.command}\` changed nothing`);
  ctx.log.info({ package: a.name, from: a.from, to: reached, ids: a.ids }, 'advisory fix made');
  return {
    kind: 'proposal',
    proposal: {
      candidate: c,
      type: 'security',
      priority: 'P0',
      title: `upgrade ${a.name} to ${reached} (${a.ids.join(', ')})`.slice(0, 256),
      rationale: `${c.detail} Made by \`${plan.command}\`.`,
      blocks,
    },
  };
}

async function npmPlan(ctx: RunContext, a: AdvisoryFix): Promise<Plan | string> {
  if (!NPM_NAME.test(a.name) || !semverValid(a.to))
    return `not an npm package and version: ${a.name}@${a.to}`;
  const dir = dirname(a.source);
  const at = (f: string) => (dir === '.' ? f : posix.join(dir, f));
  const pkg = JSON.parse(await readRepoFileForPrompt(ctx.dir, at('package.json'))) as Record<
    string,
    Record<string, string> | undefined
  >;
  const section = NPM_SECTIONS.find((s) => typeof pkg[s]?.[a.name] === 'string');
  const cd = dir === '.' ? '' : `cd ${shellQuote(dir)} && `;
  // A direct dependency gets the fixed version as its new lower bound, in the
  // declared style (exact stays exact); an indirect one moves only as far as
  // the ranges its dependents declare allow.
  const command = section
    ? `${cd}npm install ${NPM_QUIET} ${SAVE_FLAG[section]}${semverValid(pkg[section]![a.name]!) ? ' --save-exact' : ''} ${shellQuote(`${a.name}@${a.to}`)}`
    : `${cd}npm update ${NPM_QUIET} ${shellQuote(a.name)}`;
  const lock = at('package-lock.json');
  return {
    command,
    files: [at('package.json'), lock],
    reached: (files) => {
      try {
        const l = JSON.parse(files.get(lock) ?? '') as {
          packages?: Record<string, { version?: string }>;
        };
        return l.packages?.[`node_modules/${a.name}`]?.version;
      } catch {
        return undefined;
      }
    },
  };
}

function goPlan(a: AdvisoryFix): Plan | string {
  if (!GO_MODULE.test(a.name) || !semverValid(a.to.replace(/^v/, '')))
    return `not a Go module and version: ${a.name}@${a.to}`;
  const dir = dirname(a.source);
  const at = (f: string) => (dir === '.' ? f : posix.join(dir, f));
  const cd = dir === '.' ? '' : `cd ${shellQuote(dir)} && `;
  const gomod = at('go.mod');
  const quoted = a.name.replace(/[.+]/g, '\\$&');
  return {
    // GOTOOLCHAIN=local: a go.mod must not make the go command fetch another toolchain.
    command: `${cd}GOTOOLCHAIN=local go get ${shellQuote(`${a.name}@${a.to}`)} && GOTOOLCHAIN=local go mod tidy`,
    files: [gomod, at('go.sum')],
    reached: (files) =>
      new RegExp(`^\\s*(?:require\\s+)?${quoted}\\s+(v\\S+)`, 'm').exec(
        files.get(gomod) ?? '',
      )?.[1],
  };
}

function atLeast(version: string, fixed: string): boolean {
  const v = semverValid(version.replace(/^v/, ''));
  const f = semverValid(fixed.replace(/^v/, ''));
  return !!v && !!f && semverGte(v, f);
}
