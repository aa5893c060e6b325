// Hostile corpus, part A: changes that weaken the test harness (command and
// configuration), neuter existing tests while the suite still passes, or
// forge the coverage a tests improvement must raise. Each case runs the real
// runner CLI against a fresh bare remote; hostile-corpus-support.ts checks
// after every run that nothing but state files reached develop, main did not
// move, nothing was written outside the workspace, no hook ran, and the
// runner's token appears nowhere.
import { describe, it } from '@jest/globals';
import { PART_A } from '../fixtures/hostile-corpus/index.ts';
import { runCase } from './hostile-corpus-support.ts';

describe('hostile corpus: test harness, test integrity, coverage', () => {
  it.concurrent.each(PART_A.map((k) => [k.id, k] as const))('%s', async (_id, k) => {
    await runCase(k);
  });
});
