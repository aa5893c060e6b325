// Security findings as P0, with the real osv-scanner (built from its Go
// module) against a local OSV database of real, published advisories, and
// real npm and go commands making the fix: the scan finds the vulnerable
// version a repository's lockfile pins, the run chooses that advisory over
// everything else, the package manager upgrades the one package to the
// smallest fixed version in the test bench, the tests gate it, and the work
// branch gets exactly that tree. A database that cannot be read is reported
// and the run carries on.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOnce } from '../../src/runner/index.ts';
import { OSV_SCANNER_ENV, scanDependencies } from '../../src/runner/security/osv.ts';
import { ensureOsvScanner } from '../../tools/osv-scanner/build.ts';
import { writeAdvisoryDb } from '../support/advisory-db.ts';
import {
  FIXTURES,
  capturedLogger,
  git,
  runnerCli,
  sandbox,
  targetSpec,
  type Sandbox,
} from './support.ts';

let scanner: string;
let db: string;
let scratch: string;
const savedScanner = process.env[OSV_SCANNER_ENV];

beforeAll(() => {
  scanner = ensureOsvScanner();
  // The runner finds it as the image provides it.
  process.env[OSV_SCANNER_ENV] = scanner;
  scratch = mkdtempSync(join(tmpdir(), 'oc-advisories-'));
  db = writeAdvisoryDb(join(scratch, 'db'));
}, 600_000);

afterAll(() => {
  if (savedScanner === undefined) delete process.env[OSV_SCANNER_ENV];
  else process.env[OSV_SCANNER_ENV] = savedScanner;
  rmSync(scratch, { recursive: true, force: true });
});

describe('the dependency scan', () => {
  it('finds the advisory an npm lockfile pins, with its severity and smallest fix', async () => {
    const r = await scanDependencies(join(FIXTURES, 'npm-advisory'), { advisoryDb: db });
    expect(r.note).toBeUndefined();
    expect(r.scanner).toMatch(/^osv-scanner \d+\.\d+\.\d+$/);
    expect(r.database).toBe('local');
    expect(r.findings).toEqual([
      {
        ecosystem: 'npm',
        name: 'minimist',
        version: '1.2.5',
        source: 'package-lock.json',
        ids: ['GHSA-xvch-5gv4-984h'],
        summary: 'Prototype Pollution in minimist',
        severity: 'critical',
        fixed: '1.2.6',
      },
    ]);
  });

  it('finds the Go advisory once, though two databases publish it', async () => {
    const r = await scanDependencies(join(FIXTURES, 'go-advisory'), { advisoryDb: db });
    expect(r.note).toBeUndefined();
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      ecosystem: 'Go',
      name: 'golang.org/x/text',
      source: 'go.mod',
      severity: 'high',
      fixed: '0.3.8',
    });
    expect(r.findings[0]!.version).toMatch(/^v?0\.3\.7$/);
  });

  it('says so, and finds nothing, when the database lacks the ecosystem', async () => {
    const npmOnly = writeAdvisoryDb(join(scratch, 'npm-only'), ['npm']);
    const r = await scanDependencies(join(FIXTURES, 'go-advisory'), { advisoryDb: npmOnly });
    expect(r.findings).toEqual([]);
    expect(r.note).toMatch(/^the dependency scan failed \(exit 127\): .*offline/);
  });

  it('says so when there is no scanner', async () => {
    const r = await scanDependencies(join(FIXTURES, 'npm-advisory'), {
      advisoryDb: db,
      env: { PATH: '/nonexistent' },
    });
    expect(r.findings).toEqual([]);
    expect(r.note).toContain('no osv-scanner binary');
  });
});

describe('a run with a vulnerable dependency', () => {
  let sb: Sandbox;
  afterEach(() => sb?.cleanup());

  const run = (tests: Record<string, unknown>, advisoryDb = db) => {
    const { logger, lines } = capturedLogger();
    const result = runOnce(
      {
        target: {
          name: 'app',
          spec: targetSpec(sb.url, {
            model: { provider: 'builtin' },
            tests,
            policy: { rampUp: false },
          }),
        },
        run: { name: 'app-1', spec: { targetRef: { name: 'app' }, trigger: 'schedule' } },
        workspace: sb.workspace,
        advisoryDb,
      },
      { logger },
    );
    return { result, lines };
  };

  it('npm: upgrades the package to the fixed version with npm, and commits what passed', async () => {
    sb = sandbox('npm-advisory', { withWorkBranch: true });
    const { result } = run({
      command: 'node --test',
      setupCommand: 'npm ci --ignore-scripts --no-audit --no-fund',
    });
    const { outcome, report } = await result;
    expect(outcome.phase).toBe('Succeeded');
    expect(report.candidates[0]?.id).toBe('advisory:package-lock.json:minimist');
    expect(outcome.improvement).toMatchObject({ type: 'security', priority: 'P0' });
    expect(outcome.improvement?.title).toBe('upgrade minimist to 1.2.6 (GHSA-xvch-5gv4-984h)');
    // The smallest fixed version, as the new lower bound of the declared range.
    expect(JSON.parse(sb.show('develop', 'package.json')!).dependencies).toEqual({
      minimist: '^1.2.6',
    });
    const lock = JSON.parse(sb.show('develop', 'package-lock.json')!);
    expect(lock.packages['node_modules/minimist'].version).toBe('1.2.6');
    expect(lock.packages['node_modules/minimist'].integrity).toMatch(/^sha512-/);
    // Nothing but the two dependency files (and the state files) changed.
    expect(sb.show('develop', 'src/args.js')).toBe(sb.show('main', 'src/args.js'));
    // The status reports the branch as the run left it: nothing vulnerable.
    expect(outcome.security).toMatchObject({
      database: 'local',
      findings: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
      advisories: [],
    });
    expect(sb.show('develop', '.opencode/IMPROVEMENTS.md')).toContain('- **Type**: security');
  }, 300_000);

  it('Go: go get and go mod tidy move the module to the fixed version', async () => {
    sb = sandbox('go-advisory', { withWorkBranch: true });
    const { result } = run({ command: 'go test ./...' });
    const { outcome } = await result;
    expect(outcome.phase).toBe('Succeeded');
    expect(outcome.improvement).toMatchObject({ type: 'security', priority: 'P0' });
    expect(sb.show('develop', 'go.mod')).toMatch(/^require golang\.org\/x\/text v0\.3\.8$/m);
    const sum = sb.show('develop', 'go.sum')!;
    expect(sum).toContain('golang.org/x/text v0.3.8 h1:');
    expect(sum).not.toContain('golang.org/x/text v0.3.7 h1:');
    expect(outcome.security?.findings.high).toBe(0);
  }, 300_000);

  it('an unreadable database is reported in the status and the run carries on', async () => {
    sb = sandbox('go-advisory', { withWorkBranch: true });
    const npmOnly = writeAdvisoryDb(join(scratch, 'npm-only-run'), ['npm']);
    const { result, lines } = run({ command: 'go test ./...' }, npmOnly);
    const { outcome } = await result;
    expect(outcome.phase).not.toBe('Failed');
    expect(outcome.improvement?.type).not.toBe('security');
    expect(outcome.security?.note).toMatch(/the dependency scan failed/);
    expect(lines()).toContain('dependency scan incomplete');
  }, 300_000);

  it('the fix that breaks the tests is not committed, and the run says why', async () => {
    sb = sandbox('npm-advisory', { withWorkBranch: true });
    const before = sb.sha('develop');
    // A test command that holds the old version: the upgrade cannot pass it.
    const { result } = run({
      command:
        "node --test && node -e \"process.exit(require('minimist/package.json').version === '1.2.5' ? 0 : 1)\"",
      setupCommand: 'npm ci --ignore-scripts --no-audit --no-fund',
    });
    const { outcome } = await result;
    expect(outcome.phase).toBe('Failed');
    expect(outcome.failure?.reason).toBe('TestsFailed');
    expect(outcome.improvement).toMatchObject({ type: 'security', priority: 'P0' });
    expect(JSON.parse(sb.show('develop', 'package.json')!).dependencies.minimist).toBe('^1.2.5');
    expect(sb.show(before!, 'package-lock.json')).toBe(sb.show('develop', 'package-lock.json'));
  }, 300_000);
});

describe('opencode-runner run --dry-run --advisory-db', () => {
  let sb: Sandbox;
  afterEach(() => sb?.cleanup());

  it("reports the scan, chooses the advisory, and shows the package manager's diff", async () => {
    sb = sandbox('npm-advisory', { withWorkBranch: true });
    const refsBefore = git(sb.bare, ['for-each-ref']);
    const r = runnerCli(
      [
        'run',
        '--repo',
        sb.bare,
        '--dry-run',
        '--model-provider',
        'builtin',
        '--no-ramp-up',
        '--setup-command',
        'npm ci --ignore-scripts --no-audit --no-fund',
        '--advisory-db',
        db,
        '--workspace',
        sb.workspace,
      ],
      { ...process.env, [OSV_SCANNER_ENV]: scanner },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^Dependencies: vulnerable: 1 critical \(osv-scanner \d+\.\d+\.\d+, local advisory database\)$/m,
    );
    expect(r.stdout).toContain(
      'P0 security      Upgrade minimist 1.2.5 to 1.2.6 (GHSA-xvch-5gv4-984h)',
    );
    expect(r.stdout).toContain(
      'Chose: P0 security: upgrade minimist to 1.2.6 (GHSA-xvch-5gv4-984h)',
    );
    expect(r.stdout).toContain('+    "minimist": "^1.2.6"');
    expect(git(sb.bare, ['for-each-ref'])).toBe(refsBefore);
  }, 300_000);
});
