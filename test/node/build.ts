// Builds the real node's binaries once into the cache outside the clone:
// kubelet, kube-scheduler and kube-proxy from the same pinned k8s.io/kubernetes
// module as the control plane (test/controlplane/go.mod lists them as tools),
// plus node-helper (certificates) and pause (the sandbox image's process) from
// this folder's module. Keyed by the Kubernetes version and a hash of both
// modules' files, like test/controlplane/build.ts.
//
//   node test/node/build.ts        build if missing, print the directory
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, go, pinnedVersions, versionStamp } from '../controlplane/build.ts';

const here = import.meta.dirname;
const controlplaneDir = join(here, '..', 'controlplane');

export const NODE_BINARIES = [
  'kubelet',
  'kube-scheduler',
  'kube-proxy',
  'node-helper',
  'pause',
] as const;

export function nodeBinDir(): string {
  const { kubernetes } = pinnedVersions();
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum']) hash.update(readFileSync(join(controlplaneDir, f)));
  for (const f of ['go.mod', 'helper/main.go', 'pause/main.go'])
    hash.update(readFileSync(join(here, f)));
  return join(cacheRoot(), 'node', `k8s-${kubernetes}-${hash.digest('hex').slice(0, 12)}`);
}

export function isNodeBuilt(dir = nodeBinDir()): boolean {
  return NODE_BINARIES.every((b) => existsSync(join(dir, b)));
}

/** Returns the directory holding the node's binaries, building them first if needed. */
export function ensureNodeBuilt(log: (msg: string) => void = (m) => console.error(m)): string {
  const dir = nodeBinDir();
  if (isNodeBuilt(dir)) return dir;
  const { kubernetes } = pinnedVersions();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  log(`building the real node (kubelet, kube-scheduler, kube-proxy ${kubernetes}) into ${dir}`);
  try {
    go([
      'build',
      '-ldflags',
      `-s -w ${versionStamp()}`,
      '-o',
      `${tmp}/`,
      'k8s.io/kubernetes/cmd/kubelet',
      'k8s.io/kubernetes/cmd/kube-scheduler',
      'k8s.io/kubernetes/cmd/kube-proxy',
    ]);
    go(['build', '-ldflags', '-s -w', '-o', join(tmp, 'node-helper'), './helper'], {}, here);
    // Static: it is the only file of an image FROM scratch.
    go(
      ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(tmp, 'pause'), './pause'],
      { CGO_ENABLED: '0' },
      here,
    );
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process finished the same build first: theirs is as good as ours.
      if (!isNodeBuilt(dir)) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  log(`built the real node in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  return dir;
}

if (import.meta.main) {
  console.log(ensureNodeBuilt());
}
