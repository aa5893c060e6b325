// The run's use of the test bench: which commands (spec or detected), the
// baseline on the unchanged branch, and a check of any tree. A baseline
// whose set-up fails, or whose test command does not exist, is the
// environment's fault, not the code's: the run ends with its own reason and
// never offers "fix the failing tests" for it.
import { basename, join } from 'node:path';
import { OperatorError } from '../../util/errors.ts';
import { secrets } from '../../util/logger.ts';
import { TestBench, type BenchResult } from '../sandbox/bench.ts';
import { describeIsolation } from '../sandbox/isolation.ts';
import { detectExtraChecks, detectSetupCommand, detectTestCommand } from '../testing/commands.ts';
import { commandMissing, type CheckRun, type TestRun } from '../testing/run-tests.ts';
import type { RunContext } from './context.ts';

/** Detects the commands and opens the bench; false when there is no test command. */
export async function openBench(ctx: RunContext): Promise<boolean> {
  if (ctx.bench) return true;
  const { spec } = ctx;
  ctx.testCommand ??= spec.tests.command ?? (await detectTestCommand(ctx.dir));
  ctx.report.testCommand = ctx.testCommand;
  if (!ctx.testCommand) return false;
  ctx.setupCommand = spec.tests.setupCommand ?? (await detectSetupCommand(ctx.dir));
  ctx.report.setupCommand = ctx.setupCommand;
  ctx.extraChecks = spec.tests.extraChecks ?? (await detectExtraChecks(ctx.dir));
  // In a Job the exported trees, homes and caches live in the folder the test
  // container mounts; the clone stays outside it.
  const shared = ctx.input.testBench;
  ctx.bench = new TestBench({
    git: ctx.git,
    clone: ctx.dir,
    root: shared ? join(shared, basename(ctx.dir)) : `${ctx.dir}.bench`,
    cacheDir: join(shared ?? ctx.input.workspace, '.cache'),
    executor: shared ? { kind: 'container', bench: shared } : { kind: 'local' },
    setupCommand: ctx.setupCommand,
    setupTimeoutSeconds: spec.tests.setupTimeoutSeconds,
    testCommand: ctx.testCommand,
    testTimeoutSeconds: spec.tests.timeoutSeconds,
    extraChecks: ctx.extraChecks,
    log: ctx.log,
    runTests: ctx.deps.runTests,
  });
  ctx.report.isolation = describeIsolation(await ctx.bench.isolationInUse());
  return true;
}

/** Runs set-up and tests on HEAD; throws SetupFailed / TestEnvironmentBroken. */
export async function baselineTests(ctx: RunContext): Promise<TestRun | undefined> {
  if (!(await openBench(ctx))) return undefined;
  const r = await ctx.bench!.check(await ctx.git.treeOf('HEAD'), 'baseline');
  const broken = environmentProblem(r, ctx);
  if (broken) throw broken;
  // A check that cannot run on the unchanged tree has no baseline to hold a change to.
  const usable = (r.checks ?? []).filter((c) => !commandMissing(c) && !c.timedOut);
  for (const c of r.checks ?? [])
    if (!usable.includes(c))
      ctx.log.warn(
        { check: c.name, command: c.command, exitCode: c.exitCode },
        'extra check cannot run here; it does not gate this run',
      );
  ctx.baselineChecks = usable;
  ctx.log.info(
    {
      command: ctx.testCommand,
      passed: r.tests!.passed,
      executed: r.tests!.executed,
      coverage: r.tests!.coverage,
    },
    'baseline tests',
  );
  return r.tests;
}

/** The tests of a candidate tree; a failed set-up counts as failed tests. */
export async function testTree(ctx: RunContext, tree: string, label: string): Promise<TestRun> {
  return (await checkTree(ctx, tree, label)).tests;
}

/** The tests and the extra checks (those that ran on the baseline) of a candidate tree. */
export async function checkTree(
  ctx: RunContext,
  tree: string,
  label: string,
): Promise<{ tests: TestRun; checks: CheckRun[] }> {
  await openBench(ctx);
  const r = await ctx.bench!.check(tree, label);
  const gating = new Set((ctx.baselineChecks ?? []).map((c) => c.name));
  const checks = (r.checks ?? []).filter((c) => gating.has(c.name));
  if (r.tests) return { tests: r.tests, checks };
  const s = r.setup!;
  return {
    tests: {
      ...s,
      passed: false,
      outputTail: `${s.outputTail}\n[opencode] the set-up step \`${s.command}\` failed with this change`,
    },
    checks,
  };
}

function lastLines(text: string, n = 12): string {
  return secrets.redact(text.trimEnd().split('\n').slice(-n).join('\n'));
}

function environmentProblem(r: BenchResult, ctx: RunContext): OperatorError | undefined {
  const oom = [r.setup, r.tests].find((t) => t?.oomKilled);
  if (oom)
    return new OperatorError(
      'TestsOOMKilled',
      `\`${oom.command}\` ran out of memory in the test container on the unchanged branch, before any change: raise spec.tests.resources.limits.memory. Output:\n${lastLines(oom.outputTail)}`,
    );
  if (r.setup && !r.setup.passed) {
    const how = r.setup.timedOut ? 'timed out' : `failed (exit ${r.setup.exitCode})`;
    const origin = ctx.spec.tests.setupCommand ? 'spec.tests.setupCommand' : 'detected';
    return new OperatorError(
      'SetupFailed',
      `set-up \`${r.setup.command}\` (${origin}) ${how} on the unchanged branch, before any change: fix the repository's install, or set spec.tests.setupCommand. Output:\n${lastLines(r.setup.outputTail)}`,
    );
  }
  if (r.tests && commandMissing(r.tests)) {
    return new OperatorError(
      'TestEnvironmentBroken',
      `the test command \`${r.tests.command}\` could not run (exit ${r.tests.exitCode}: a program it needs is not installed in the test environment). Install it through the set-up step (spec.tests.setupCommand), or run the tests where it is installed. Output:\n${lastLines(r.tests.outputTail)}`,
    );
  }
  return undefined;
}
