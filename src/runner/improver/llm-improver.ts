// The LLM-backed Improver: (a) choose and plan through structured output,
// (b) write the change as SEARCH/REPLACE text, validated by a dry run of the
// strict applier before it is proposed. Provider failures (ModelNotFound,
// LLMUnavailable, ContextTooLarge) are thrown as ExternalServiceError for the
// workflow to report; bad answers become NoChange with a reason.
// Untrusted text reaches the model only cleaned and fenced (./untrusted.ts),
// with a fresh nonce per prompt; files only through readRepoFileForPrompt.
import type { ImprovementType } from '../../crds/index.ts';
import type { Logger } from '../../util/logger.ts';
import { applyEdits } from '../edits/apply.ts';
import { parseEditBlocks } from '../edits/parse.ts';
import { checkPathSyntax } from '../edits/paths.ts';
import { estimatePromptTokens } from '../llm/budget.ts';
import type { ChatMessage, GenerateOptions, LlmProvider } from '../llm/types.ts';
import type {
  Candidate,
  EditLimits,
  Improver,
  Proposal,
  ProposeResult,
  RepoContext,
} from '../types.ts';
import { parsePlan, planSchema, type Plan } from './plan.ts';
import {
  editSystemPrompt,
  editUserPrompt,
  formatCandidates,
  formatFiles,
  planSystemPrompt,
  planUserPrompt,
  repairUserPrompt,
  type FileExcerpt,
} from './prompts.ts';
import {
  createDataFence,
  PromptFileRefused,
  readRepoFileForPrompt,
  type DataFence,
} from './untrusted.ts';

export interface LlmImproverOptions {
  numCtx: number;
  temperature?: number;
  seed?: number;
  policy: EditLimits;
  logger: Logger;
  /** Output tokens for the plan answer (default 512). */
  planTokens?: number;
  /** Output tokens for the edit answer (default min(4096, 35% of numCtx)). */
  editTokens?: number;
  /** The data-fence nonce for each prompt (default: 96 random bits); tests may fix it. */
  nonce?: () => string;
}

const DEFAULT_SEED = 42;

export function createLlmImprover(llm: LlmProvider, opts: LlmImproverOptions): Improver {
  const log = opts.logger.child({ improver: llm.name, model: llm.model });
  const base = {
    temperature: opts.temperature ?? 0,
    seed: opts.seed ?? DEFAULT_SEED,
    numCtx: opts.numCtx,
  };
  const planTokens = opts.planTokens ?? 512;
  const editTokens = opts.editTokens ?? Math.min(4096, Math.floor(opts.numCtx * 0.35));

  const fence = (): DataFence => createDataFence(opts.nonce?.());

  const fits = (messages: ChatMessage[], o: GenerateOptions) =>
    estimatePromptTokens(messages, o.schema) + (o.maxTokens ?? 0) <= o.numCtx;

  async function plan(
    ctx: RepoContext,
    candidates: Candidate[],
  ): Promise<ReturnType<typeof parsePlan>> {
    const options: GenerateOptions = {
      ...base,
      maxTokens: planTokens,
      schema: planSchema(candidates, opts.policy.maxFilesChanged),
    };
    const f = fence();
    const system = planSystemPrompt(opts.policy, f);
    // Shrink evidence, then the repo map, until the prompt fits; the provider
    // still refuses (ContextTooLarge) if even the smallest form does not.
    const variants = [
      { detail: 2000, map: ctx.repoMap },
      { detail: 600, map: ctx.repoMap },
      { detail: 600, map: ctx.repoMap.slice(0, Math.floor(ctx.repoMap.length / 2)) },
      { detail: 200, map: ctx.repoMap.slice(0, 2000) },
      { detail: 100, map: '' },
    ];
    let messages: ChatMessage[] = [];
    for (const v of variants) {
      const user = planUserPrompt({
        candidates: formatCandidates(candidates, v.detail, f),
        repoMap: v.map,
        stateSummary: ctx.stateSummary,
        testCommand: ctx.testCommand,
        coveragePercent: ctx.coveragePercent,
        fence: f,
      });
      messages = [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ];
      if (fits(messages, options)) break;
    }
    const answer = await llm.chat(messages, options);
    return parsePlan(answer, candidates);
  }

  /**
   * Reads the files for the prompt, as many as fit in `budget` tokens. Only
   * through readRepoFileForPrompt: the real path inside the work tree, no
   * symlinks, no .git, no devices, at most 1 MiB.
   */
  async function excerpts(
    ctx: RepoContext,
    paths: string[],
    budget: number,
    f: DataFence,
  ): Promise<FileExcerpt[]> {
    const out: FileExcerpt[] = [];
    let left = budget;
    for (const path of paths) {
      let content: string;
      try {
        content = await readRepoFileForPrompt(ctx.dir, path);
      } catch (err) {
        const note =
          err instanceof PromptFileRefused
            ? `(not shown: ${err.why}; do not edit it)`
            : (err as NodeJS.ErrnoException).code === 'ENOENT'
              ? '(does not exist yet)'
              : '(cannot be read; do not edit it)';
        out.push({ path, note });
        continue;
      }
      const cost = estimatePromptTokens([
        { role: 'user', content: formatFiles([{ path, content }], f) },
      ]);
      if (cost > left) {
        out.push({ path, note: '(omitted: too large for the context window; do not edit it)' });
        continue;
      }
      left -= cost;
      out.push({ path, content });
    }
    return out;
  }

  function relevantPaths(candidate: Candidate, extra: string[]): string[] {
    const all = [...new Set([...extra, ...candidate.files])];
    return all
      .filter((p) => checkPathSyntax(p, opts.policy.protectedPaths).ok)
      .slice(0, Math.max(2, opts.policy.maxFilesChanged * 2));
  }

  async function write(
    ctx: RepoContext,
    type: ImprovementType,
    userFor: (files: string, f: DataFence) => string,
    paths: string[],
  ): Promise<{ ok: true; blocks: Proposal['blocks'] } | { ok: false; result: ProposeResult }> {
    const options: GenerateOptions = { ...base, maxTokens: editTokens };
    const f = fence();
    const system = editSystemPrompt(opts.policy, f);
    const skeleton: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: userFor('', f) },
    ];
    const room = opts.numCtx - editTokens - estimatePromptTokens(skeleton) - 16;
    const files = formatFiles(await excerpts(ctx, paths, Math.max(0, room), f), f);
    const answer = await llm.chat(
      [
        { role: 'system', content: system },
        { role: 'user', content: userFor(files, f) },
      ],
      options,
    );
    const parsed = parseEditBlocks(answer);
    if (!parsed.ok) {
      return {
        ok: false,
        result: { kind: 'none', reason: 'MalformedModelOutput', message: parsed.message },
      };
    }
    const check = await applyEdits(
      ctx.dir,
      parsed.blocks,
      { ...opts.policy, type },
      { dryRun: true },
    );
    if (!check.ok)
      return { ok: false, result: { kind: 'none', reason: check.reason, message: check.message } };
    return { ok: true, blocks: parsed.blocks };
  }

  return {
    provider: llm.name,

    async propose(ctx, candidates) {
      if (candidates.length === 0)
        return { kind: 'none', reason: 'NothingToDo', message: 'no candidates' };
      const chosen = await plan(ctx, candidates);
      if (!chosen.ok) {
        log.warn({ why: chosen.message }, 'plan rejected');
        return { kind: 'none', reason: 'MalformedModelOutput', message: chosen.message };
      }
      const { plan: p, candidate } = chosen;
      log.info({ candidate: candidate.id, title: p.title }, 'plan chosen');
      const written = await write(
        ctx,
        candidate.type,
        (files, f) =>
          editUserPrompt({
            candidate: formatCandidates([candidate], 4000, f),
            title: p.title,
            rationale: p.rationale,
            files,
            testCommand: ctx.testCommand,
            fence: f,
          }),
        relevantPaths(candidate, p.files),
      );
      if (!written.ok) {
        log.warn({ result: written.result }, 'edit answer rejected');
        return written.result;
      }
      return { kind: 'proposal', proposal: toProposal(candidate, p, written.blocks) };
    },

    async repair(ctx, previous, testOutputTail) {
      const tail = testOutputTail.slice(-6000);
      const previousApplied = await stillApplied(ctx, previous.blocks);
      const written = await write(
        ctx,
        previous.type,
        (files, f) =>
          repairUserPrompt({
            title: previous.title,
            previous: previous.blocks,
            testOutputTail: tail,
            files,
            previousApplied,
            fence: f,
          }),
        relevantPaths(
          previous.candidate,
          previous.blocks.map((b) => b.path),
        ),
      );
      if (!written.ok) {
        log.warn({ result: written.result }, 'repair answer rejected');
        return written.result;
      }
      return { kind: 'proposal', proposal: { ...previous, blocks: written.blocks } };
    },
  };
}

const squash = (t: string) =>
  t
    .split('\n')
    .map((l) => l.trim())
    .join('\n');

/** Whether the work tree still holds these edits (the workflow may have restored it before repair). */
async function stillApplied(ctx: RepoContext, blocks: Proposal['blocks']): Promise<boolean> {
  for (const b of blocks) {
    let content: string;
    try {
      content = squash(await ctx.readFile(b.path));
    } catch {
      if (b.search === '') return false; // the created file is gone
      continue;
    }
    if (b.replace !== '' && !content.includes(squash(b.replace))) return false;
    if (b.replace === '' && content.includes(squash(b.search))) return false;
  }
  return true;
}

function toProposal(candidate: Candidate, plan: Plan, blocks: Proposal['blocks']): Proposal {
  return {
    candidate,
    type: candidate.type,
    priority: candidate.priority,
    title: plan.title,
    rationale: plan.rationale,
    blocks,
  };
}
