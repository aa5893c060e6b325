import type { ImprovementType } from '../../../crds/index.ts';
import type { Logger } from '../../../util/logger.ts';
import { diffLines } from '../../files/line-diff.ts';
import type { EditBlock, EditLimits } from '../../types.ts';
import type { RepoFile } from '../scan.ts';

export interface RuleInput {
  dir: string;
  /** Tracked hand-written text files (see scan.ts). */
  files: RepoFile[];
  /** Every tracked path, including the ones the scan skips. */
  tracked: string[];
  policy: EditLimits;
  testCommand?: string;
  logger: Logger;
}

export interface RuleFix {
  title: string;
  rationale: string;
  blocks: EditBlock[];
  /**
   * This fix's type when it is not the rule's declared one (lint-fix: its
   * fixes are `style` only when they change no token, else `refactoring`).
   */
  type?: ImprovementType;
}

export interface Rule {
  id: string;
  /** The type the rule declares; allowedTypes filters rules by it. */
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
export function fitToPolicy(changes: FileChange[], policy: EditLimits): FileChange[] {
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
