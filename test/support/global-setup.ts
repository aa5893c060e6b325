// Jest global setup for the integration project: one real control plane for
// the whole run (or the user's cluster with USE_EXISTING_CLUSTER=true, as
// envtest does). Workers inherit the environment set here.
import { ensureDockerfileLint } from '../../tools/dockerfile-lint/build.ts';
import { ensureGitleaks } from '../../tools/gitleaks/build.ts';
import { ensureHelm } from '../../tools/helm/build.ts';
import { ensureBuilt } from '../controlplane/build.ts';
import { ControlPlane } from '../controlplane/controlplane.ts';
import { ensureDebianPackage } from './debian.ts';
import { ENV } from './env.ts';

declare global {
  var __OPENCODE_CONTROLPLANE__: ControlPlane | undefined;
}

export default async function globalSetup(): Promise<void> {
  const log = (m: string) => process.stderr.write(`\n${m}\n`);
  const binDir = ensureBuilt(log);
  // Built here, once and before any worker starts, rather than inside a suite's timeout;
  // workers' ensureHelm()/ensureDockerfileLint()/ensureGitleaks() then find them in the cache.
  ensureHelm(log);
  ensureDockerfileLint(log);
  ensureDebianPackage('prometheus', 'promtool', log, [
    'systemctl stop prometheus',
    'service prometheus stop',
  ]);
  // The runner finds it like the image provides it: through OPENCODE_GITLEAKS.
  process.env.OPENCODE_GITLEAKS = ensureGitleaks(log);
  process.env[ENV.binDir] = binDir;
  if (process.env.USE_EXISTING_CLUSTER === 'true') {
    if (!process.env.KUBECONFIG)
      throw new Error('USE_EXISTING_CLUSTER=true needs KUBECONFIG to point at the cluster');
    return;
  }
  const started = Date.now();
  const cp = new ControlPlane({ binDir });
  await cp.start();
  globalThis.__OPENCODE_CONTROLPLANE__ = cp;
  process.env.KUBECONFIG = cp.kubeconfig;
  process.env[ENV.controlPlane] = JSON.stringify(cp.info());
  process.stderr.write(`control plane up at ${cp.server} in ${Date.now() - started}ms\n`);
}
