import { describe, expect, it } from '@jest/globals';
import { advisoryCandidates, managerOf } from './candidates.ts';
import { fixedVersion, parseOsvOutput, securityStatus, severityOf, type OsvEntry } from './osv.ts';

const entry = (id: string, ranges: [string, string?][], extra: object = {}): OsvEntry => ({
  id,
  summary: `${id} summary`,
  affected: ranges.map(([introduced, fixed]) => ({
    package: { ecosystem: 'npm', name: 'pkg' },
    ranges: [
      {
        type: 'SEMVER',
        events: [{ introduced }, ...(fixed ? [{ fixed }] : [])],
      },
    ],
  })),
  ...extra,
});

describe('fixedVersion', () => {
  const e = entry('A', [
    ['0', '0.2.4'],
    ['1.0.0', '1.2.6'],
  ]);
  it('takes the fix of the range that holds the version', () => {
    expect(fixedVersion(e, 'npm', 'pkg', '0.1.0')).toBe('0.2.4');
    expect(fixedVersion(e, 'npm', 'pkg', '1.2.5')).toBe('1.2.6');
  });
  it('none outside every range, for another package, or with no fix published', () => {
    expect(fixedVersion(e, 'npm', 'pkg', '1.2.6')).toBeUndefined();
    expect(fixedVersion(e, 'npm', 'other', '1.2.5')).toBeUndefined();
    expect(fixedVersion(e, 'Go', 'pkg', '1.2.5')).toBeUndefined();
    expect(fixedVersion(entry('B', [['1.0.0']]), 'npm', 'pkg', '1.5.0')).toBeUndefined();
  });
  it("reads Go's v prefix", () => {
    const go = {
      id: 'GO-1',
      affected: [
        {
          package: { ecosystem: 'Go', name: 'example.com/m' },
          ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.3.8' }] }],
        },
      ],
    };
    expect(fixedVersion(go, 'Go', 'example.com/m', 'v0.3.7')).toBe('0.3.8');
  });
});

describe('severityOf', () => {
  it('bands a CVSS base score', () => {
    expect(severityOf('9.8', [])).toBe('critical');
    expect(severityOf('7.5', [])).toBe('high');
    expect(severityOf('5', [])).toBe('medium');
    expect(severityOf('2.1', [])).toBe('low');
  });
  it("falls back to the database's word, then unknown", () => {
    const moderate = { id: 'X', database_specific: { severity: 'MODERATE' } };
    expect(severityOf('', [moderate])).toBe('medium');
    expect(severityOf(undefined, [{ id: 'Y' }])).toBe('unknown');
  });
});

describe('parseOsvOutput', () => {
  const out = (vulns: OsvEntry[], groups: { ids: string[]; max_severity?: string }[]) => ({
    results: [
      {
        source: { path: '/repo/web/package-lock.json' },
        packages: [
          {
            package: { name: 'pkg', version: '1.2.5', ecosystem: 'npm' },
            groups,
            vulnerabilities: vulns,
          },
        ],
      },
    ],
  });

  it('one finding per package: every group counted, the fix that fixes them all', () => {
    const f = parseOsvOutput(
      out(
        [entry('A', [['1.0.0', '1.2.6']]), entry('B', [['1.0.0', '1.3.0']])],
        [
          { ids: ['A'], max_severity: '5.0' },
          { ids: ['B'], max_severity: '9.1' },
        ],
      ),
      '/repo',
    );
    expect(f).toEqual([
      {
        ecosystem: 'npm',
        name: 'pkg',
        version: '1.2.5',
        source: 'web/package-lock.json',
        ids: ['A', 'B'],
        summary: 'A summary',
        severity: 'critical',
        fixed: '1.3.0',
      },
    ]);
  });

  it('no fix when one of its advisories has none', () => {
    const [f] = parseOsvOutput(
      out(
        [entry('A', [['1.0.0', '1.2.6']]), entry('B', [['1.0.0']])],
        [{ ids: ['A'] }, { ids: ['B'] }],
      ),
      '/repo',
    );
    expect(f?.fixed).toBeUndefined();
    expect(advisoryCandidates([f!])).toEqual([]);
  });

  it('the status counts by severity and lists the worst first, at most 16', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({
      ecosystem: 'npm',
      name: `p${i}`,
      version: '1.0.0',
      source: 'package-lock.json',
      ids: [`ID-${i}`],
      summary: '',
      severity: i === 19 ? ('critical' as const) : ('low' as const),
    }));
    const s = securityStatus({ scanner: 'osv-scanner 2.5.1', database: 'local', findings: many });
    expect(s.findings).toEqual({ critical: 1, high: 0, medium: 0, low: 19, unknown: 0 });
    expect(s.advisories).toHaveLength(16);
    expect(s.advisories[0]).toMatchObject({ package: 'p19', severity: 'critical' });
  });
});

describe('advisory candidates', () => {
  const finding = {
    ecosystem: 'Go',
    name: 'golang.org/x/text',
    version: 'v0.3.7',
    source: 'svc/go.mod',
    ids: ['GO-2022-1059'],
    summary: 'slow parse',
    severity: 'high' as const,
    fixed: '0.3.8',
  };
  it('P0 security, with the fix the advisory names', () => {
    expect(advisoryCandidates([finding])).toEqual([
      expect.objectContaining({
        id: 'advisory:svc/go.mod:golang.org/x/text',
        type: 'security',
        priority: 'P0',
        files: ['svc/go.mod'],
        advisory: {
          manager: 'go',
          source: 'svc/go.mod',
          name: 'golang.org/x/text',
          from: 'v0.3.7',
          to: 'v0.3.8',
          ids: ['GO-2022-1059'],
        },
      }),
    ]);
  });
  it('only where a package manager the runner drives can fix it', () => {
    expect(managerOf({ ...finding, name: 'stdlib' })).toBeUndefined();
    expect(managerOf({ ...finding, ecosystem: 'npm', source: 'yarn.lock' })).toBeUndefined();
    expect(
      managerOf({ ...finding, ecosystem: 'PyPI', source: 'requirements.txt' }),
    ).toBeUndefined();
    expect(managerOf({ ...finding, ecosystem: 'npm', source: 'package-lock.json' })).toBe('npm');
  });
});
