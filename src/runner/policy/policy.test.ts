import { describe, expect, it } from '@jest/globals';
import { IMPROVEMENT_TYPES } from '../../crds/index.ts';
import type { ImprovementEntry } from '../state/improvements-md.ts';
import type { Candidate } from '../types.ts';
import { applyPolicy, rampLevel, typesAtLevel, type MergeEvidence } from './index.ts';

const entry = (
  type: string,
  pr: number,
  extra: Partial<ImprovementEntry> = {},
): ImprovementEntry => ({
  date: '2026-11-01',
  title: `${type} ${pr}`,
  type,
  pr,
  commit: `c${pr}`,
  fields: {},
  reverted: false,
  ...extra,
});
const merged = (...prs: number[]): MergeEvidence => ({
  mergedPullRequests: new Set(prs),
  isOnMain: () => false,
});
const cand = (id: string, type: Candidate['type'], priority: Candidate['priority']): Candidate => ({
  id,
  type,
  priority,
  title: id,
  detail: '',
  files: [],
});

describe('ramp-up levels', () => {
  it('starts at documentation and style', () => {
    expect(rampLevel([], merged())).toBe(0);
    expect(typesAtLevel(0).sort()).toEqual(['documentation', 'style']);
  });

  it('earns each level with merged improvements of the previous level', () => {
    const docs = [entry('documentation', 1), entry('style', 2)];
    expect(rampLevel(docs, merged(1))).toBe(0);
    expect(rampLevel(docs, merged(1, 2))).toBe(1);
    const refactors = [...docs, entry('refactoring', 3), entry('refactoring', 4)];
    expect(rampLevel(refactors, merged(1, 2, 3, 4))).toBe(2);
    const tests = [...refactors, entry('tests', 5), entry('tests', 6)];
    expect(rampLevel(tests, merged(1, 2, 3, 4, 5, 6))).toBe(3);
    expect(typesAtLevel(3)).toContain('bugfix');
    expect(typesAtLevel(3)).not.toContain('feature');
    const fixes = [...tests, entry('bugfix', 7), entry('performance', 8), entry('security', 9)];
    expect(rampLevel(fixes, merged(1, 2, 3, 4, 5, 6, 7, 8, 9))).toBe(4);
    expect(typesAtLevel(4).sort()).toEqual([...IMPROVEMENT_TYPES].sort());
  });

  it('does not count reverted or unmerged improvements, whatever their age', () => {
    const old = [
      entry('documentation', 1, { date: '2020-01-01' }),
      entry('documentation', 2, { date: '2020-01-02', reverted: true }),
      entry('documentation', 3, { date: '2020-01-03' }),
    ];
    expect(rampLevel(old, merged(1, 2))).toBe(0);
    expect(rampLevel(old, merged(1, 2, 3))).toBe(1);
  });

  it('counts commits that reached main without a PR (plain git)', () => {
    const e = [
      entry('style', 0, { pr: undefined, commit: 'aaa' }),
      entry('style', 0, { pr: undefined, commit: 'bbb' }),
    ];
    expect(
      rampLevel(e, { mergedPullRequests: new Set(), isOnMain: (c) => c === 'aaa' || c === 'bbb' }),
    ).toBe(1);
  });
});

/** A policy input that blocks nothing but ramp-up; tests change what they are about. */
const base = {
  allowedTypes: [...IMPROVEMENT_TYPES],
  rampUp: true,
  maxOpenPullRequests: 1,
  strategy: 'develop' as const,
  openPullRequests: 0,
  pullRequests: true,
  improvements: [],
  evidence: merged(),
};

describe('applyPolicy', () => {
  const candidates = [
    cand('issue:1', 'feature', 'P0'),
    cand('failing-tests', 'bugfix', 'P1'),
    cand('coverage:a', 'tests', 'P2'),
    cand('docs:a', 'documentation', 'P3'),
  ];

  it('lets P0 through ramp-up but holds back the rest', () => {
    const d = applyPolicy(candidates, base);
    expect(d.level).toBe(0);
    expect(d.allowed.map((c) => c.id)).toEqual(['issue:1', 'docs:a']);
    expect(d.blocked.map((b) => b.why)).toEqual([
      'ramp-up level 0 does not allow bugfix yet',
      'ramp-up level 0 does not allow tests yet',
    ]);
  });

  it("under the operator, ramp-up counts its record, not IMPROVEMENTS.md's claims", () => {
    // Two entries that cite commits on main: enough for level 1 from the file alone.
    const claims = {
      improvements: [entry('style', 1), entry('style', 2)],
      evidence: merged(1, 2),
    };
    expect(applyPolicy(candidates, { ...base, ...claims }).level).toBe(1);
    // The operator has seen nothing merged: the claims earn nothing.
    expect(applyPolicy(candidates, { ...base, ...claims, earned: [] }).level).toBe(0);
    // What it has seen merged (and not reverted) does.
    const earned = [
      { type: 'documentation' as const, merged: 1 },
      { type: 'refactoring' as const, merged: 3 },
    ];
    const d = applyPolicy(candidates, { ...base, earned });
    expect(d.level).toBe(2);
    expect(d.allowed.map((c) => c.id)).toEqual(['issue:1', 'coverage:a', 'docs:a']);
    // A huge count is as good as a few, and costs no more.
    expect(
      applyPolicy(candidates, { ...base, earned: [{ type: 'feature', merged: 1e9 }] }).level,
    ).toBe(4);
  });

  it('allows everything without ramp-up, within allowedTypes', () => {
    const d = applyPolicy(candidates, {
      ...base,
      rampUp: false,
      allowedTypes: ['bugfix', 'tests'],
    });
    expect(d.allowed.map((c) => c.id)).toEqual(['failing-tests', 'coverage:a']);
    expect(d.blocked[0]?.why).toBe('type feature is not in allowedTypes');
  });

  it('respects maxOpenPullRequests for autonomous branches', () => {
    const d = applyPolicy(candidates, { ...base, strategy: 'autonomous', openPullRequests: 1 });
    expect(d.allowed).toEqual([]);
    expect(d.blocked[0]?.why).toMatch(/maxOpenPullRequests=1/);
    expect(
      applyPolicy(candidates, {
        ...base,
        strategy: 'autonomous',
        maxOpenPullRequests: 2,
        openPullRequests: 1,
      }).allowed,
    ).toHaveLength(2);
  });

  it('reuses the open work PR with strategy develop, and ignores PR limits on plain git', () => {
    expect(applyPolicy(candidates, { ...base, openPullRequests: 1 }).allowed).toHaveLength(2);
    expect(applyPolicy(candidates, { ...base, maxOpenPullRequests: 0 }).allowed).toHaveLength(0);
    expect(
      applyPolicy(candidates, { ...base, maxOpenPullRequests: 0, pullRequests: false }).allowed,
    ).toHaveLength(2);
  });
});

describe("the operator's yield record", () => {
  const noRamp = { ...base, rampUp: false };

  it('a backed-off type sits the run out, unless the candidate is P0', () => {
    const d = applyPolicy(
      [
        cand('cov', 'tests', 'P2'),
        cand('cve', 'security', 'P0'),
        cand('doc', 'documentation', 'P3'),
      ],
      {
        ...noRamp,
        backedOff: [
          { type: 'tests', why: 'its last 3 attempts failed' },
          { type: 'security', why: 'its last 3 attempts failed' },
        ],
      },
    );
    expect(d.allowed.map((c) => c.id)).toEqual(['cve', 'doc']);
    expect(d.blocked).toEqual([
      {
        candidate: cand('cov', 'tests', 'P2'),
        why: 'type tests backs off: its last 3 attempts failed',
      },
    ]);
  });

  it('within a priority, the type that lands comes first; priority still decides first', () => {
    const d = applyPolicy(
      [
        cand('ref', 'refactoring', 'P2'),
        cand('cov', 'tests', 'P2'),
        cand('new', 'performance', 'P2'),
        cand('fix', 'bugfix', 'P1'),
      ],
      {
        ...noRamp,
        yields: [
          { type: 'refactoring', yield: 0.1 },
          { type: 'tests', yield: 0.9 },
          { type: 'bugfix', yield: 0 },
        ],
      },
    );
    // performance has no record yet (0.5): between the two that have one.
    expect(d.allowed.map((c) => c.id)).toEqual(['fix', 'cov', 'new', 'ref']);
  });
});
