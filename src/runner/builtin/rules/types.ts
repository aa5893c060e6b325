import type { ImprovementType } from '../../../crds/index.ts';
import type { Logger } from '../../../util/logger.ts';
import { diffLines } from '../../edits/diff-stats.ts';
import type { EditBlock, EditPolicy } from '../../types.ts';
import type { RepoFile } from '../scan.ts';

export interface RuleInput {
  dir: string;
  /** Tracked hand-written text files (see scan.ts). */
  files: RepoFile[];
  /** Every tracked path, including the ones the scan skips. */
  tracked: string[];
  policy: EditPolicy;
  testCommand?: string;
  logger: Logger;
}

export interface RuleFix {
  title: string;
  rationale: string;
  blocks: EditBlock[];
}

export interface Rule {
  id: string;
  type: ImprovementType;
  run(input: RuleInput): Promise<RuleFix | undefined>;
}

export interface FileChange {
  path: string;
  before: string;
  after: string;
}

/** A whole-file block: SEARCH is the entire current content, so it matches exactly once. */
export function wholeFileBlock(c: FileChange): EditBlock {
  return { path: c.path, search: c.before, replace: c.after };
}

/** Keeps the first changes that fit maxFilesChanged and maxLinesChanged together. */
export function fitToPolicy(changes: FileChange[], policy: EditPolicy): FileChange[] {
  const out: FileChange[] = [];
  let lines = 0;
  for (const c of changes) {
    if (out.length >= policy.maxFilesChanged) break;
    const d = diffLines(c.before, c.after);
    if (lines + d.added + d.removed > policy.maxLinesChanged) continue;
    lines += d.added + d.removed;
    out.push(c);
  }
  return out;
}
