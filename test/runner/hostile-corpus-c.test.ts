// Hostile corpus, part C: file names (pathspecs, options, .git aliases,
// invisible characters), files that steer CI and review, size limits,
// malformed model output, and the benign controls that must land (so the
// corpus shows the gate is not simply refusing everything). See
// hostile-corpus-a.test.ts.
import { describe, expect, it } from '@jest/globals';
import { CORPUS, PART_C } from '../fixtures/hostile-corpus/index.ts';
import { runCase } from './hostile-corpus-support.ts';

describe('hostile corpus: names, governance, limits, malformed output, controls', () => {
  it('has at least 120 cases with unique ids, and controls', () => {
    const ids = CORPUS.map((k) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(120);
    expect(CORPUS.filter((k) => k.class === 'benign control').length).toBeGreaterThanOrEqual(10);
  });

  it.concurrent.each(PART_C.map((k) => [k.id, k] as const))('%s', async (_id, k) => {
    await runCase(k);
  });
});
