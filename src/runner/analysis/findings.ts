// Deterministic candidates from forge issues, the baseline test run,
// coverage and the source files themselves.
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { ForgeIssue } from '../../forge/types.ts';
import type { TestRun } from '../testing/run-tests.ts';
import type { Candidate } from '../types.ts';
import { isTestFile } from '../files/kinds.ts';
import type { CoverageReport } from './coverage.ts';
import { classifyIssue } from './rank.ts';

export interface IssueLabels {
  priority: string;
  bug: string;
  question: string;
}

/** Priority-labelled issues are P0, bug-labelled P1; question-labelled issues are never candidates. */
export function issueCandidates(issues: ForgeIssue[], labels: IssueLabels): Candidate[] {
  const out: Candidate[] = [];
  for (const issue of issues) {
    if (issue.labels.includes(labels.question)) continue;
    const isPriority = issue.labels.includes(labels.priority);
    const isBug = issue.labels.includes(labels.bug);
    if (!isPriority && !isBug) continue;
    const type = isPriority
      ? classifyIssue(issue.title, issue.body)
      : classifyIssue(issue.title, issue.body) === 'security'
        ? 'security'
        : 'bugfix';
    out.push({
      id: `issue:${issue.number}`,
      type,
      priority: isPriority || type === 'security' ? 'P0' : 'P1',
      title: issue.title,
      detail: `Issue #${issue.number} (${issue.url}):\n${issue.body.slice(0, 4000)}`,
      files: mentionedPaths(`${issue.title}\n${issue.body}`),
      issue: issue.number,
    });
  }
  return out;
}

function mentionedPaths(text: string): string[] {
  const paths =
    text.match(/\b[\w./-]+\/[\w.-]+\.[a-z]{1,5}\b|\b[\w-]+\.(?:ts|js|py|go|rs|md)\b/g) ?? [];
  return [...new Set(paths)].slice(0, 10);
}

export function failingTestCandidate(run: TestRun): Candidate[] {
  if (run.passed) return [];
  return [
    {
      id: 'failing-tests',
      type: 'bugfix',
      priority: 'P1',
      title: run.timedOut ? 'Make the test suite finish in time' : 'Fix the failing tests',
      detail: `\`${run.command}\` ${run.timedOut ? 'timed out' : `exited ${run.exitCode}`}:\n${run.outputTail}`,
      files: [],
    },
  ];
}

export const LOW_COVERAGE_PERCENT = 80;

/** Files below the coverage bar, and source files with no test file at all. */
export function testCandidates(
  files: string[],
  coverage: CoverageReport | undefined,
  root: string,
): Candidate[] {
  const out: Candidate[] = [];
  for (const f of coverage?.files ?? []) {
    if (f.percent >= LOW_COVERAGE_PERCENT) continue;
    const path = f.path.startsWith(root) ? f.path.slice(root.length).replace(/^\/+/, '') : f.path;
    out.push({
      id: `coverage:${path}`,
      type: 'tests',
      priority: 'P2',
      title: `Raise test coverage of ${path} (${Math.round(f.percent)}%)`,
      detail: `${path} has ${f.percent.toFixed(1)}% line coverage.`,
      files: [path],
    });
  }
  const testNames = new Set(files.filter(isTestFile).map((t) => stem(t)));
  for (const f of files) {
    if (
      isTestFile(f) ||
      !/\.(ts|js|mjs|cjs|py|go|rs)$/.test(f) ||
      /(^|\/)(index|main|setup)\.|config/.test(f)
    )
      continue;
    if (testNames.has(stem(f))) continue;
    out.push({
      id: `missing-tests:${f}`,
      type: 'tests',
      priority: 'P2',
      title: `Add tests for ${f}`,
      detail: `No test file covers ${f}.`,
      files: [f],
    });
  }
  return out;
}

const stem = (p: string) =>
  basename(p, extname(p))
    .replace(/[._-](test|spec)$/i, '')
    .replace(/^test_/, '')
    .replace(/_test$/, '');

const EXPORTED_FN =
  /^export\s+(?:async\s+)?function\s+(\w+)|^(?:async\s+)?function\s+(\w+)|^def\s+(\w+)|^func\s+(\w+)/;

/** P3: a missing README, undocumented top-level functions, trailing whitespace. */
export async function qualityCandidates(dir: string, files: string[]): Promise<Candidate[]> {
  const out: Candidate[] = [];
  if (!files.some((f) => /^readme(\.|$)/i.test(f)))
    out.push({
      id: 'docs:README',
      type: 'documentation',
      priority: 'P3',
      title: 'Add a README',
      detail: 'The repository has no README.',
      files: [],
    });
  for (const f of files) {
    if (isTestFile(f) || !/\.(ts|js|mjs|cjs|py|go)$/.test(f)) continue;
    const text = await readFile(join(dir, f), 'utf8').catch(() => '');
    const lines = text.split('\n');
    const undocumented: string[] = [];
    lines.forEach((line, i) => {
      const m = EXPORTED_FN.exec(line);
      const name = m && (m[1] ?? m[2] ?? m[3] ?? m[4]);
      if (!name) return;
      const prev = (lines[i - 1] ?? '').trim();
      const next = (lines[i + 1] ?? '').trim();
      if (!/^(\*\/|\/\/|#)/.test(prev) && !/^("""|''')/.test(next)) undocumented.push(name);
    });
    if (undocumented.length)
      out.push({
        id: `docs:${f}`,
        type: 'documentation',
        priority: 'P3',
        title: `Document ${undocumented.slice(0, 3).join(', ')} in ${f}`,
        detail: `Functions without a doc comment in ${f}: ${undocumented.join(', ')}`,
        files: [f],
      });
    const trailing = lines.filter((l) => /[ \t]+$/.test(l)).length;
    if (trailing)
      out.push({
        id: `style:${f}`,
        type: 'style',
        priority: 'P3',
        title: `Remove trailing whitespace in ${f}`,
        detail: `${trailing} lines end in whitespace.`,
        files: [f],
      });
  }
  return out;
}
