// The test gate: decides whether a change that was applied may be kept.
// A change is kept only when the tests pass; a `tests` improvement must also
// raise coverage when the repository reports coverage; and no change may
// delete test files or mark tests as skipped.
import type { ImprovementType } from '../../crds/index.ts';
import type { NoChangeReason } from '../outcome.ts';
import { isTestFile } from '../analysis/files.ts';
import type { TestRun } from './run-tests.ts';

export type GateVerdict =
  | { ok: true }
  | { ok: false; kind: 'failed'; message: string }
  | { ok: false; kind: 'rejected'; reason: NoChangeReason; message: string };

/** Patterns that skip or disable tests in common frameworks. */
const SKIP_PATTERNS = [
  /\b(?:it|test|describe)\.(?:skip|todo)\s*\(/,
  /\b(?:xit|xdescribe|xtest)\s*\(/,
  /\{\s*skip\s*:\s*true\s*\}/,
  /@pytest\.mark\.skip/,
  /@unittest\.skip/,
  /\bt\.Skip\(/,
  /#\[ignore\]/,
];

/** Checks a unified diff for deleted test files or newly added skips. */
export function checkTestIntegrity(diff: string): string | undefined {
  let file = '';
  for (const line of diff.split('\n')) {
    const header = /^diff --git a\/(.+) b\/(.+)$/.exec(line);
    if (header) file = header[2] ?? '';
    if (line === '+++ /dev/null' && isTestFile(file)) return `the change deletes test file ${file}`;
    if (line.startsWith('+') && !line.startsWith('+++') && isTestFile(file))
      for (const re of SKIP_PATTERNS)
        if (re.test(line)) return `the change skips a test in ${file}: ${line.slice(1).trim()}`;
  }
  return undefined;
}

export function gate(input: {
  type: ImprovementType;
  before: TestRun | undefined;
  after: TestRun;
  diff: string;
}): GateVerdict {
  const integrity = checkTestIntegrity(input.diff);
  if (integrity) return { ok: false, kind: 'rejected', reason: 'EditRejected', message: integrity };
  if (!input.after.passed)
    return {
      ok: false,
      kind: 'failed',
      message: input.after.timedOut
        ? 'tests timed out'
        : `tests failed (exit ${input.after.exitCode})`,
    };
  const b = input.before?.coverage;
  const a = input.after.coverage;
  if (input.type === 'tests' && b !== undefined && (a === undefined || a <= b))
    return {
      ok: false,
      kind: 'rejected',
      reason: 'CoverageNotRaised',
      message: `coverage did not rise (${b}% -> ${a ?? 'n/a'}%)`,
    };
  return { ok: true };
}
