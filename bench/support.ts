// Shared by the benchmarks: the project's CRDs on a test control plane.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ControlPlane } from '../test/controlplane/controlplane.ts';

const crdDir = join(import.meta.dirname, '..', 'config', 'crd');

/** Applies config/crd with the control plane's kubectl and waits until the CRDs are Established. */
export function installCrds(cp: ControlPlane): void {
  const kubectl = (...args: string[]) =>
    execFileSync(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfig, ...args], {
      stdio: 'ignore',
    });
  kubectl('apply', '-f', crdDir);
  kubectl('wait', '--for=condition=Established', '-f', crdDir);
}
