// Every prompt the LLM improver sends. Kept here, as data-like functions, so
// they can be read and reviewed in one place. Text that someone other than the
// operator's owner can write (issues, test output, files, the repo map, the
// state summary) goes only into the data sections of a DataFence
// (./untrusted.ts), and the system prompts say what those sections are.
import type { Candidate, EditBlock, EditLimits } from '../types.ts';
import { formatEditBlocks } from '../edits/parse.ts';
import { rendersHtmlComments, type DataFence } from './untrusted.ts';

const DECISION_MATRIX = `Decision matrix (lower number wins):
- P0 critical: security vulnerability, issue labelled opencode-priority
- P1 high impact: failing tests, issue labelled opencode-bug, performance bottleneck
- P2 quality: missing tests, low coverage
- P3 nice to have: documentation, code style`;

function rules(policy: EditLimits): string {
  const prot = policy.protectedPaths.length ? policy.protectedPaths.join(', ') : '(none)';
  return `Rules:
- Make one small, focused change that tests can verify. Stay within the chosen candidate.
- Never delete, skip, disable or weaken tests (no .skip, .only, xit, @pytest.mark.skip, t.Skip, #[ignore], @Disabled).
- Change at most ${policy.maxFilesChanged} files and ${policy.maxLinesChanged} lines in total.
- Never touch .git/ or these protected paths: ${prot}.
- Use repository-relative paths with forward slashes.`;
}

export function planSystemPrompt(policy: EditLimits, fence: DataFence): string {
  return `You are an experienced software engineer improving a repository one safe step at a time.
Pick exactly one candidate from the list and plan the change. Prefer the highest priority
candidate you can complete well within the limits.

${DECISION_MATRIX}

${rules(policy)}

${fence.rule}

Answer with JSON only, matching the given schema: candidateId (one of the listed ids),
title (a short conventional-commit style summary), rationale (why, in two sentences),
files (the repository paths you will read or change).`;
}

/**
 * The candidates: id, priority and type (the runner's own words) outside, and
 * each candidate's title, files and evidence (issue text, test output, file
 * names) in its own data section, `detailChars` of evidence at most.
 */
export function formatCandidates(
  candidates: Candidate[],
  detailChars: number,
  fence: DataFence,
): string {
  return candidates
    .map((c) => {
      const id = fence.inline(c.id, 200);
      const evidence = [
        `title: ${fence.inline(c.title, 200)}`,
        c.files.length ? `files: ${c.files.map((f) => fence.inline(f, 200)).join(', ')}` : '',
        c.detail ? `detail:\n${fence.clean(c.detail, { maxChars: detailChars })}` : '',
      ]
        .filter(Boolean)
        .join('\n');
      return `- id: ${id}\n  priority: ${c.priority}, type: ${c.type}\n${fence.wrap(`candidate ${id}`, evidence)}`;
    })
    .join('\n');
}

export interface PlanPromptInput {
  /** formatCandidates() output, with the same fence. */
  candidates: string;
  repoMap: string;
  stateSummary: string;
  testCommand?: string;
  coveragePercent?: number;
  fence: DataFence;
}

export function planUserPrompt(i: PlanPromptInput): string {
  const { fence } = i;
  const facts = [
    i.testCommand ? `Test command: ${fence.inline(i.testCommand, 500)}` : undefined,
    i.coveragePercent !== undefined ? `Coverage: ${i.coveragePercent.toFixed(1)}%` : undefined,
  ].filter(Boolean);
  return `Candidates (ranked):
${i.candidates}

${facts.join('\n')}

State of the improvement effort:
${i.stateSummary ? fence.wrap('state summary', i.stateSummary, { maxChars: 2000 }) : '(no state yet)'}

Repository map:
${i.repoMap ? fence.wrap('repository map', i.repoMap, { maxChars: 200_000 }) : '(empty)'}`;
}

export function editSystemPrompt(policy: EditLimits, fence: DataFence): string {
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

${rules(policy)}

${fence.rule}`;
}

export interface FileExcerpt {
  path: string;
  content?: string;
  note?: string;
}

/** Max characters of one file in a prompt (files are read only up to 1 MiB anyway). */
const FILE_CHARS = 1024 * 1024;

/** One file as the model sees it: its path, then its contents in a data section. */
export function formatFile(f: FileExcerpt, fence: DataFence): string {
  const path = fence.inline(f.path, 300);
  if (f.content === undefined) return `${path}: ${fence.inline(f.note ?? '(not shown)', 300)}`;
  const htmlComments = rendersHtmlComments(f.path);
  const shown = fence.clean(f.content, { maxChars: FILE_CHARS, htmlComments });
  const altered =
    shown !== f.content.replace(/\r\n/g, '\n')
      ? ' (hidden text - HTML comments, invisible characters - was removed from this view: keep SEARCH blocks away from it)'
      : '';
  return `File ${path}${altered}:\n${fence.wrap(`file ${path}`, f.content, { maxChars: FILE_CHARS, htmlComments })}`;
}

export function formatFiles(files: FileExcerpt[], fence: DataFence): string {
  return files.map((f) => formatFile(f, fence)).join('\n\n');
}

export function editUserPrompt(i: {
  /** formatCandidates() output for the chosen candidate, with the same fence. */
  candidate: string;
  title: string;
  rationale: string;
  /** formatFiles() output, with the same fence. */
  files: string;
  testCommand?: string;
  fence: DataFence;
}): string {
  const { fence } = i;
  return `Task: ${fence.inline(i.title, 200)}
Why: ${fence.clean(i.rationale, { maxChars: 2000 })}

Candidate:
${i.candidate}
${i.testCommand ? `\nThe change must keep \`${fence.inline(i.testCommand, 500)}\` passing.\n` : ''}
Current files:
${i.files || '(none)'}

Write the SEARCH/REPLACE blocks now.`;
}

export function repairUserPrompt(i: {
  title: string;
  previous: EditBlock[];
  testOutputTail: string;
  /** formatFiles() output, with the same fence. */
  files: string;
  /** Whether the work tree still holds the previous edits (the workflow may have reverted them). */
  previousApplied: boolean;
  fence: DataFence;
}): string {
  const { fence } = i;
  const state = i.previousApplied
    ? 'The files below are shown as they are now, with your previous edits applied. Write new\nSEARCH/REPLACE blocks against these current contents to fix the failure.'
    : 'Your previous edits were reverted: the files below are the originals. Write the complete,\ncorrected change as SEARCH/REPLACE blocks against these contents.';
  // The previous blocks carry file text (and whatever the model copied from
  // the evidence): data too, cleaned as their file would be.
  const previous = i.previous
    .map((b, n) =>
      fence.wrap(`previous edit ${n + 1}`, formatEditBlocks([b]), {
        maxChars: 20_000,
        htmlComments: rendersHtmlComments(b.path),
      }),
    )
    .join('\n');
  return `Your change "${fence.inline(i.title, 200)}" made the tests fail. ${state}
Do not delete or skip tests to make them pass.

Your previous edits:
${previous || '(none)'}

Failing test output (tail):
${fence.wrap('failing test output', i.testOutputTail, { maxChars: 6000 })}

Current files:
${i.files || '(none)'}

Write the SEARCH/REPLACE blocks now.`;
}
