// Helpers for integration tests: clients for the real API server, our
// kubectl, a fresh namespace per test file, and kube-controller-manager on
// request.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { withConnectionReuse } from '../../src/kube/connection-reuse.ts';
import { ControlPlane } from '../controlplane/controlplane.ts';
import { ENV } from './env.ts';

export const repoRoot = join(import.meta.dirname, '..', '..');

let shared: KubeConfig | undefined;

/** The test cluster's KubeConfig, one per worker, with pooled connections (src/kube/connection-reuse.ts). */
export function kubeConfig(): KubeConfig {
  if (!shared) {
    shared = withConnectionReuse(new KubeConfig());
    shared.loadFromDefault();
  }
  return shared;
}

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function kubectlPath(): string {
  const dir = process.env[ENV.binDir];
  if (!dir)
    throw new Error(`${ENV.binDir} is not set: run integration tests through jest's global setup`);
  return join(dir, 'kubectl');
}

/** Runs the kubectl we built against the test cluster. */
export function kubectl(
  args: string[],
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath(), args, {
      env: { ...process.env, ...opts.env },
      cwd: repoRoot,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Like kubectl(), but throws with kubectl's stderr when it fails. */
export async function kubectlOk(args: string[], opts: { input?: string } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Installs the CRDs from config/crd (idempotent) and waits until they are Established. */
export async function installCrds(): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', 'config/crd']);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', '-f', 'config/crd']);
  // Refresh kubectl's discovery cache: categories (`get improvements`) resolve only from it.
  await kubectlOk(['api-resources']);
}

/** A fresh namespace for this test file, deleted afterwards. */
export function useNamespace(prefix = 't', labels: Record<string, string> = {}): () => string {
  let name = '';
  beforeAll(async () => {
    name = `${prefix}-${randomBytes(4).toString('hex')}`;
    await kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name, labels } } });
  });
  afterAll(async () => {
    if (name)
      await kubeConfig()
        .makeApiClient(CoreV1Api)
        .deleteNamespace({ name })
        .catch(() => undefined);
  });
  return () => name;
}

/** kube-controller-manager for this test file (Job, GC and CronJob controllers). */
export function useControllerManager(): void {
  let cp: ControlPlane | undefined;
  let name = '';
  beforeAll(async () => {
    const info = process.env[ENV.controlPlane];
    if (!info) return; // an existing cluster has its own controllers
    cp = ControlPlane.attach(JSON.parse(info));
    name = await cp.startControllerManager();
  });
  afterAll(async () => {
    if (cp && name) await cp.stopControllerManager(name);
  });
}
