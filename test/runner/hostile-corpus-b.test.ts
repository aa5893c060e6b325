// Hostile corpus, part B: code that runs while the gate runs the tests
// (escapes, leaks, effects on the tested tree), secrets in the change, and
// changes outside the scope of their type. See hostile-corpus-a.test.ts.
import { describe, it } from '@jest/globals';
import { PART_B } from '../fixtures/hostile-corpus/index.ts';
import { runCase } from './hostile-corpus-support.ts';

describe('hostile corpus: runtime, secrets, scope', () => {
  it.concurrent.each(PART_B.map((k) => [k.id, k] as const))('%s', async (_id, k) => {
    await runCase(k);
  });
});
