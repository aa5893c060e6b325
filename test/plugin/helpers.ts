// Runs the plugin as users do: a separate process, configured only through
// its flags and KUBECONFIG.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { GROUP, VERSION } from '../../src/crds/index.ts';
import { repoRoot, type CmdResult } from '../support/kube.ts';
import { clients } from '../support/operator.ts';

export const node = join(repoRoot, 'node_modules/.bin/node');
export const pluginEntry = join(repoRoot, 'src/cli/kubectl-improve.ts');

export function plugin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [pluginEntry, ...args], {
      env: { ...process.env, ...env },
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Writes status through the status subresource, as the operator does. */
export async function patchStatus(
  namespace: string,
  plural: 'improvementtargets' | 'improvementruns',
  name: string,
  status: object,
): Promise<void> {
  const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  await clients().custom.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace, plural, name, body: { status } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

export async function createRun(
  namespace: string,
  name: string,
  target: string,
  trigger = 'schedule',
): Promise<void> {
  await clients().custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: 'improvementruns',
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ImprovementRun',
      metadata: { name, labels: { [`${GROUP}/target`]: target } },
      spec: { targetRef: { name: target }, trigger },
    },
  });
}

/** A condition as metav1.Condition requires it. */
export const condition = (type: string, status: string, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
});
