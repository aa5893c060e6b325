// Helpers for the chart tests: helm built from tools/helm, rendering the
// chart, and splitting manifests into objects.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { ensureHelm } from '../../tools/helm/build.ts';
import { type CmdResult, repoRoot } from '../support/kube.ts';

export const CHART = join(repoRoot, 'charts', 'opencode-operator');
export const FIXTURES = join(import.meta.dirname, 'fixtures');
/** The Kubernetes version of the test control plane, for `helm template --kube-version`. */
export const KUBE_VERSION = 'v1.36.3';

// Helm keeps config, cache and plugins under HOME by default: keep them out.
let helmHome: string | undefined;
function helmEnv(): NodeJS.ProcessEnv {
  helmHome ??= mkdtempSync(join(tmpdir(), 'helm-home-'));
  return {
    ...process.env,
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
}

/** Runs a command and collects its output. */
export function run(cmd: string, args: string[], input = ''): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, env: helmEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Builds helm before the file's tests (a first build takes minutes). */
export function useHelm(): void {
  beforeAll(() => {
    ensureHelm((m) => process.stderr.write(`${m}\n`));
  }, 20 * 60_000);
}

export function helm(args: string[]): Promise<CmdResult> {
  return run(ensureHelm(), args);
}

export interface RenderOptions {
  valuesFile?: string;
  /** --set-json key=value pairs. */
  setJson?: Record<string, unknown>;
  set?: string[];
  includeCrds?: boolean;
}

/** `helm template`; throws with helm's stderr on failure. */
export async function renderChart(
  release: string,
  namespace: string,
  opts: RenderOptions = {},
): Promise<string> {
  const r = await helm(templateArgs(release, namespace, opts));
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

export function templateArgs(release: string, namespace: string, opts: RenderOptions): string[] {
  const args = [
    'template',
    release,
    CHART,
    '--namespace',
    namespace,
    '--kube-version',
    KUBE_VERSION,
  ];
  if (opts.includeCrds) args.push('--include-crds');
  if (opts.valuesFile) args.push('--values', opts.valuesFile);
  for (const [k, v] of Object.entries(opts.setJson ?? {}))
    args.push('--set-json', `${k}=${JSON.stringify(v)}`);
  for (const s of opts.set ?? []) args.push('--set', s);
  return args;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
}

export function objects(manifests: string): KubeObject[] {
  return parseAllDocuments(manifests)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object');
}

export function find(objs: KubeObject[], kind: string, name?: string): KubeObject {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in the rendered chart`);
  return o;
}
