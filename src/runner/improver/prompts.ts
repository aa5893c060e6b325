// Every prompt the LLM improver sends. Kept here, as data-like functions, so
// they can be read and reviewed in one place.
import type { Candidate, EditBlock, EditPolicy } from '../types.ts';
import { formatEditBlocks } from '../edits/parse.ts';

const DECISION_MATRIX = `Decision matrix (lower number wins):
- P0 critical: security vulnerability, issue labelled opencode-priority
- P1 high impact: failing tests, issue labelled opencode-bug, performance bottleneck
- P2 quality: missing tests, low coverage
- P3 nice to have: documentation, code style`;

function rules(policy: EditPolicy): string {
  const prot = policy.protectedPaths.length ? policy.protectedPaths.join(', ') : '(none)';
  return `Rules:
- Make one small, focused change that tests can verify. Stay within the chosen candidate.
- Never delete, skip, disable or weaken tests (no .skip, .only, xit, @pytest.mark.skip, t.Skip, #[ignore], @Disabled).
- Change at most ${policy.maxFilesChanged} files and ${policy.maxLinesChanged} lines in total.
- Never touch .git/ or these protected paths: ${prot}.
- Use repository-relative paths with forward slashes.`;
}

export function planSystemPrompt(policy: EditPolicy): string {
  return `You are an experienced software engineer improving a repository one safe step at a time.
Pick exactly one candidate from the list and plan the change. Prefer the highest priority
candidate you can complete well within the limits.

${DECISION_MATRIX}

${rules(policy)}

Answer with JSON only, matching the given schema: candidateId (one of the listed ids),
title (a short conventional-commit style summary), rationale (why, in two sentences),
files (the repository paths you will read or change).`;
}

export function formatCandidates(candidates: Candidate[], detailChars: number): string {
  return candidates
    .map((c) => {
      const detail =
        c.detail.length > detailChars ? `${c.detail.slice(0, detailChars)}…` : c.detail;
      const files = c.files.length ? `\n  files: ${c.files.join(', ')}` : '';
      return `- id: ${c.id}\n  priority: ${c.priority}, type: ${c.type}\n  title: ${c.title}${files}\n  detail: ${detail.replace(/\n/g, '\n    ')}`;
    })
    .join('\n');
}

export interface PlanPromptInput {
  candidates: string;
  repoMap: string;
  stateSummary: string;
  testCommand?: string;
  coveragePercent?: number;
}

export function planUserPrompt(i: PlanPromptInput): string {
  const facts = [
    i.testCommand ? `Test command: ${i.testCommand}` : undefined,
    i.coveragePercent !== undefined ? `Coverage: ${i.coveragePercent.toFixed(1)}%` : undefined,
  ].filter(Boolean);
  return `Candidates (ranked):
${i.candidates}

${facts.join('\n')}

State of the improvement effort:
${i.stateSummary || '(no state yet)'}

Repository map:
${i.repoMap || '(empty)'}`;
}

export function editSystemPrompt(policy: EditPolicy): string {
  return `You are an experienced software engineer. Write the planned change as SEARCH/REPLACE blocks.

Format, for every edit:
path/of/the/file.ext
\`\`\`
<<<<<<< SEARCH
exact lines copied from the current file
=======
the new lines
>>>>>>> REPLACE
\`\`\`

- The SEARCH section must copy the existing lines exactly, including indentation, and must
  match only one place in the file: include enough surrounding lines to make it unique.
- To create a new file, leave the SEARCH section empty.
- Keep blocks small: only the lines that change plus a little context.
- Do not wrap the answer in JSON. Write only the blocks, with at most a one-line note before them.

${DECISION_MATRIX}

${rules(policy)}`;
}

export interface FileExcerpt {
  path: string;
  content?: string;
  note?: string;
}

export function formatFiles(files: FileExcerpt[]): string {
  return files
    .map((f) =>
      f.content !== undefined
        ? `${f.path}\n\`\`\`\n${f.content}${f.content.endsWith('\n') ? '' : '\n'}\`\`\``
        : `${f.path}: ${f.note}`,
    )
    .join('\n\n');
}

export function editUserPrompt(i: {
  candidate: string;
  title: string;
  rationale: string;
  files: string;
  testCommand?: string;
}): string {
  return `Task: ${i.title}
Why: ${i.rationale}

Candidate:
${i.candidate}
${i.testCommand ? `\nThe change must keep \`${i.testCommand}\` passing.\n` : ''}
Current files:
${i.files || '(none)'}

Write the SEARCH/REPLACE blocks now.`;
}

export function repairUserPrompt(i: {
  title: string;
  previous: EditBlock[];
  testOutputTail: string;
  files: string;
  /** Whether the work tree still holds the previous edits (the workflow may have reverted them). */
  previousApplied: boolean;
}): string {
  const state = i.previousApplied
    ? 'The files below are shown as they are now, with your previous edits applied. Write new\nSEARCH/REPLACE blocks against these current contents to fix the failure.'
    : 'Your previous edits were reverted: the files below are the originals. Write the complete,\ncorrected change as SEARCH/REPLACE blocks against these contents.';
  return `Your change "${i.title}" made the tests fail. ${state}
Do not delete or skip tests to make them pass.

Your previous edits:
${formatEditBlocks(i.previous)}

Failing test output (tail):
\`\`\`
${i.testOutputTail}
\`\`\`

Current files:
${i.files || '(none)'}

Write the SEARCH/REPLACE blocks now.`;
}
