import { describe, expect, it } from '@jest/globals';
import type { Candidate } from '../types.ts';
import { parsePlan, planSchema } from './plan.ts';

const candidates: Candidate[] = [
  {
    id: 'issue:7',
    type: 'bugfix',
    priority: 'P0',
    title: 'Crash on empty input',
    detail: '',
    files: ['src/a.ts'],
  },
  {
    id: 'docs:readme',
    type: 'documentation',
    priority: 'P3',
    title: 'README',
    detail: '',
    files: [],
  },
];

describe('plan', () => {
  it('puts the candidate ids in the schema enum', () => {
    const s = planSchema(candidates, 3) as {
      properties: { candidateId: { enum: string[] } };
      required: string[];
    };
    expect(s.properties.candidateId.enum).toEqual(['issue:7', 'docs:readme']);
    expect(s.required).toEqual(['candidateId', 'title', 'rationale', 'files']);
  });

  it('accepts a valid plan and returns the chosen candidate', () => {
    const r = parsePlan(
      JSON.stringify({
        candidateId: 'issue:7',
        title: 'fix: guard empty input',
        rationale: 'It crashes.',
        files: ['src/a.ts'],
      }),
      candidates,
    );
    expect(r.ok && r.candidate.id).toBe('issue:7');
  });

  it.each([
    ['{"candidateId": "issue:7", ', /not valid JSON/],
    ['[1,2]', /not a JSON object/],
    [
      '{"candidateId":"issue:99","title":"x fix","rationale":"because","files":[]}',
      /not one of the candidates/,
    ],
    ['{"candidateId":"issue:7","title":"","rationale":"because","files":[]}', /title/],
    [
      '{"candidateId":"issue:7","title":"fix it","rationale":"because","files":"src/a.ts"}',
      /array of strings/,
    ],
  ])('rejects %s', (text, message) => {
    const r = parsePlan(text, candidates);
    expect(!r.ok && r.message).toMatch(message);
  });
});
