// The LLM-backed Improver: (a) choose and plan through structured output,
// (b) write the change as SEARCH/REPLACE text, validated by a dry run of the
// strict applier before it is proposed. Provider failures (ModelNotFound,
// LLMUnavailable, ContextTooLarge) are thrown as ExternalServiceError for the
// workflow to report; bad answers become NoChange with a reason.
import type { Logger } from '../../util/logger.ts';
import { applyEdits } from '../edits/apply.ts';
import { parseEditBlocks } from '../edits/parse.ts';
import { checkPathSyntax } from '../edits/paths.ts';
import { estimatePromptTokens } from '../llm/budget.ts';
import type { ChatMessage, GenerateOptions, LlmProvider } from '../llm/types.ts';
import type {
  Candidate,
  EditPolicy,
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

export interface LlmImproverOptions {
  numCtx: number;
  temperature?: number;
  seed?: number;
  policy: EditPolicy;
  logger: Logger;
  /** Output tokens for the plan answer (default 512). */
  planTokens?: number;
  /** Output tokens for the edit answer (default min(4096, 35% of numCtx)). */
  editTokens?: number;
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
    const system = planSystemPrompt(opts.policy);
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
        candidates: formatCandidates(candidates, v.detail),
        repoMap: v.map,
        stateSummary: ctx.stateSummary.slice(0, 2000),
        testCommand: ctx.testCommand,
        coveragePercent: ctx.coveragePercent,
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

  /** Reads the files for the prompt, as many as fit in `budget` tokens. */
  async function excerpts(
    ctx: RepoContext,
    paths: string[],
    budget: number,
  ): Promise<FileExcerpt[]> {
    const out: FileExcerpt[] = [];
    let left = budget;
    for (const path of paths) {
      let content: string;
      try {
        content = await ctx.readFile(path);
      } catch {
        out.push({ path, note: '(does not exist yet)' });
        continue;
      }
      const cost = estimatePromptTokens([
        { role: 'user', content: `${path}\n\`\`\`\n${content}\n\`\`\`` },
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
    system: string,
    userFor: (files: string) => string,
    paths: string[],
  ): Promise<{ ok: true; blocks: Proposal['blocks'] } | { ok: false; result: ProposeResult }> {
    const options: GenerateOptions = { ...base, maxTokens: editTokens };
    const skeleton: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: userFor('') },
    ];
    const room = opts.numCtx - editTokens - estimatePromptTokens(skeleton) - 16;
    const files = formatFiles(await excerpts(ctx, paths, Math.max(0, room)));
    const answer = await llm.chat(
      [
        { role: 'system', content: system },
        { role: 'user', content: userFor(files) },
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
    const check = await applyEdits(ctx.dir, parsed.blocks, opts.policy, { dryRun: true });
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
        editSystemPrompt(opts.policy),
        (files) =>
          editUserPrompt({
            candidate: formatCandidates([candidate], 4000),
            title: p.title,
            rationale: p.rationale,
            files,
            testCommand: ctx.testCommand,
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
        editSystemPrompt(opts.policy),
        (files) =>
          repairUserPrompt({
            title: previous.title,
            previous: previous.blocks,
            testOutputTail: tail,
            files,
            previousApplied,
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
