// Builds the test control plane's binaries once into a cache outside the
// clone, keyed by the pinned versions and a hash of this folder's Go
// sources, so a fresh clone (or a second test run) reuses them.
//
//   node test/controlplane/build.ts        build if missing, print the directory
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const here = import.meta.dirname;

export const BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kubectl',
  'controlplane-helper',
] as const;
export type Binary = (typeof BINARIES)[number];

/** Versions pinned in go.mod: the cache key starts with them. */
export function pinnedVersions(): { kubernetes: string; etcd: string } {
  const gomod = readFileSync(join(here, 'go.mod'), 'utf8');
  const version = (mod: string) => {
    const m = new RegExp(`^\\s*(?:require\\s+)?${mod.replace(/\./g, '\\.')}\\s+(v\\S+)`, 'm').exec(
      gomod,
    );
    if (!m?.[1]) throw new Error(`test/controlplane/go.mod does not pin ${mod}`);
    return m[1];
  };
  return { kubernetes: version('k8s.io/kubernetes'), etcd: version('go.etcd.io/etcd/server/v3') };
}

export function cacheRoot(): string {
  return (
    process.env.OPENCODE_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'opencode-operator')
  );
}

export function binDir(): string {
  const { kubernetes, etcd } = pinnedVersions();
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(here, f)));
  return join(
    cacheRoot(),
    'controlplane',
    `k8s-${kubernetes}-etcd-${etcd}-${hash.digest('hex').slice(0, 12)}`,
  );
}

export function isBuilt(dir = binDir()): boolean {
  return BINARIES.every((b) => existsSync(join(dir, b)));
}

/** Runs `go` in this module (or in `cwd`), throwing when it fails. */
export function go(args: string[], env: NodeJS.ProcessEnv = {}, cwd = here): void {
  const r = spawnSync('go', args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  if (r.error) throw new Error(`cannot run go (is Go installed?): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`go ${args.join(' ')} failed with exit code ${r.status}`);
}

/** -ldflags that stamp the pinned version, so `kubectl version`, discovery and the kubelet report it. */
export function versionStamp(): string {
  const { kubernetes } = pinnedVersions();
  const [major, minor] = kubernetes.replace(/^v/, '').split('.');
  const pkgs = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
  return pkgs
    .flatMap((p) => [
      `-X ${p}.gitVersion=${kubernetes}`,
      `-X ${p}.gitMajor=${major}`,
      `-X ${p}.gitMinor=${minor}`,
      `-X ${p}.gitTreeState=clean`,
    ])
    .join(' ');
}

/** Returns the directory holding the binaries, building them first if needed. */
export function ensureBuilt(log: (msg: string) => void = (m) => console.error(m)): string {
  const dir = binDir();
  if (isBuilt(dir)) return dir;
  const { kubernetes } = pinnedVersions();
  const stamp = versionStamp();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  log(
    `building the test control plane (Kubernetes ${kubernetes}) into ${dir}; the first build takes a while`,
  );
  try {
    go([
      'build',
      '-ldflags',
      `-s -w ${stamp}`,
      '-o',
      `${tmp}/`,
      'k8s.io/kubernetes/cmd/kube-apiserver',
      'k8s.io/kubernetes/cmd/kube-controller-manager',
      'k8s.io/kubernetes/cmd/kubectl',
    ]);
    go(['build', '-ldflags', '-s -w', '-o', join(tmp, 'controlplane-helper'), '.']);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process finished the same build first: theirs is as good as ours.
      if (!isBuilt(dir)) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  log(`built the test control plane in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  return dir;
}

if (import.meta.main) {
  const dir = ensureBuilt();
  console.log(dir);
}
