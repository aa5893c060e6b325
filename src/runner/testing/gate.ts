// The test gate: decides whether a change whose tests ran may be kept. The
// static rules on the change itself (protected files, scope, append-only
// tests, content limits) ran before the tests, in edits/apply.ts. Here:
//  - the tests pass;
//  - no extra check (lint, type check) reports more findings than on the
//    unchanged tree, and none that passed there fails;
//  - they executed at least one test, and no fewer than the baseline did
//    (a suite that quietly runs less is weaker, whatever its exit code);
//  - a `tests` improvement raises coverage (the repository's own report, or
//    the runner's measurement for Node and Go); without a figure that cannot
//    be shown, and the change is not kept.
import type { ImprovementType } from '../../crds/index.ts';
import type { NoChangeReason } from '../outcome.ts';
import type { CheckRun, TestRun } from './run-tests.ts';

export type GateVerdict =
  | { ok: true }
  | {
      ok: false;
      kind: 'failed';
      message: string;
      /** the extra check that got worse */ check?: string;
    }
  | { ok: false; kind: 'rejected'; reason: NoChangeReason; message: string };

export function gate(input: {
  type: ImprovementType;
  before: TestRun | undefined;
  after: TestRun;
  /** The extra checks on the unchanged tree, and on the change (matched by name). */
  checksBefore?: CheckRun[];
  checksAfter?: CheckRun[];
}): GateVerdict {
  const { before, after } = input;
  if (!after.passed)
    return {
      ok: false,
      kind: 'failed',
      message: after.timedOut
        ? 'tests timed out'
        : after.oomKilled
          ? `tests ran out of memory (exit ${after.exitCode}, killed by the OOM killer)`
          : `tests failed (exit ${after.exitCode})`,
    };
  const worse = checksWorse(input.checksBefore ?? [], input.checksAfter ?? []);
  if (worse) return { ok: false, kind: 'failed', ...worse };
  if (after.executed === 0)
    return {
      ok: false,
      kind: 'rejected',
      reason: 'TestsWeakened',
      message: 'the tests passed but executed no test at all',
    };
  if (before?.executed !== undefined) {
    if (after.executed === undefined)
      return {
        ok: false,
        kind: 'rejected',
        reason: 'TestsWeakened',
        message: `the baseline reported ${before.executed} executed tests; with the change the output no longer reports a count`,
      };
    if (after.executed < before.executed)
      return {
        ok: false,
        kind: 'rejected',
        reason: 'TestsWeakened',
        message: `the change runs fewer tests (${before.executed} -> ${after.executed})`,
      };
  }
  if (input.type === 'tests') {
    const b = before?.coverage;
    const a = after.coverage;
    // The figure comes from code the change controls: it counts only when it
    // comes from the same kind of report as the baseline's.
    const from = (t: TestRun | undefined) => t?.coverageReport?.source;
    if (b !== undefined && a !== undefined && from(before) !== from(after))
      return {
        ok: false,
        kind: 'rejected',
        reason: 'CoverageNotRaised',
        message: `coverage came from a different report with the change (${from(before)} -> ${from(after)})`,
      };
    if (b === undefined || a === undefined || a <= b)
      return {
        ok: false,
        kind: 'rejected',
        reason: 'CoverageNotRaised',
        message:
          b === undefined
            ? 'a tests improvement must raise coverage, and none could be read or measured: configure the test command to write a coverage report (lcov, istanbul summary, cobertura, Go cover profile); plain Node and Go are measured without one'
            : `coverage did not rise (${b}% -> ${a ?? 'n/a'}%)`,
      };
  }
  return { ok: true };
}

/** The first extra check that got worse, said for a human and for the repair round; undefined: none. */
export function checksWorse(
  before: CheckRun[],
  after: CheckRun[],
): { check: string; message: string } | undefined {
  for (const a of after) {
    const b = before.find((c) => c.name === a.name);
    if (!b) continue;
    if ((a.findings ?? 0) > (b.findings ?? 0))
      return {
        check: a.name,
        message: `the change raised the findings of ${a.name} (\`${a.command}\`) from ${b.findings ?? 0} to ${a.findings}`,
      };
    if (b.passed && !a.passed)
      return {
        check: a.name,
        message: `${a.name} (\`${a.command}\`) passed on the unchanged tree and fails with the change (exit ${a.exitCode})`,
      };
  }
  return undefined;
}
