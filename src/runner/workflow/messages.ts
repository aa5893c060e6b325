// Text the run writes: commit messages, PR titles and bodies, branch slugs.
import type { TestRun } from '../testing/run-tests.ts';
import type { RiskStatus } from '../policy/risk.ts';
import type { Proposal } from '../types.ts';

const COMMIT_TYPE: Record<string, string> = {
  documentation: 'docs',
  style: 'style',
  refactoring: 'refactor',
  tests: 'test',
  bugfix: 'fix',
  performance: 'perf',
  security: 'fix',
  dependencies: 'build',
  feature: 'feat',
};

/** The conventional-commit scope: the changed files' common directory, or the single file's stem. */
export function commitScope(files: string[]): string {
  if (!files.length) return 'repo';
  if (files.length === 1) {
    const f = files[0] ?? '';
    return (f.split('/').pop() ?? f).replace(/\.[^.]+$/, '') || 'repo';
  }
  const parts = files.map((f) => f.split('/').slice(0, -1));
  const common: string[] = [];
  for (let i = 0; ; i++) {
    const seg = parts[0]?.[i];
    if (seg === undefined || !parts.every((p) => p[i] === seg)) break;
    common.push(seg);
  }
  return common.pop() ?? 'repo';
}

const clean = (s: string) =>
  s
    .replace(/\s+/g, ' ')
    .replace(/[\r\n]/g, ' ')
    .trim();

export function commitMessage(p: Proposal, files: string[]): string {
  const title = clean(p.title).replace(/\.$/, '');
  const subject = `${COMMIT_TYPE[p.type] ?? 'chore'}(${commitScope(files)}): ${title}`.slice(
    0,
    100,
  );
  const body = [clean(p.rationale), p.candidate.issue ? `Refs #${p.candidate.issue}` : '']
    .filter(Boolean)
    .join('\n\n');
  return body ? `${subject}\n\n${body}` : subject;
}

export function slugify(text: string, max = 40): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || 'improvement'
  );
}

export function testSummary(t: TestRun | undefined, before?: number): string {
  if (!t) return 'No test command was found; the change was not tested.';
  const cov =
    t.coverage !== undefined
      ? ` Coverage: ${before !== undefined ? `${before}% → ` : ''}${t.coverage}%.`
      : '';
  return `\`${t.command}\` ${t.passed ? 'passed' : 'failed'} in ${t.durationSeconds}s.${cov}`;
}

const ROUTE_TEXT: Record<RiskStatus['route'], string> = {
  main: 'low risk, so it goes to main (policy.risk.mainBelow).',
  work: 'it goes to the work branch first (policy.risk.mainBelow).',
  approval: 'high risk, so it waits for a human to approve it (policy.risk.approvalFrom).',
};

export function pullRequestBody(input: {
  proposal: Proposal;
  files: string[];
  linesChanged: number;
  tests: TestRun | undefined;
  coverageBefore?: number;
  commit: string;
  runName: string;
  /** Strategy autonomous: the change's risk and where it was sent. */
  risk?: RiskStatus;
}): string {
  const { proposal: p } = input;
  return [
    `## What changed`,
    `${p.title} (${p.type}, ${p.priority}), commit ${input.commit.slice(0, 12)}.`,
    '',
    ...input.files.map((f) => `- \`${f}\``),
    '',
    `${input.files.length} file(s), ${input.linesChanged} line(s) changed.`,
    '',
    `## Why`,
    p.rationale || p.candidate.detail.slice(0, 1000),
    ...(p.candidate.issue ? ['', `Closes #${p.candidate.issue}`] : []),
    '',
    `## Test result`,
    testSummary(input.tests, input.coverageBefore),
    '',
    ...(input.risk
      ? [
          `## Risk`,
          `Score ${input.risk.score} of 100: ${ROUTE_TEXT[input.risk.route]}`,
          '',
          ...input.risk.reasons.map((r) => `- ${r}`),
          '',
        ]
      : []),
    `_Opened by the OpenCode runner (run ${input.runName})._`,
  ].join('\n');
}
