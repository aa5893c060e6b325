// Builds the `helm` binary from its Go module (pinned in go.mod beside this
// file) once into the shared cache outside the clone, keyed by the helm
// version and a hash of go.mod/go.sum, as test/controlplane/build.ts does.
//
//   node tools/helm/build.ts        build if missing, print the binary's path
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../../test/controlplane/build.ts';

const here = import.meta.dirname;
const MODULE = 'helm.sh/helm/v4';

/** The helm version pinned in go.mod. */
export function helmVersion(): string {
  const gomod = readFileSync(join(here, 'go.mod'), 'utf8');
  const m = /^\s*(?:require\s+)?helm\.sh\/helm\/v4\s+(v\S+)/m.exec(gomod);
  if (!m?.[1]) throw new Error(`tools/helm/go.mod does not pin ${MODULE}`);
  return m[1];
}

export function helmDir(): string {
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum']) hash.update(readFileSync(join(here, f)));
  return join(cacheRoot(), 'helm', `helm-${helmVersion()}-${hash.digest('hex').slice(0, 12)}`);
}

/** Returns the path of the helm binary, building it first if needed. */
export function ensureHelm(log: (msg: string) => void = (m) => console.error(m)): string {
  const dir = helmDir();
  const bin = join(dir, 'helm');
  if (existsSync(bin)) return bin;
  // One build at a time: parallel test workers wait for the first one
  // instead of compiling the same packages on every core.
  mkdirSync(join(dir, '..'), { recursive: true });
  const lock = `${dir}.lock`;
  while (!tryLock(lock)) {
    if (existsSync(bin)) return bin;
    sleepSync(1000);
  }
  try {
    if (existsSync(bin)) return bin;
    return build(dir, bin, log);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

const STALE_LOCK_MS = 30 * 60_000;

function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    return true;
  } catch {
    // A builder that died long ago left its lock: take it over.
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) {
        rmSync(lock, { recursive: true, force: true });
      }
    } catch {
      // gone meanwhile: the next attempt decides
    }
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function build(dir: string, bin: string, log: (msg: string) => void): string {
  const version = helmVersion();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  log(`building helm ${version} from its Go module into ${dir}`);
  try {
    // The same stamps as helm's own Makefile, so `helm version` tells the truth.
    const ldflags = `-s -w -X ${MODULE}/internal/version.version=${version} -X ${MODULE}/internal/version.gitTreeState=clean`;
    const r = spawnSync(
      'go',
      ['build', '-trimpath', '-ldflags', ldflags, '-o', join(tmp, 'helm'), `${MODULE}/cmd/helm`],
      {
        cwd: here,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, CGO_ENABLED: '0' },
      },
    );
    if (r.error) throw new Error(`cannot run go (is Go installed?): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`go build of helm failed with exit code ${r.status}`);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another process finished the same build first: theirs is as good as ours.
      if (!existsSync(bin)) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  log(`built helm ${version} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  return bin;
}

if (import.meta.main) {
  console.log(ensureHelm());
}
