// The secret scan of a change before it is committed: (a) the runner's own
// secret values (forge token, model API key) and their base64 forms, by exact
// substring; (b) gitleaks' default rules over the added content, when a
// gitleaks binary is at hand (the image ships one: OPENCODE_GITLEAKS).
//
// Findings name the rule, the file and the line, never the matched text; the
// errors thrown here never carry text of the scanned content either.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { OperatorError } from '../../util/errors.ts';
import { resolveTool } from '../../util/which.ts';

/** Env var naming the gitleaks binary (set in the runner image). */
export const GITLEAKS_ENV = 'OPENCODE_GITLEAKS';

/** Rule of a finding of a runner secret, verbatim. */
export const OWN_SECRET_RULE = 'runner-secret';
/** Rule of a finding of a runner secret in base64 (or base64url). */
export const OWN_SECRET_BASE64_RULE = 'runner-secret-base64';

/** Values shorter than this are not scanned for (the logger's registry uses the same floor). */
const MIN_SECRET_LENGTH = 6;
/** A base64 form shorter than this (under 6 bytes encoded) would match by chance. */
const MIN_BASE64_LENGTH = 8;
const GITLEAKS_TIMEOUT_MS = 5 * 60_000;

export interface SecretFinding {
  /** gitleaks' RuleID, or OWN_SECRET_RULE / OWN_SECRET_BASE64_RULE. */
  rule: string;
  path: string;
  /** 1-based. */
  line?: number;
}

export type SecretScanner = `gitleaks ${string}` | 'own-secrets-only';

export interface SecretScanResult {
  findings: SecretFinding[];
  /** What ran: gitleaks (with its version) and the own-secret check, or the latter only. */
  scanner: SecretScanner;
  /** Set when the pattern scan was skipped, saying why. */
  note?: string;
}

export interface SecretScanInput {
  /** The content the change adds, by repository-relative path. */
  files: { path: string; content: string }[];
  /** The runner's own secret values (forge token, model API key). */
  ownSecrets: string[];
  /** gitleaks binary; when absent, resolveGitleaks() looks in env and PATH. */
  gitleaks?: string;
  /** Environment for resolveGitleaks() (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The gitleaks binary to run: the option (`--gitleaks <path>`), else
 * $OPENCODE_GITLEAKS, else `gitleaks` on PATH; undefined when none.
 */
export function resolveGitleaks(
  opts: { option?: string; env?: NodeJS.ProcessEnv } = {},
): string | undefined {
  return resolveTool('gitleaks', GITLEAKS_ENV, opts);
}

/** Scans the content a change adds for secrets; see the file comment. */
export async function scanForSecrets(input: SecretScanInput): Promise<SecretScanResult> {
  for (const f of input.files) checkPath(f.path);
  const own = ownSecretFindings(input.files, input.ownSecrets);
  const found = input.gitleaks ?? resolveGitleaks({ env: input.env ?? process.env });
  // gitleaks runs in a temp dir: a relative path is taken from here first.
  const bin = found?.includes('/') ? resolve(found) : found;
  if (!bin) {
    return {
      findings: own,
      scanner: 'own-secrets-only',
      note: `no gitleaks binary (${GITLEAKS_ENV} unset, none on PATH): the pattern scan was skipped, only the runner's own secrets were looked for`,
    };
  }
  const { version, findings } = await runGitleaks(bin, input.files, input.ownSecrets);
  return { findings: sortFindings([...own, ...findings]), scanner: `gitleaks ${version}` };
}

// --- own secrets -------------------------------------------------------------

/** Exact-substring findings of the runner's secret values and their base64 forms. */
export function ownSecretFindings(
  files: { path: string; content: string }[],
  ownSecrets: string[],
): SecretFinding[] {
  const needles: { text: string; rule: string }[] = [];
  for (const value of new Set(ownSecrets)) {
    if (!value || value.length < MIN_SECRET_LENGTH) continue;
    needles.push({ text: value, rule: OWN_SECRET_RULE });
    for (const text of base64Forms(value)) needles.push({ text, rule: OWN_SECRET_BASE64_RULE });
  }
  const out: SecretFinding[] = [];
  for (const f of files) {
    for (const n of needles) {
      for (let i = f.content.indexOf(n.text); i !== -1; i = f.content.indexOf(n.text, i + 1)) {
        out.push({ rule: n.rule, path: f.path, line: lineAt(f.content, i) });
      }
    }
  }
  return sortFindings(out);
}

/**
 * The base64 and base64url text any encoding containing the value must
 * contain, whatever the value's offset in the encoded bytes (e.g. the token
 * inside base64("x-access-token:" + token)): for each of the three
 * alignments, the encoding of the value's whole 3-byte groups.
 */
export function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>();
  for (let skip = 0; skip < 3; skip++) {
    const body = bytes.subarray(skip);
    const whole = body.subarray(0, body.length - (body.length % 3));
    const std = whole.toString('base64');
    if (std.length < MIN_BASE64_LENGTH) continue;
    forms.add(std);
    forms.add(whole.toString('base64url'));
  }
  // The full encoding with its padding, as `echo -n $TOKEN | base64` writes it.
  forms.add(bytes.toString('base64'));
  forms.add(bytes.toString('base64url'));
  return [...forms].filter((f) => f !== value && f.length >= MIN_BASE64_LENGTH);
}

function lineAt(content: string, index: number): number {
  let line = 1;
  for (let i = content.indexOf('\n'); i !== -1 && i < index; i = content.indexOf('\n', i + 1))
    line++;
  return line;
}

function sortFindings(findings: SecretFinding[]): SecretFinding[] {
  const seen = new Set<string>();
  return findings
    .filter((f) => {
      const key = `${f.path}\0${f.line ?? 0}\0${f.rule}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort(
      (a, b) =>
        (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
        (a.line ?? 0) - (b.line ?? 0) ||
        (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0),
    );
}

/** Repository-relative, normalized, inside the tree: anything else is refused. */
function checkPath(path: string): void {
  const bad =
    !path ||
    path.includes('\0') ||
    path.includes('\\') ||
    posix.isAbsolute(path) ||
    posix.normalize(path) !== path ||
    path.split('/').some((s) => s === '..' || s === '.' || s === '');
  if (bad)
    throw new OperatorError(
      'SecretScanFailed',
      `secret scan: bad file path ${JSON.stringify(path)}`,
    );
}

// --- gitleaks ----------------------------------------------------------------

// Layout of the private temp dir (gitleaks runs with it as cwd):
//   config.toml   gitleaks' default rules, named explicitly
//   ignore/       empty: the --gitleaks-ignore-path
//   files/tree/   the change's files at their repository paths
// The scanned source is `files`, so a `.gitleaks.toml` or `.gitleaksignore`
// the change adds lies in files/tree/ and configures nothing.
const SOURCE = 'files';
const TREE = `${SOURCE}/tree/`;
const CONFIG = '[extend]\nuseDefault = true\n';

interface GitleaksReportEntry {
  RuleID?: unknown;
  File?: unknown;
  StartLine?: unknown;
}

const versions = new Map<string, Promise<string>>();

async function runGitleaks(
  bin: string,
  files: { path: string; content: string }[],
  ownSecrets: string[],
): Promise<{ version: string; findings: SecretFinding[] }> {
  const fail = (what: string, err: unknown) =>
    new OperatorError(
      'SecretScanFailed',
      `secret scan: ${what}: ${scrub(errText(err), files, ownSecrets)}`,
    );
  let version = versions.get(bin);
  if (!version) {
    version = exec(bin, ['version'], tmpdir()).then((out) => {
      const v = /\bv?(\d+\.\d+\.\d+\S*)/.exec(out.stdout)?.[1];
      return v ? `v${v}` : '(version unknown)';
    });
    versions.set(bin, version);
    version.catch(() => versions.delete(bin));
  }
  let v: string;
  try {
    v = await version;
  } catch (err) {
    throw fail(`cannot run gitleaks at ${bin}`, err);
  }

  const dir = await mkdtemp(join(tmpdir(), 'opencode-secrets-'));
  try {
    await writeFile(join(dir, 'config.toml'), CONFIG, { mode: 0o600 });
    await mkdir(join(dir, 'ignore'), { mode: 0o700 });
    await mkdir(join(dir, TREE), { recursive: true, mode: 0o700 });
    for (const f of files) {
      const target = join(dir, TREE, f.path);
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await writeFile(target, f.content, { mode: 0o600 });
    }
    const args = [
      'dir',
      SOURCE,
      '--no-banner',
      '--no-color',
      '--config',
      'config.toml',
      '--gitleaks-ignore-path',
      'ignore',
      // A `gitleaks:allow` comment in the change must not silence the scan.
      '--ignore-gitleaks-allow',
      '--report-format',
      'json',
      '--report-path',
      'report.json',
      '--exit-code',
      '0',
      '--redact',
      '--log-level',
      'error',
    ];
    try {
      await exec(bin, args, dir);
    } catch (err) {
      throw fail(`gitleaks ${v} failed`, err);
    }
    let report: unknown;
    try {
      report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
    } catch (err) {
      throw fail(`gitleaks ${v} wrote no readable report`, err);
    }
    if (!Array.isArray(report)) throw fail(`gitleaks ${v} report`, 'not a JSON array');
    return { version: v, findings: (report as GitleaksReportEntry[]).map(toFinding) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function toFinding(e: GitleaksReportEntry): SecretFinding {
  const file = typeof e.File === 'string' ? e.File.replace(/\\/g, '/') : '';
  const path = file.startsWith(TREE) ? file.slice(TREE.length) : file;
  const line = typeof e.StartLine === 'number' && e.StartLine > 0 ? e.StartLine : undefined;
  const rule = typeof e.RuleID === 'string' && e.RuleID ? e.RuleID : 'unknown';
  return line === undefined ? { rule, path } : { rule, path, line };
}

function exec(bin: string, args: string[], cwd: string): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      {
        cwd,
        // Nothing of the runner's environment: no GITLEAKS_CONFIG(_TOML), no tokens.
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd },
        timeout: GITLEAKS_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr }));
        else resolve({ stdout });
      },
    );
  });
}

// eslint-disable-next-line no-control-regex
const ANSI_COLOR = /\x1b\[[0-9;]*m/g;

function errText(err: unknown): string {
  if (typeof err === 'string') return err;
  const e = err as { code?: unknown; signal?: unknown; killed?: unknown; stderr?: unknown };
  const parts: string[] = [];
  if (e?.killed && e.signal) parts.push(`killed (${String(e.signal)}, timeout?)`);
  else if (typeof e?.code === 'number') parts.push(`exit code ${e.code}`);
  else if (typeof e?.code === 'string') parts.push(e.code);
  else if (err instanceof Error) parts.push(err.name);
  const stderr = typeof e?.stderr === 'string' ? e.stderr : '';
  const tail = stderr.replace(ANSI_COLOR, '').trim().split('\n').slice(-5).join(' | ');
  if (tail) parts.push(tail.slice(-1000));
  return parts.join(': ') || 'unknown error';
}

/**
 * Removes from a message every run of 8 or more characters that occurs in
 * the scanned content, and the runner's secrets: gitleaks' stderr must not
 * carry what it found into an error message.
 */
export function scrub(
  text: string,
  files: { content: string }[],
  ownSecrets: string[] = [],
): string {
  const W = 8;
  let out = text;
  for (const s of ownSecrets)
    if (s && s.length >= MIN_SECRET_LENGTH) out = out.split(s).join('[REDACTED]');
  const hidden = new Array<boolean>(out.length).fill(false);
  for (let i = 0; i + W <= out.length; i++) {
    const window = out.slice(i, i + W);
    if (files.some((f) => f.content.includes(window))) hidden.fill(true, i, i + W);
  }
  let result = '';
  for (let i = 0; i < out.length; i++) {
    if (!hidden[i]) result += out[i];
    else if (!hidden[i - 1]) result += '[REDACTED]';
  }
  return result;
}
