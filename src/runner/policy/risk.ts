// Risk-based routing (strategy autonomous): a score from 0 to 100 for a
// change that passed, from what it is (its type), how big it is, which paths
// it touches and what it did to the tests. Low risk goes to main, the middle
// through the work branch, high risk waits for a human. Every term is listed,
// so the pull request and the run's status say why.
import type { ImprovementRunStatus, ImprovementType } from '../../crds/index.ts';
import { codeLanguage, isDependencyFile, isTestFile } from '../files/kinds.ts';

export type Route = 'main' | 'work' | 'approval';
export type RiskStatus = NonNullable<ImprovementRunStatus['risk']>;

/** What a type of change can break, before its size and paths are looked at. */
export const TYPE_RISK: Record<ImprovementType, number> = {
  documentation: 0,
  style: 5,
  tests: 10,
  dependencies: 25,
  security: 25,
  refactoring: 30,
  bugfix: 35,
  performance: 35,
  feature: 50,
};

export interface RiskInput {
  type: ImprovementType;
  files: string[];
  linesChanged: number;
  maxLinesChanged: number;
  /** Undefined: the repository has no tests to gate the change. */
  executedBefore?: number;
  executedAfter?: number;
  coverageBefore?: number;
  coverageAfter?: number;
  hasTests: boolean;
}

export function riskOf(c: RiskInput): { score: number; reasons: string[] } {
  const terms: [string, number][] = [[`type ${c.type}`, TYPE_RISK[c.type]]];
  const size = Math.min(20, Math.round((20 * c.linesChanged) / Math.max(1, c.maxLinesChanged)));
  if (size) terms.push([`${c.linesChanged} of ${c.maxLinesChanged} lines allowed`, size]);
  if (c.files.length > 1)
    terms.push([`${c.files.length} files`, Math.min(10, 2 * (c.files.length - 1))]);
  // Documentation and style changes were held to comments and formatting (edits/scope.ts).
  const behaves = c.type !== 'documentation' && c.type !== 'style';
  const code = c.files.filter((f) => codeLanguage(f) !== undefined && !isTestFile(f));
  if (behaves && code.length)
    terms.push([`changes code (${code[0]}${code.length > 1 ? ', …' : ''})`, 10]);
  const deps = c.files.filter(isDependencyFile);
  if (deps.length) terms.push([`changes dependencies (${deps[0]})`, 15]);
  if (!c.hasTests) terms.push(['no tests gate it', 25]);
  else {
    const before = c.executedBefore;
    const after = c.executedAfter;
    if (before !== undefined && after !== undefined && after > before)
      terms.push([`adds tests (${before} → ${after})`, -10]);
    if (
      c.coverageBefore !== undefined &&
      c.coverageAfter !== undefined &&
      c.coverageAfter > c.coverageBefore
    )
      terms.push([`raises coverage (${c.coverageBefore}% → ${c.coverageAfter}%)`, -5]);
  }
  const score = Math.max(
    0,
    Math.min(
      100,
      terms.reduce((n, [, v]) => n + v, 0),
    ),
  );
  return { score, reasons: terms.map(([why, v]) => `${v >= 0 ? '+' : ''}${v} ${why}`) };
}

export function routeOf(score: number, t: { mainBelow: number; approvalFrom: number }): Route {
  if (score >= t.approvalFrom) return 'approval';
  return score < t.mainBelow ? 'main' : 'work';
}
