// The yield record from counted runs to what the runner is told: a type that
// keeps failing backs off for 2, 4 … of the target's runs and comes back
// after; a kept change resets it; a rollback is charged to the type it undid.
import { describe, expect, test } from '@jest/globals';
import { JOB_ENV } from '../contracts/job-env.ts';
import { readJobEnv } from '../runner/config.ts';
import { account } from './accounting.ts';
import { runnerEnv } from './job-builder.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';
import { backedOff, BACKOFF_AFTER, recordYield, yieldOf } from './yield.ts';

let minute = 0;
function run(
  phase: 'Succeeded' | 'Failed' | 'NoChange',
  type: string | undefined,
  extra: Partial<ImprovementRun> & { status?: Record<string, unknown> } = {},
): ImprovementRun {
  const name = `r${++minute}`;
  return {
    metadata: { name, namespace: 'n' },
    spec: { targetRef: { name: 't' }, trigger: 'schedule', ...extra.spec },
    status: {
      phase,
      completionTime: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
      ...(type ? { improvement: { type, priority: 'P2', title: 'x' } } : {}),
      ...extra.status,
    },
  } as ImprovementRun;
}

const target = (status: ImprovementTarget['status']): ImprovementTarget =>
  ({
    metadata: { name: 't', namespace: 'n', uid: 'u' },
    spec: { repository: { url: 'https://github.com/acme/x.git' }, schedule: '@daily' },
    status,
  }) as ImprovementTarget;

/** What a runner of the next run would be told, through the real env contract. */
function toldNext(status: ImprovementTarget['status']) {
  const env = Object.fromEntries(
    runnerEnv(target(status), {
      metadata: { name: 'next' },
      spec: { targetRef: { name: 't' }, trigger: 'schedule' },
    } as ImprovementRun).map((e) => [e.name, e.value]),
  );
  return readJobEnv({ ...env, [JOB_ENV.workspace]: '/tmp/w' }).target;
}

describe('yields', () => {
  test('a type that keeps failing sits out 2, then 4 runs, and comes back after', () => {
    const runs: ImprovementRun[] = [];
    let status: ImprovementTarget['status'];
    const count = (r: ImprovementRun) => {
      runs.push(r);
      status = account(status, runs).status;
    };
    for (let i = 0; i < BACKOFF_AFTER; i++) count(run('Failed', 'tests'));
    const tests = () => status!.yields!.find((y) => y.type === 'tests')!;
    expect(tests()).toMatchObject({ attempts: 3, failed: 3, streak: 3, backoffUntilRun: 5 });
    expect(toldNext(status).backedOff?.map((b) => b.type)).toEqual(['tests']);
    expect(toldNext(status).backedOff?.[0]?.why).toBe(
      'its last 3 attempts failed or were reverted; it sits out until run 5 of this target (now 3)',
    );

    count(run('Succeeded', 'documentation')); // run 4: still backing off
    expect(toldNext(status).backedOff?.map((b) => b.type)).toEqual(['tests']);
    count(run('NoChange', undefined)); // run 5: the back-off is over
    expect(toldNext(status).backedOff).toBeUndefined();

    count(run('Failed', 'tests')); // it failed again: twice as long
    expect(tests()).toMatchObject({ streak: 4, backoffUntilRun: 6 + 4 });
    count(run('Succeeded', 'tests')); // a kept change resets it
    expect(tests()).toMatchObject({ streak: 0, kept: 1, attempts: 5 });
    expect(tests().backoffUntilRun).toBeUndefined();
    expect(toldNext(status).yields).toEqual([
      { type: 'tests', yield: 0.2 },
      { type: 'documentation', yield: 1 },
    ]);
  });

  test('a succeeded rollback is charged to the type of the run it undid', () => {
    const kept = run('Succeeded', 'refactoring', { status: { commit: 'abcdef1234' } });
    const rb = run('Succeeded', undefined, {
      spec: {
        targetRef: { name: 't' },
        trigger: 'rollback',
        rollback: { id: '1', commit: 'abcdef1' },
      },
    });
    let yields = recordYield(undefined, kept, [kept, rb], 1);
    yields = recordYield(yields, rb, [kept, rb], 2);
    expect(yields).toEqual([
      { type: 'refactoring', attempts: 1, kept: 1, failed: 0, reverted: 1, noChange: 0, streak: 1 },
    ]);
    expect(yieldOf(yields![0]!)).toBe(0);
    // A rollback whose run is gone, or that failed, changes nothing.
    expect(
      recordYield(
        yields,
        { ...rb, spec: { ...rb.spec, rollback: { id: '2', run: 'gone' } } },
        [rb],
        3,
      ),
    ).toBe(yields);
    expect(backedOff(yields, 2)).toEqual([]);
  });

  test("ramp-up's record: merges counted once per run by type, less reverts, told to the runner", () => {
    const pr = (n: number) => ({
      status: { pullRequest: { number: n, url: 'u', merged: true }, commit: `c0ffee${n}` },
    });
    const docs = [
      run('Succeeded', 'documentation', pr(1)),
      run('Succeeded', 'documentation', pr(2)),
    ];
    const refactor = run('Succeeded', 'refactoring', pr(3));
    const unmerged = run('Succeeded', 'refactoring');
    let { status } = account(undefined, [...docs, refactor, unmerged]);
    expect(toldNext(status).earned).toEqual([
      { type: 'documentation', merged: 2 },
      { type: 'refactoring', merged: 1 },
    ]);
    // Seen again: nothing counts twice.
    status = account(status, [...docs, refactor, unmerged]).status;
    expect(status.yields?.find((y) => y.type === 'documentation')?.merged).toBe(2);
    // The refactoring is rolled back: it no longer counts.
    const rb = run('Succeeded', undefined, {
      spec: {
        targetRef: { name: 't' },
        trigger: 'rollback',
        rollback: { id: '1', commit: 'c0ffee3' },
      },
    });
    status = account(status, [...docs, refactor, unmerged, rb]).status;
    expect(toldNext(status).earned).toEqual([{ type: 'documentation', merged: 2 }]);
    // A target with nothing merged yet still tells the runner so (an empty record, not none).
    expect(toldNext(undefined).earned).toEqual([]);
  });
});
