// The vulnerability scan of a repository's lockfiles and manifests: one kept
// scanner across ecosystems, osv-scanner, reading the OSV database (osv.dev,
// or a local copy in OSV's documented layout for air-gapped clusters and for
// tests). It only parses files; the repository's code never runs. When the
// scanner or its database cannot be had, the report says so and the run
// carries on.
import { execFile } from 'node:child_process';
import { relative } from 'node:path';
import { compare as semverCompare, valid as semverValid } from 'semver';
import { SEVERITIES, type ImprovementRunStatus } from '../../crds/index.ts';
import { JOB_ENV } from '../../contracts/job-env.ts';
import { scrubbedEnv } from '../testing/run-tests.ts';
import { resolveTool } from '../../util/which.ts';

/** Env var naming the osv-scanner binary (set in the runner image). */
export const OSV_SCANNER_ENV = 'OPENCODE_OSV_SCANNER';
/** Env var naming a local advisory database (same as the runner's --advisory-db). */
export const ADVISORY_DB_ENV = JOB_ENV.advisoryDb;

const SCAN_TIMEOUT_MS = 5 * 60_000;

export type Severity = (typeof SEVERITIES)[number];

/** One vulnerable package version, with every advisory that names it. */
export interface AdvisoryFinding {
  /** OSV ecosystem as OSV spells it: `npm`, `Go`, `PyPI`, `crates.io`… */
  ecosystem: string;
  name: string;
  version: string;
  /** The lockfile or manifest it was found in, repository-relative. */
  source: string;
  /** Advisory ids, one per advisory (the first id of each OSV group). */
  ids: string[];
  summary: string;
  severity: Severity;
  /** The smallest version that fixes every advisory here; absent when none is published. */
  fixed?: string;
}

export interface SecurityReport {
  /** `osv-scanner <version>`, or undefined when no scanner ran. */
  scanner?: string;
  /** `osv.dev`, or `local` (a local database: --advisory-db). */
  database: 'osv.dev' | 'local';
  findings: AdvisoryFinding[];
  /** Why the scan did not run or did not finish, when it did not. */
  note?: string;
}

export interface ScanOptions {
  /** The osv-scanner binary; resolveOsvScanner() when absent. */
  scanner?: string;
  /** A local database directory (OSV's offline layout); absent: osv.dev. */
  advisoryDb?: string;
  env?: NodeJS.ProcessEnv;
}

export function resolveOsvScanner(
  opts: { option?: string; env?: NodeJS.ProcessEnv } = {},
): string | undefined {
  return resolveTool('osv-scanner', OSV_SCANNER_ENV, opts);
}

/** Scans `dir` (the runner's clone) and returns what it found, or why it found nothing. */
export async function scanDependencies(
  dir: string,
  opts: ScanOptions = {},
): Promise<SecurityReport> {
  const env = opts.env ?? process.env;
  const database = opts.advisoryDb ? 'local' : 'osv.dev';
  const bin = opts.scanner ?? resolveOsvScanner({ env });
  if (!bin)
    return {
      database,
      findings: [],
      note: `no osv-scanner binary (${OSV_SCANNER_ENV} unset, none on PATH): dependencies were not scanned`,
    };
  const version = await scannerVersion(bin);
  const args = ['scan', 'source', '--recursive', '--format', 'json'];
  // Call analysis would build the code (and run Rust build scripts): never.
  args.push('--no-call-analysis=all');
  if (opts.advisoryDb) args.push('--offline');
  args.push('.');
  const run = await exec(bin, args, dir, {
    ...scrubbedEnv(),
    ...(opts.advisoryDb ? { OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY: opts.advisoryDb } : {}),
  });
  const scanner = `osv-scanner ${version}`;
  // 0: nothing found; 1: vulnerabilities found; 128: no lockfile or manifest.
  if (run.code === 128) return { scanner, database, findings: [] };
  if (run.code !== 0 && run.code !== 1)
    return {
      scanner,
      database,
      findings: [],
      note: `the dependency scan failed (exit ${run.code}): ${lastError(run.stderr)}`,
    };
  try {
    return { scanner, database, findings: parseOsvOutput(JSON.parse(run.stdout), dir) };
  } catch (err) {
    return {
      scanner,
      database,
      findings: [],
      note: `the dependency scan's output could not be read: ${(err as Error).message}`,
    };
  }
}

function lastError(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const err = lines.filter((l) => /error|unable|could not|failed/i.test(l));
  return (err.at(-1) ?? lines.at(-1) ?? '').slice(0, 500);
}

async function scannerVersion(bin: string): Promise<string> {
  const r = await exec(bin, ['--version'], undefined, scrubbedEnv());
  return /osv-scanner version:\s*(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

function exec(
  bin: string,
  args: string[],
  cwd: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { cwd, env, timeout: SCAN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 127) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

// --- osv-scanner's JSON ------------------------------------------------------

interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
}
export interface OsvEntry {
  id: string;
  summary?: string;
  affected?: {
    package?: { ecosystem?: string; name?: string };
    ranges?: { type?: string; events?: OsvEvent[] }[];
  }[];
  database_specific?: { severity?: string };
}
export interface OsvOutput {
  results?: {
    source?: { path?: string };
    packages?: {
      package?: { name?: string; version?: string; ecosystem?: string };
      groups?: { ids?: string[]; max_severity?: string }[];
      vulnerabilities?: OsvEntry[];
    }[];
  }[];
}

/** osv-scanner's `--format json` as findings, one per package version and source file. */
export function parseOsvOutput(out: OsvOutput, root: string): AdvisoryFinding[] {
  const findings: AdvisoryFinding[] = [];
  for (const result of out.results ?? []) {
    const path = result.source?.path ?? '';
    const source = path.startsWith('/') ? relative(root, path) : path;
    for (const p of result.packages ?? []) {
      const { name, version, ecosystem } = p.package ?? {};
      if (!name || !version || !ecosystem) continue;
      const entries = new Map((p.vulnerabilities ?? []).map((v) => [v.id, v]));
      const groups = p.groups?.length
        ? p.groups
        : [...entries.keys()].map((id) => ({ ids: [id], max_severity: '' }));
      const ids: string[] = [];
      const severities: Severity[] = [];
      const fixes: (string | undefined)[] = [];
      let summary = '';
      for (const g of groups) {
        const members = (g.ids ?? []).map((id) => entries.get(id)).filter((e) => e !== undefined);
        if (!members.length) continue;
        ids.push(members[0]!.id);
        summary ||= members.find((m) => m.summary)?.summary ?? '';
        severities.push(severityOf(g.max_severity, members));
        // Any advisory of the group, fixed, fixes the group.
        const groupFixes = members.map((m) => fixedVersion(m, ecosystem, name, version));
        fixes.push(highest(groupFixes.filter((f) => f !== undefined)));
      }
      if (!ids.length) continue;
      const fixed = fixes.includes(undefined)
        ? undefined
        : highest(fixes.filter((f) => f !== undefined));
      findings.push({
        ecosystem,
        name,
        version,
        source,
        ids,
        summary,
        severity: worst(severities),
        ...(fixed ? { fixed } : {}),
      });
    }
  }
  return findings;
}

/** A CVSS base score as osv-scanner reports it, else the database's own word. */
export function severityOf(maxSeverity: string | undefined, entries: OsvEntry[]): Severity {
  const score = Number.parseFloat(maxSeverity ?? '');
  if (Number.isFinite(score) && score > 0) {
    if (score >= 9) return 'critical';
    if (score >= 7) return 'high';
    if (score >= 4) return 'medium';
    return 'low';
  }
  const words = entries.map((e) => e.database_specific?.severity?.toLowerCase());
  const mapped = words.map((w) => (w === 'moderate' ? 'medium' : w));
  return worst(mapped.filter((w): w is Severity => SEVERITIES.includes(w as Severity)));
}

function worst(s: Severity[]): Severity {
  for (const level of SEVERITIES) if (s.includes(level)) return level;
  return 'unknown';
}

/**
 * The `fixed` event of the SEMVER range that holds `version`: the smallest
 * version that fixes this advisory. Undefined when no range holding it has a fix.
 */
export function fixedVersion(
  entry: OsvEntry,
  ecosystem: string,
  name: string,
  version: string,
): string | undefined {
  const v = norm(version);
  if (!v) return undefined;
  for (const a of entry.affected ?? []) {
    if (a.package?.ecosystem !== ecosystem || a.package?.name !== name) continue;
    for (const r of a.ranges ?? []) {
      if (r.type !== 'SEMVER') continue;
      let introduced: string | undefined;
      for (const e of r.events ?? []) {
        if (e.introduced !== undefined)
          introduced = e.introduced === '0' ? '0.0.0' : norm(e.introduced);
        if (e.fixed !== undefined && introduced) {
          const fixed = norm(e.fixed);
          if (fixed && semverCompare(v, introduced) >= 0 && semverCompare(v, fixed) < 0)
            return e.fixed;
          introduced = undefined;
        }
      }
    }
  }
  return undefined;
}

/** OSV's SEMVER versions carry no `v` (Go's do in go.mod). */
function norm(version: string): string | undefined {
  return semverValid(version.replace(/^v/, '')) ?? undefined;
}

function highest(versions: string[]): string | undefined {
  return versions.reduce<string | undefined>(
    (best, v) => (best === undefined || semverCompare(norm(v)!, norm(best)!) > 0 ? v : best),
    undefined,
  );
}

/** The report as the run's status shows it: counts by severity, the worst advisories first. */
export function securityStatus(r: SecurityReport): NonNullable<ImprovementRunStatus['security']> {
  const findings = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of r.findings) findings[f.severity]++;
  const rank = (f: AdvisoryFinding) => SEVERITIES.indexOf(f.severity);
  const worst = [...r.findings].sort((a, b) => rank(a) - rank(b)).slice(0, 16);
  return {
    ...(r.scanner ? { scanner: r.scanner.slice(0, 63) } : {}),
    database: r.database,
    ...(r.note ? { note: r.note.slice(0, 1024) } : {}),
    findings,
    advisories: worst.map((f) => ({
      ids: f.ids.slice(0, 8).map((id) => id.slice(0, 128)),
      package: f.name.slice(0, 256),
      version: f.version.slice(0, 128),
      severity: f.severity,
      ...(f.fixed ? { fixed: f.fixed.slice(0, 128) } : {}),
      source: f.source.slice(0, 512),
    })),
  };
}
