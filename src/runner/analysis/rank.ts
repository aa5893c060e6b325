// The decision matrix as code: P0 security / priority-labelled issue,
// P1 failing tests / bug-labelled issue / performance, P2 missing tests /
// low coverage, P3 docs / style / TODOs. Within a priority, issues (a human
// asked) come before findings, then the older issue number, then the id, so
// the order is deterministic.
import type { ImprovementType, Priority } from '../../crds/index.ts';
import type { Candidate } from '../types.ts';

const PRIORITY_ORDER: Record<Priority, number> = { P0: 0, P1: 1, P2: 2, P3: 3 };

/** Secondary order inside a priority: more pressing kinds first. */
const TYPE_ORDER: Record<ImprovementType, number> = {
  security: 0,
  bugfix: 1,
  performance: 2,
  tests: 3,
  dependencies: 4,
  refactoring: 5,
  feature: 6,
  documentation: 7,
  style: 8,
};

export function rankCandidates(candidates: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  const unique = candidates.filter((c) => !seen.has(c.id) && seen.add(c.id));
  return unique.sort(
    (a, b) =>
      PRIORITY_ORDER[a.priority] - PRIORITY_ORDER[b.priority] ||
      Number(b.issue !== undefined) - Number(a.issue !== undefined) ||
      (a.issue ?? 0) - (b.issue ?? 0) ||
      TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
      a.id.localeCompare(b.id),
  );
}

/** Guesses an issue's improvement type from its words; bugfix when nothing fits. */
export function classifyIssue(title: string, body: string): ImprovementType {
  const t = `${title}\n${body}`.toLowerCase();
  if (/\b(security|vulnerab|cve-|xss|injection|leak of secret|exploit)/.test(t)) return 'security';
  if (/\b(perf|performance|slow|latency|bottleneck|memory usage)/.test(t)) return 'performance';
  if (/\b(bug|fix|crash|broken|error|fails?|wrong|leak)/.test(t)) return 'bugfix';
  if (/\b(tests?|coverage)\b/.test(t)) return 'tests';
  if (/\b(docs?|document\w*|readme|comments?)\b/.test(t)) return 'documentation';
  if (/\b(refactor|clean ?up|simplify|rename)/.test(t)) return 'refactoring';
  if (/\b(upgrade|dependenc|bump)/.test(t)) return 'dependencies';
  if (/\b(style|format|lint)/.test(t)) return 'style';
  if (/\b(add|feature|support|implement)/.test(t)) return 'feature';
  return 'bugfix';
}
