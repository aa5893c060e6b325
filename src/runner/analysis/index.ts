// Analysis: everything the run learns about the repository before it
// decides, turned into ranked Candidates.
import type { Forge } from '../../forge/types.ts';
import type { TestRun } from '../testing/run-tests.ts';
import type { Candidate } from '../types.ts';
import type { CoverageReport } from './coverage.ts';
import { trackedFiles } from './files.ts';
import {
  failingTestCandidate,
  issueCandidates,
  qualityCandidates,
  testCandidates,
  type IssueLabels,
} from './findings.ts';
import { rankCandidates } from './rank.ts';
import { advisoryCandidates } from '../security/candidates.ts';
import type { AdvisoryFinding } from '../security/osv.ts';
import { buildRepoMap } from './repo-map.ts';
import { scanTodos, todoCandidates } from './todos.ts';

export { readCoverage, type CoverageReport } from './coverage.ts';
export { rankCandidates, classifyIssue } from './rank.ts';
export { buildRepoMap } from './repo-map.ts';
export type { IssueLabels } from './findings.ts';

export interface AnalysisInput {
  dir: string;
  forge: Forge;
  labels: IssueLabels;
  /** The baseline test run on the unchanged work branch (undefined: no test command). */
  baseline?: TestRun;
  repoMapTokens: number;
  /** Paths the analysis must not propose (state dir, protected paths) — matched by the caller. */
  exclude?: (path: string) => boolean;
  /** The dependency scan's findings (security/osv.ts). */
  advisories?: AdvisoryFinding[];
}

export interface Analysis {
  candidates: Candidate[];
  coverage?: CoverageReport;
  files: string[];
  repoMap: string;
  issuesRead: number;
}

export async function analyse(input: AnalysisInput): Promise<Analysis> {
  const files = (await trackedFiles(input.dir)).filter((f) => !input.exclude?.(f));
  const issues = input.forge.capabilities.issues
    ? await input.forge.listOpenIssues([input.labels.priority, input.labels.bug])
    : [];
  const coverage = input.baseline?.coverageReport;
  const advisories = (input.advisories ?? []).filter((f) => !input.exclude?.(f.source));
  const candidates = rankCandidates([
    ...advisoryCandidates(advisories),
    ...issueCandidates(issues, input.labels),
    ...(input.baseline ? failingTestCandidate(input.baseline) : []),
    // Coverage paths are under the directory the tests ran in (an export).
    ...testCandidates(files, coverage, input.baseline?.dir ?? input.dir),
    ...(await qualityCandidates(input.dir, files)),
    ...todoCandidates(await scanTodos(input.dir, files)),
  ]);
  const focus = candidates.slice(0, 5).flatMap((c) => c.files);
  const repoMap = await buildRepoMap(input.dir, files, input.repoMapTokens, focus);
  return { candidates, coverage, files, repoMap, issuesRead: issues.length };
}
