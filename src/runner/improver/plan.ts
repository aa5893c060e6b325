// The "choose and plan" answer: a JSON schema sent as structured output, and
// a strict check of what came back (servers do not always honour the schema).
import type { Candidate } from '../types.ts';

export interface Plan {
  candidateId: string;
  title: string;
  rationale: string;
  files: string[];
}

export function planSchema(candidates: Candidate[], maxFiles: number): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      candidateId: { type: 'string', enum: candidates.map((c) => c.id) },
      title: { type: 'string', minLength: 3, maxLength: 120 },
      rationale: { type: 'string', minLength: 3, maxLength: 2000 },
      files: {
        type: 'array',
        items: { type: 'string', maxLength: 300 },
        maxItems: Math.max(1, maxFiles * 2),
      },
    },
    required: ['candidateId', 'title', 'rationale', 'files'],
    additionalProperties: false,
  };
}

export type PlanCheck =
  { ok: true; plan: Plan; candidate: Candidate } | { ok: false; message: string };

export function parsePlan(text: string, candidates: Candidate[]): PlanCheck {
  let raw: unknown;
  try {
    raw = JSON.parse(text.trim());
  } catch (err) {
    return { ok: false, message: `plan is not valid JSON: ${(err as Error).message}` };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, message: 'plan is not a JSON object' };
  const o = raw as Record<string, unknown>;
  const str = (k: string, max: number): string | undefined => {
    const v = o[k];
    return typeof v === 'string' && v.trim().length >= 3 && v.length <= max ? v.trim() : undefined;
  };
  const candidateId = typeof o.candidateId === 'string' ? o.candidateId : undefined;
  const title = str('title', 120);
  const rationale = str('rationale', 2000);
  if (!candidateId) return { ok: false, message: 'plan has no candidateId' };
  const candidate = candidates.find((c) => c.id === candidateId);
  if (!candidate)
    return {
      ok: false,
      message: `plan chose "${candidateId.slice(0, 80)}", which is not one of the candidates`,
    };
  if (!title) return { ok: false, message: 'plan has no usable title (3–120 characters)' };
  if (!rationale) return { ok: false, message: 'plan has no usable rationale' };
  if (!Array.isArray(o.files) || o.files.some((f) => typeof f !== 'string')) {
    return { ok: false, message: 'plan.files must be an array of strings' };
  }
  // A commit title is one line.
  return {
    ok: true,
    candidate,
    plan: { candidateId, title: title.split('\n')[0]!, rationale, files: o.files as string[] },
  };
}
