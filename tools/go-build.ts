// Shared by the tools built from a Go module of ours (tools/helm,
// tools/dockerfile-lint): one binary built once into the cache outside the
// clone, keyed by the pinned version and a hash of the module's files, one
// builder at a time.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../test/controlplane/build.ts';

export interface GoTool {
  /** Binary name; also the cache folder and the prefix of the version folder. */
  name: string;
  /** The folder holding go.mod (and our sources, if any). */
  moduleDir: string;
  /** The module whose version is pinned in go.mod and names the build. */
  module: string;
  /** Files of moduleDir whose content keys the cache. */
  keyFiles: string[];
  /** Package to build, relative to moduleDir ('.') or a module path. */
  pkg: string;
  /** Extra -ldflags, given the pinned version. */
  ldflags?: (version: string) => string;
}

/** The version of tool.module pinned in the tool's go.mod. */
export function pinnedVersion(tool: GoTool): string {
  const gomod = readFileSync(join(tool.moduleDir, 'go.mod'), 'utf8');
  const re = new RegExp(
    `^\\s*(?:require\\s+)?${tool.module.replace(/\./g, '\\.')}\\s+(v\\S+)`,
    'm',
  );
  const m = re.exec(gomod);
  if (!m?.[1]) throw new Error(`${join(tool.moduleDir, 'go.mod')} does not pin ${tool.module}`);
  return m[1];
}

export function toolDir(tool: GoTool): string {
  const hash = createHash('sha256');
  for (const f of tool.keyFiles) hash.update(readFileSync(join(tool.moduleDir, f)));
  return join(
    cacheRoot(),
    tool.name,
    `${tool.name}-${pinnedVersion(tool)}-${hash.digest('hex').slice(0, 12)}`,
  );
}

/** Returns the path of the tool's binary, building it first if needed. */
export function ensureGoTool(tool: GoTool, log: (msg: string) => void): string {
  const dir = toolDir(tool);
  const bin = join(dir, tool.name);
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
    return build(tool, dir, bin, log);
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

function build(tool: GoTool, dir: string, bin: string, log: (msg: string) => void): string {
  const version = pinnedVersion(tool);
  const what = `${tool.name} (${tool.module} ${version})`;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const started = Date.now();
  log(`building ${what} from its Go module into ${dir}`);
  try {
    const ldflags = ['-s -w', tool.ldflags?.(version)].filter(Boolean).join(' ');
    const r = spawnSync(
      'go',
      ['build', '-trimpath', '-ldflags', ldflags, '-o', join(tmp, tool.name), tool.pkg],
      {
        cwd: tool.moduleDir,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, CGO_ENABLED: '0' },
      },
    );
    if (r.error) throw new Error(`cannot run go (is Go installed?): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`go build of ${what} failed with exit code ${r.status}`);
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
  log(`built ${what} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  return bin;
}
