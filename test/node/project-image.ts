// The project's own image, from its real Dockerfile, built offline with podman:
// the Dockerfile's NODE_IMAGE and GO_IMAGE build arguments point at local
// images that stand in for node:24.21.0-bookworm-slim and golang:1.26.8-bookworm.
//
// - Node image: Debian minbase with git and ca-certificates (the final stage's
//   `apt-get install` of them then finds them installed; its sources list is
//   empty, so `apt-get update` contacts nothing), the project's pinned Node
//   (the binary of the npm package `node`), the machine's npm, and npm's cache
//   with `offline=true`, so the build stage's `npm install` reads the cache.
// - Go image: the same base with /usr/local/go and a module cache holding
//   exactly what `go install` of gitleaks and osv-scanner at their pinned
//   versions needs, which is also its GOPROXY (file://).
//
// Every RUN has no network (`podman build --network none`). The image is
// named by a hash of everything the build reads, so a second run builds nothing.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { gitleaksVersion } from '../../tools/gitleaks/build.ts';
import { osvScannerVersion } from '../../tools/osv-scanner/build.ts';
import {
  archive,
  baseRootfs,
  imageExists,
  imagesRoot,
  podman,
  run,
  runRoot,
  sha256File,
} from './images.ts';

const repo = join(import.meta.dirname, '..', '..');

export interface ProjectImage {
  ref: string;
  archive: string;
  /** The NODE_IMAGE it was built from (Debian, Node and npm): a test container's image. */
  node: { ref: string; archive: string };
}

function hashTree(hash: ReturnType<typeof createHash>, path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const e of readdirSync(path).sort()) hashTree(hash, join(path, e));
    return;
  }
  hash.update(relative(repo, path));
  hash.update(readFileSync(path));
}

function goEnv(name: string): string {
  return run('go', ['env', name]).trim();
}

/** localhost/opencode-node:<node version>-<hash>: what NODE_IMAGE names. */
function nodeImage(log: (m: string) => void): string {
  const { tar, sha } = baseRootfs(log, ['ca-certificates', 'git']);
  const nodeBin = join(repo, 'node_modules', 'node', 'bin', 'node');
  const nodeVersion = run(nodeBin, ['--version']).trim().replace(/^v/, '');
  const npmDir = '/usr/lib/node_modules/npm';
  const npmCache = join(homedir(), '.npm', '_cacache');
  if (!existsSync(npmDir) || !existsSync(npmCache))
    throw new Error(`the project image needs npm at ${npmDir} and its cache at ${npmCache}`);
  const npmVersion = JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')).version;
  const lock = readFileSync(join(repo, 'package-lock.json'));
  const key = createHash('sha256')
    .update(`${sha} ${sha256File(nodeBin)} ${npmVersion}`)
    .update(lock)
    .digest('hex')
    .slice(0, 12);
  const ref = `localhost/opencode-node:${nodeVersion}-${key}`;
  if (imageExists(ref)) return ref;
  const base = `localhost/opencode-base:bookworm-git-${sha.slice(0, 12)}`;
  if (!imageExists(base)) podman(['import', tar, base]);
  const ctx = mkdtempSync(join(imagesRoot(), 'ctx-node-'));
  try {
    log(`building ${ref} (Node ${nodeVersion}, npm ${npmVersion}, offline npm cache)`);
    cpSync(nodeBin, join(ctx, 'node'));
    cpSync(npmDir, join(ctx, 'npm'), { recursive: true });
    cpSync(npmCache, join(ctx, 'npm-cache', '_cacache'), { recursive: true });
    // The lock file names no `resolved` URL for many packages: npm then needs
    // their metadata too. Fill the copy with whatever this lock file needs
    // and the machine's cache lacks (npm, on the host: the registry is
    // contacted only for what is missing).
    const fill = join(ctx, 'fill');
    mkdirSync(fill);
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(repo, f), join(fill, f));
    const r = spawnSync(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        `--cache=${join(ctx, 'npm-cache')}`,
      ],
      { cwd: fill, encoding: 'utf8' },
    );
    if (r.status !== 0)
      throw new Error(`npm install (cache fill) failed: ${r.stderr.slice(-2000)}`);
    rmSync(fill, { recursive: true, force: true });
    rmSync(join(ctx, 'npm-cache', '_logs'), { recursive: true, force: true });
    writeFileSync(
      join(ctx, 'npm.sh'),
      '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js "$@"\n',
      { mode: 0o755 },
    );
    writeFileSync(
      join(ctx, 'npx.sh'),
      '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npx-cli.js "$@"\n',
      { mode: 0o755 },
    );
    writeFileSync(
      join(ctx, 'npmrc'),
      'cache=/usr/local/share/npm-cache\noffline=true\naudit=false\nfund=false\nupdate-notifier=false\n',
    );
    writeFileSync(join(ctx, 'sources.list'), '');
    writeFileSync(
      join(ctx, 'Containerfile'),
      [
        `FROM ${base}`,
        'COPY node /usr/local/bin/node',
        'COPY npm /usr/local/lib/node_modules/npm',
        'COPY npm.sh /usr/local/bin/npm',
        'COPY npx.sh /usr/local/bin/npx',
        'COPY npmrc /usr/local/etc/npmrc',
        'COPY npm-cache /usr/local/share/npm-cache',
        // No apt source: `apt-get update` succeeds without contacting anything.
        'COPY sources.list /etc/apt/sources.list',
        'RUN rm -f /etc/apt/sources.list.d/*',
        '',
      ].join('\n'),
    );
    podman(['build', '--network', 'none', '--pull=never', '-t', ref, ctx]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return ref;
}

/** The Go tools the Dockerfile's stages `go install`: module, package, pinned version. */
function goTools(): { module: string; pkg: string; version: string }[] {
  return [
    {
      module: 'github.com/zricethezav/gitleaks/v8',
      pkg: 'github.com/zricethezav/gitleaks/v8',
      version: gitleaksVersion(),
    },
    {
      module: 'github.com/google/osv-scanner/v2',
      pkg: 'github.com/google/osv-scanner/v2/cmd/osv-scanner',
      version: osvScannerVersion(),
    },
  ];
}

/** localhost/opencode-go:<go version>-<hash>: what GO_IMAGE names, able to `go install` the tools offline. */
function goImage(log: (m: string) => void): string {
  const { tar, sha } = baseRootfs(log, ['ca-certificates', 'git']);
  const goroot = goEnv('GOROOT');
  const goVersion = run(join(goroot, 'bin', 'go'), ['env', 'GOVERSION'])
    .trim()
    .replace(/^go/, '');
  const tools = goTools();
  const pins = tools.map((t) => `${t.pkg}@${t.version}`).join(' ');
  const ref = `localhost/opencode-go:${goVersion}-${createHash('sha256').update(`${sha} ${pins} file-proxy`).digest('hex').slice(0, 12)}`;
  if (imageExists(ref)) return ref;
  const base = `localhost/opencode-base:bookworm-git-${sha.slice(0, 12)}`;
  if (!imageExists(base)) podman(['import', tar, base]);
  const ctx = mkdtempSync(join(imagesRoot(), 'ctx-go-'));
  try {
    log(`building ${ref} (Go ${goVersion}, modules for ${pins})`);
    // Exactly the modules `go install` needs, from the machine's module cache
    // (or, failing that, the Go module proxy).
    const modcache = join(ctx, 'gopath', 'pkg', 'mod');
    const hostDownload = join(goEnv('GOMODCACHE'), 'cache', 'download');
    for (const t of tools) {
      const r = spawnSync('go', ['install', `${t.pkg}@${t.version}`], {
        encoding: 'utf8',
        cwd: ctx,
        env: {
          ...process.env,
          GOMODCACHE: modcache,
          GOFLAGS: '-modcacherw',
          GOBIN: join(ctx, 'bin'),
          GOPROXY: `file://${hostDownload},https://proxy.golang.org`,
          CGO_ENABLED: '0',
        },
      });
      if (r.status !== 0) throw new Error(`go install ${t.pkg} failed: ${r.stderr.slice(-2000)}`);
      // `go install m@v` also asks the proxy for m's latest version (to warn when
      // deprecated): the image's proxy is this cache, so it lists the one version.
      writeFileSync(
        join(modcache, 'cache', 'download', ...t.module.split('/'), '@v', 'list'),
        `${t.version}\n`,
      );
    }
    rmSync(join(ctx, 'bin'), { recursive: true, force: true });
    cpSync(goroot, join(ctx, 'go'), { recursive: true });
    writeFileSync(
      join(ctx, 'Containerfile'),
      [
        `FROM ${base}`,
        'COPY go /usr/local/go',
        'COPY gopath /go',
        'ENV GOPATH=/go PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\',
        '    GOPROXY=file:///go/pkg/mod/cache/download GOSUMDB=off GOTOOLCHAIN=local',
        '',
      ].join('\n'),
    );
    podman(['build', '--network', 'none', '--pull=never', '-t', ref, ctx]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return ref;
}

/** Builds (or finds) the project's image from its Dockerfile, and its docker archive. */
export function ensureProjectImage(
  log: (m: string) => void = (m) => console.error(m),
): ProjectImage {
  const node = nodeImage(log);
  const go = goImage(log);
  const hash = createHash('sha256').update(`${node} ${go}`);
  for (const f of [
    'Dockerfile',
    '.dockerignore',
    'package.json',
    'package-lock.json',
    'tsconfig.json',
    'tsconfig.build.json',
    'src',
  ])
    hashTree(hash, join(repo, f));
  const ref = `localhost/opencode-operator:test-${hash.digest('hex').slice(0, 12)}`;
  if (!imageExists(ref)) {
    log(`building ${ref} from the Dockerfile (offline: NODE_IMAGE=${node}, GO_IMAGE=${go})`);
    const started = Date.now();
    podman([
      'build',
      '--network',
      'none',
      '--pull=never',
      '--build-arg',
      `NODE_IMAGE=${node}`,
      '--build-arg',
      `GO_IMAGE=${go}`,
      '-t',
      ref,
      '-f',
      join(repo, 'Dockerfile'),
      repo,
    ]);
    log(`built ${ref} in ${((Date.now() - started) / 1000).toFixed(0)}s`);
  }
  const file = archive(ref);
  const nodeFile = archive(node);
  // Keep one project image: each change of src/ makes a new one (800 MB).
  for (const old of podman([
    'images',
    '--format',
    '{{.Repository}}:{{.Tag}}',
    'localhost/opencode-operator',
  ])
    .split('\n')
    .filter((r) => r.startsWith('localhost/opencode-operator:test-') && r !== ref))
    podman(['rmi', '--force', old]);
  const archives = join(imagesRoot(), 'archives');
  for (const f of readdirSync(archives))
    if (
      (f.startsWith('localhost_opencode-operator_test-') && join(archives, f) !== file) ||
      (f.startsWith('localhost_opencode-node_') && join(archives, f) !== nodeFile)
    )
      rmSync(join(archives, f), { force: true });
  rmSync(runRoot(), { recursive: true, force: true });
  return { ref, archive: file, node: { ref: node, archive: nodeFile } };
}

if (import.meta.main) {
  const started = Date.now();
  console.log(JSON.stringify(ensureProjectImage()));
  console.error(`in ${Date.now() - started}ms`);
}
