// Jest global setup for the integration project: one real control plane for
// the whole run (or the user's cluster with USE_EXISTING_CLUSTER=true, as
// envtest does). Workers inherit the environment set here.
import { ensureDockerfileLint } from '../../tools/dockerfile-lint/build.ts';
import { ensureGitleaks } from '../../tools/gitleaks/build.ts';
import { ensureHelm } from '../../tools/helm/build.ts';
import { ensureOsvScanner } from '../../tools/osv-scanner/build.ts';
import { ensureBuilt } from '../controlplane/build.ts';
import { ControlPlane } from '../controlplane/controlplane.ts';
import { join } from 'node:path';
import type { Config } from '@jest/types';
import {
  prepareRealNode,
  REAL_NODE_ENV,
  REAL_NODE_ERROR_ENV,
  realNodeUnsupported,
} from '../node/prepare.ts';
import { ensureDebianPackage } from './debian.ts';
import { ENV } from './env.ts';

declare global {
  var __OPENCODE_CONTROLPLANE__: ControlPlane | undefined;
}

/** Whether this run includes `file` (its --testPathPatterns and testPathIgnorePatterns). */
function runIncludes(
  globalConfig: Config.GlobalConfig | undefined,
  projectConfig: Config.ProjectConfig | undefined,
  file: string,
): boolean {
  if (!globalConfig || !projectConfig) return true;
  const rel = file.slice(projectConfig.rootDir.length);
  if (
    projectConfig.testPathIgnorePatterns.some(
      (p) => new RegExp(p).test(file) || new RegExp(p).test(rel),
    )
  )
    return false;
  return globalConfig.testPathPatterns.toExecutor({ rootDir: globalConfig.rootDir }).isMatch(file);
}

export default async function globalSetup(
  globalConfig?: Config.GlobalConfig,
  projectConfig?: Config.ProjectConfig,
): Promise<void> {
  const log = (m: string) => process.stderr.write(`\n${m}\n`);
  const binDir = ensureBuilt(log);
  // Built here, once and before any worker starts, rather than inside a suite's timeout;
  // workers' ensureHelm()/ensureDockerfileLint()/ensureGitleaks() then find them in the cache.
  ensureHelm(log);
  ensureDockerfileLint(log);
  // Not put on the runners' way (OPENCODE_OSV_SCANNER): without a database a
  // scan asks osv.dev, which cannot be reached here; the security suite sets it.
  ensureOsvScanner(log);
  ensureDebianPackage('prometheus', 'promtool', log, [
    'systemctl stop prometheus',
    'service prometheus stop',
  ]);
  // The real node's packages, binaries and images, only when a suite that uses
  // it runs (docs/real-node.md): built here so that no suite's timeout counts a build.
  const nodeSuites = [
    'node/node.test.ts',
    'node/run-e2e.test.ts',
    'node/run-failures.test.ts',
    'demo/demo.test.ts',
  ].map((f) => join(import.meta.dirname, '..', f));
  if (
    !realNodeUnsupported() &&
    nodeSuites.some((s) => runIncludes(globalConfig, projectConfig, s))
  ) {
    try {
      process.env[REAL_NODE_ENV] = JSON.stringify(prepareRealNode(log));
    } catch (err) {
      // Only the node's suites fail (with this reason); the others run.
      log(`real node: cannot prepare it: ${(err as Error).message}`);
      process.env[REAL_NODE_ERROR_ENV] = (err as Error).message.slice(-4000);
    }
  }
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
