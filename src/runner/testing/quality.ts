// The quality record of a run: the extra checks' findings on the unchanged
// tree and, when a change was kept, on the committed tree. It feeds the run's
// status.quality, STATE.md's Quality Trend and opencode_quality_findings.
import type { ImprovementRunStatus } from '../../crds/index.ts';
import type { CheckRun } from './run-tests.ts';

export type Quality = NonNullable<ImprovementRunStatus['quality']>;

export function qualityOf(before: CheckRun[] | undefined, after?: CheckRun[]): Quality | undefined {
  if (!before?.length) return undefined;
  const checks = before.map((b) => {
    const a = after?.find((c) => c.name === b.name);
    return {
      name: b.name,
      command: b.command,
      findingsBefore: b.findings ?? 0,
      ...(a ? { findings: a.findings ?? 0 } : {}),
    };
  });
  const findingsBefore = checks.reduce((n, c) => n + c.findingsBefore, 0);
  return {
    findingsBefore,
    findings: after
      ? checks.reduce((n, c) => n + (c.findings ?? c.findingsBefore), 0)
      : findingsBefore,
    checks,
  };
}
