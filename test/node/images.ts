// The real node's images, made offline (no registry): a Debian bookworm base
// from debootstrap, the sandbox ("pause") image FROM scratch, and the test
// Job's image FROM that base. Built with podman in its own storage under the
// cache, saved as docker archives named by content hash, so a second run
// builds nothing; RealNode imports the archives into its containerd.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheRoot } from '../controlplane/build.ts';
import { ensureNodeBuilt } from './build.ts';

export interface NodeImages {
  /** The sandbox image, for containerd's sandbox_image. */
  pause: string;
  /** The Debian minbase image (root user, /bin/sh, coreutils). */
  base: string;
  /** FROM base, USER 65532:65532: what the e2e Job runs. */
  job: string;
  /** Docker archives of pause and job, to import into containerd. */
  archives: string[];
}

/** Timings of the last ensureImages() in this process, in ms, for docs/real-node.md. */
export const imageTimings: Record<string, number> = {};

export const imagesRoot = () => join(cacheRoot(), 'node', 'images');

/**
 * podman's runroot (locks, mount state) must be shorter than 50 characters and
 * the same on every run (podman records it with the storage): under the temp
 * folder, named after the storage's path. ensureImages() removes it.
 */
export function runRoot(): string {
  const id = createHash('sha256').update(imagesRoot()).digest('hex').slice(0, 8);
  return join(tmpdir(), `ocn-podman-${id}`);
}

/** podman with its own storage and config under the cache: nothing in the machine's podman storage. */
export function podman(args: string[], input?: string): string {
  const root = join(imagesRoot(), 'podman');
  mkdirSync(root, { recursive: true });
  const conf = join(root, 'containers.conf');
  // Root here lacks CAP_SYS_RESOURCE: podman's default ulimits (raised above
  // the hard limit) fail, so keep them within it. crun fails on hybrid cgroups.
  writeFileSync(
    conf,
    [
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      '[engine]',
      'runtime = "runc"',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      '',
    ].join('\n'),
  );
  const r = spawnSync(
    'podman',
    [
      '--root',
      join(root, 'storage'),
      '--runroot',
      runRoot(),
      '--storage-driver',
      'overlay',
      ...args,
    ],
    {
      encoding: 'utf8',
      input,
      env: { ...process.env, CONTAINERS_CONF: conf },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.error) throw new Error(`cannot run podman: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`podman ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-3000)}`);
  return r.stdout;
}

export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-3000)}`);
  return r.stdout;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The Debian mirror apt uses on this machine (debootstrap needs one; no other host is contacted). */
function aptMirror(): string {
  const files = ['/etc/apt/sources.list'];
  const d = '/etc/apt/sources.list.d';
  if (existsSync(d)) for (const f of readdirSync(d)) files.push(join(d, f));
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m =
      /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text) ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s/m.exec(text);
    if (m?.[1]) return m[1];
  }
  return 'http://deb.debian.org/debian';
}

export function timed<T>(name: string, fn: () => T): T {
  const started = Date.now();
  try {
    return fn();
  } finally {
    imageTimings[name] = Date.now() - started;
  }
}

/**
 * A tarball of `debootstrap --variant=minbase bookworm` (plus `include`d
 * packages), cached by debootstrap's version and the package list; its sha256
 * (kept beside it) names the image made from it.
 */
export function baseRootfs(
  log: (m: string) => void,
  include: string[] = [],
): { tar: string; sha: string } {
  const version = run('dpkg-query', ['-W', '-f=${Version}', 'debootstrap']).trim();
  const dir = join(imagesRoot(), 'rootfs');
  const extra = include.length ? `-with-${include.join('-')}` : '';
  const tar = join(dir, `debian-bookworm-minbase${extra}-debootstrap-${version}.tar`);
  if (existsSync(tar) && existsSync(`${tar}.sha256`))
    return { tar, sha: readFileSync(`${tar}.sha256`, 'utf8').trim() };
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'work-'));
  try {
    log(`debootstrap --variant=minbase bookworm${extra} (once, about a minute)`);
    const root = join(work, 'root');
    run('debootstrap', [
      '--variant=minbase',
      ...(include.length ? [`--include=${include.join(',')}`] : []),
      'bookworm',
      root,
      aptMirror(),
    ]);
    // apt's lists are 40 MB the images never use.
    rmSync(join(root, 'var/lib/apt/lists'), { recursive: true, force: true });
    mkdirSync(join(root, 'var/lib/apt/lists/partial'), { recursive: true });
    run('tar', ['--numeric-owner', '-C', root, '-cf', join(work, 'rootfs.tar'), '.']);
    const sha = sha256File(join(work, 'rootfs.tar'));
    writeFileSync(`${tar}.sha256`, `${sha}\n`);
    renameSync(join(work, 'rootfs.tar'), tar);
    return { tar, sha };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function imageExists(ref: string): boolean {
  try {
    podman(['image', 'exists', ref]);
    return true;
  } catch {
    return false;
  }
}

/** `podman save` of ref into the cache, once. */
export function archive(ref: string): string {
  const file = join(imagesRoot(), 'archives', `${ref.replace(/[/:]/g, '_')}.tar`);
  if (existsSync(file)) return file;
  mkdirSync(join(imagesRoot(), 'archives'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  podman(['save', '--format', 'docker-archive', '-o', tmp, ref]);
  renameSync(tmp, file);
  return file;
}

/** podman build of a context folder holding a Containerfile, with no network. */
export function build(ref: string, context: string): void {
  podman(['build', '--network', 'none', '--pull=never', '-t', ref, context]);
}

/** Builds (or finds in the cache) the node's images; `binDir` holds the pause binary. */
export function ensureImages(
  binDir: string,
  log: (m: string) => void = (m) => console.error(m),
): NodeImages {
  const started = Date.now();
  const { tar, sha } = timed('debootstrap', () => baseRootfs(log));
  const base = `localhost/opencode-base:bookworm-${sha.slice(0, 12)}`;
  timed('base', () => {
    if (!imageExists(base)) podman(['import', tar, base]);
  });

  const pauseBin = join(binDir, 'pause');
  const pause = `localhost/opencode-pause:${sha256File(pauseBin).slice(0, 12)}`;
  const jobFile = `FROM ${base}\nUSER 65532:65532\nWORKDIR /tmp\n`;
  const job = `localhost/opencode-job:${createHash('sha256').update(jobFile).digest('hex').slice(0, 12)}`;

  timed('builds', () => {
    const ctx = mkdtempSync(join(imagesRoot(), 'ctx-'));
    try {
      if (!imageExists(pause)) {
        mkdirSync(join(ctx, 'pause'));
        copyFileSync(pauseBin, join(ctx, 'pause', 'pause'));
        writeFileSync(
          join(ctx, 'pause', 'Containerfile'),
          'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n',
        );
        build(pause, join(ctx, 'pause'));
      }
      if (!imageExists(job)) {
        mkdirSync(join(ctx, 'job'));
        writeFileSync(join(ctx, 'job', 'Containerfile'), jobFile);
        build(job, join(ctx, 'job'));
      }
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  });
  const archives = timed('save', () => [pause, job].map(archive));
  imageTimings.total = Date.now() - started;
  rmSync(runRoot(), { recursive: true, force: true });
  return { pause, base, job, archives };
}

if (import.meta.main) {
  console.log(JSON.stringify(ensureImages(ensureNodeBuilt()), null, 2));
  console.error(JSON.stringify(imageTimings));
}
