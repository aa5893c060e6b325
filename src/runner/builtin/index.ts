// The built-in improver: deterministic rules, no model. It proposes the
// first rule that applies, as ordinary edit blocks checked by the same strict
// applier as model output. Honest about what it is: provider "builtin".
import type { ImprovementType } from '../../crds/index.ts';
import type { Logger } from '../../util/logger.ts';
import { applyEdits } from '../edits/apply.ts';
import type { Candidate, EditLimits, Improver } from '../types.ts';
import { lintFixRule } from './rules/lint-fix.ts';
import { linksRule } from './rules/links.ts';
import { readmeRule } from './rules/readme.ts';
import type { Rule } from './rules/types.ts';
import { whitespaceRule } from './rules/whitespace.ts';
import { gitTrackedFiles, scanTextFiles } from './scan.ts';

/** In order: the first rule that applies wins. */
export const BUILTIN_RULES: Rule[] = [whitespaceRule, readmeRule, linksRule, lintFixRule];

export interface BuiltinImproverOptions {
  policy: EditLimits;
  logger: Logger;
  /** Policy filter (allowedTypes after rampUp); rules of other types are not tried. */
  allowedTypes?: readonly ImprovementType[];
  /** Subset or order of rules (tests, configuration); defaults to BUILTIN_RULES. */
  rules?: Rule[];
}

export function createBuiltinImprover(opts: BuiltinImproverOptions): Improver {
  const log = opts.logger.child({ improver: 'builtin' });
  const rules = opts.rules ?? BUILTIN_RULES;
  return {
    provider: 'builtin',

    async propose(ctx, candidates) {
      const tracked = await gitTrackedFiles(ctx.dir);
      const files = await scanTextFiles(ctx.dir, opts.policy.protectedPaths);
      for (const rule of rules) {
        if (opts.allowedTypes && !opts.allowedTypes.includes(rule.type)) continue;
        const fix = await rule.run({
          dir: ctx.dir,
          files,
          tracked,
          policy: opts.policy,
          testCommand: ctx.testCommand,
          logger: log,
        });
        if (!fix) continue;
        const type = fix.type ?? rule.type;
        if (opts.allowedTypes && !opts.allowedTypes.includes(type)) {
          log.info({ rule: rule.id, type }, 'built-in fix is of a type the policy does not allow');
          continue;
        }
        const check = await applyEdits(
          ctx.dir,
          fix.blocks,
          { ...opts.policy, type },
          { dryRun: true },
        );
        if (!check.ok) {
          log.warn({ rule: rule.id, why: check.message }, 'built-in fix rejected by the applier');
          continue;
        }
        const id = `builtin:${rule.id}`;
        const candidate: Candidate = candidates.find((c) => c.id === id) ?? {
          id,
          type,
          priority: 'P3',
          title: fix.title,
          detail: fix.rationale,
          files: check.changedFiles,
        };
        log.info(
          { rule: rule.id, files: check.filesChanged, lines: check.linesChanged },
          'built-in fix proposed',
        );
        return {
          kind: 'proposal',
          proposal: {
            candidate,
            type,
            priority: 'P3',
            title: fix.title,
            rationale: fix.rationale,
            blocks: fix.blocks,
          },
        };
      }
      return {
        kind: 'none',
        reason: 'NothingToDo',
        message: 'no built-in rule applies (whitespace, README, links, lint)',
      };
    },

    async repair() {
      // Deterministic rules would produce the same change again.
      return {
        kind: 'none',
        reason: 'NothingToDo',
        message: 'the built-in rules do not retry after failing tests',
      };
    },
  };
}

export type { Rule, RuleFix, RuleInput } from './rules/types.ts';
