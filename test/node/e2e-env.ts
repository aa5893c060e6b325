// What an end-to-end suite on the real node stands on, set up once per test
// file: a namespace under Pod Security "restricted", a git server over https
// on the node's bridge address (its certificate trusted through the runner's
// git ConfigMap), a tarball server there for a devDependency, the forge token
// Secret, the GitHub double there too (for acme/app, served by the same git
// server), the runner's ServiceAccount and Role, the operator in process with
// the Job executor, and a binder that places the runner pods on the node (as
// its scheduler would; a suite can hold a pod back).
import { afterAll, beforeAll } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manager } from '../../src/operator/manager.ts';
import { installCrds, kubectlOk, useControllerManager, useNamespace } from '../support/kube.ts';
import { clients, listRuns, startManager, type LogBuffer } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';
import { startGitHubDouble, type GitHubDouble } from '../doubles/github/server.ts';
import type { HttpGitServer } from '../runner/http-git.ts';
import { FIXTURES, git } from '../runner/support.ts';
import { bindPods, type PodBinder } from './binder.ts';
import {
  FORGE_SECRET,
  RUNNER_GIT_CONFIG_MAP,
  RUNNER_SERVICE_ACCOUNT,
  runnerNamespaceObjects,
  serveHttpsRemote,
} from './https-remote.ts';
import type { RealNode } from './realnode.ts';
import { useRealNode } from './use.ts';

export const E2E_TOKEN = 'gho_E2eForgeToken4455QRS';

export interface E2eEnv {
  ns: string;
  node: RealNode;
  root: string;
  bare: string;
  repoUrl: string;
  /** The GitHub double (on the bridge address) and its acme/app repository. */
  gh: GitHubDouble;
  ghBare: string;
  ghRepoUrl: string;
  gitServer: HttpGitServer;
  tarballRequests: string[];
  manager: Manager;
  logs: LogBuffer;
  /** Pods whose name starts with one of these are not bound until released. */
  holdPrefixes: Set<string>;
  apply(obj: object): Promise<string>;
  /** An ImprovementTarget on the suite's repository, run now, placed on the node. */
  target(name: string, spec?: Record<string, unknown>): object;
  /** The run of a target once it has ended. */
  endedRun(target: string, timeoutMs?: number): Promise<any>;
}

/** Registers the suite's hooks; the getter works from the first test on. */
export function useE2eEnv(opts: { podStartGraceMs?: number } = {}): () => E2eEnv {
  useControllerManager();
  const ns = useNamespace('e2e', {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  const node = useRealNode({ nodeImage: true });
  let env: E2eEnv | undefined;
  let tarballs: Server | undefined;
  let binder: PodBinder | undefined;

  const apply = (obj: object) => kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(obj) });

  beforeAll(async () => {
    await installCrds();
    const ip = node().nodeIP;
    const root = mkdtempSync(join(tmpdir(), 'oc-e2e-'));
    // The devDependency: a package tarball served on the bridge address.
    const pkg = join(root, 'tiny-add');
    mkdirSync(pkg);
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: 'tiny-add', version: '1.0.0', main: 'index.js' }),
    );
    writeFileSync(join(pkg, 'index.js'), 'exports.add = (a, b) => a + b;\n');
    execFileSync('npm', ['pack', '--silent', '--pack-destination', root], {
      cwd: pkg,
      stdio: 'ignore',
    });
    const tgz = readFileSync(join(root, 'tiny-add-1.0.0.tgz'));
    const tarballRequests: string[] = [];
    tarballs = createServer((req, res) => {
      tarballRequests.push(req.url ?? '');
      if (req.url === '/tiny-add-1.0.0.tgz')
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tgz);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => tarballs!.listen(0, ip, r));
    const tarballUrl = `http://${ip}:${(tarballs.address() as AddressInfo).port}/tiny-add-1.0.0.tgz`;

    // The repository: node-basic, a test that needs the devDependency, a style slip to fix.
    const seed = join(root, 'seed');
    cpSync(join(FIXTURES, 'node-basic'), seed, { recursive: true });
    const pj = JSON.parse(readFileSync(join(seed, 'package.json'), 'utf8'));
    pj.devDependencies = { 'tiny-add': '1.0.0' };
    writeFileSync(join(seed, 'package.json'), `${JSON.stringify(pj, null, 2)}\n`);
    writeFileSync(
      join(seed, 'package-lock.json'),
      `${JSON.stringify(
        {
          name: 'node-basic',
          version: '1.0.0',
          lockfileVersion: 3,
          requires: true,
          packages: {
            '': { name: 'node-basic', version: '1.0.0', devDependencies: { 'tiny-add': '1.0.0' } },
            'node_modules/tiny-add': {
              version: '1.0.0',
              resolved: tarballUrl,
              integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
              dev: true,
            },
          },
        },
        null,
        2,
      )}\n`,
    );
    // The image's global npmrc is for its offline build: the repository's own wins over it.
    writeFileSync(join(seed, '.npmrc'), 'offline=false\ncache=/tmp/.npm\nupdate-notifier=false\n');
    writeFileSync(join(seed, '.gitignore'), 'node_modules/\n');
    writeFileSync(
      join(seed, 'test', 'tiny.test.js'),
      [
        "import { test } from 'node:test';",
        "import assert from 'node:assert/strict';",
        "import tiny from 'tiny-add';",
        '',
        "test('the devDependency is installed', () => {",
        '  assert.equal(tiny.add(1, 2), 3);',
        '});',
        '',
      ].join('\n'),
    );
    writeFileSync(join(seed, 'test', 'no-token.test.js'), NO_TOKEN_TEST);
    const math = join(seed, 'src', 'math.js');
    writeFileSync(math, readFileSync(math, 'utf8').replace('return a + b;', 'return a + b;   '));
    git(seed, ['init', '--quiet', '--initial-branch=main']);
    git(seed, ['add', '-A']);
    git(seed, ['commit', '--quiet', '-m', 'initial commit']);
    const bare = join(root, 'remote.git');
    git(root, ['clone', '--quiet', '--bare', seed, bare]);
    // The same repository as acme/app on the GitHub double, which merges its
    // pull requests into this bare repository; git reaches it over https.
    const ghBare = join(root, 'acme', 'app.git');
    git(root, ['clone', '--quiet', '--bare', seed, ghBare]);
    const gh = await startGitHubDouble({ token: E2E_TOKEN, host: ip });
    gh.addRepo('acme', 'app', { bareRepoPath: ghBare, allowAutoMerge: true });
    const { server: gitServer, cert } = await serveHttpsRemote(root, ip, E2E_TOKEN);
    const repoUrl = `${gitServer.url}/remote.git`;

    const n = ns();
    for (const o of runnerNamespaceObjects(n, E2E_TOKEN, cert)) await apply(o);

    // The operator as a deployment runs it: the default Job executor, from flags' values.
    const image = node().projectImage();
    const h = startManager({
      namespaces: [n],
      runnerImage: image,
      runnerImagePullPolicy: 'Never',
      runnerServiceAccount: RUNNER_SERVICE_ACCOUNT,
      runnerGitConfigMap: RUNNER_GIT_CONFIG_MAP,
      podStartGraceMs: opts.podStartGraceMs,
    });
    await h.started;

    binder = bindPods(clients().core, n, node().name);

    env = {
      ns: n,
      node: node(),
      root,
      bare,
      repoUrl,
      gh,
      ghBare,
      ghRepoUrl: `${gitServer.url}/acme/app.git`,
      gitServer,
      tarballRequests,
      manager: h.manager,
      logs: h.logs,
      holdPrefixes: binder.hold,
      apply,
      target: (name, spec = {}) => {
        const { tests, runner, repository, ...rest } = spec as Record<string, any>;
        return {
          apiVersion: 'opencode.dev/v1alpha1',
          kind: 'ImprovementTarget',
          metadata: {
            name,
            namespace: n,
            annotations: { 'opencode.dev/run-requested-at': 'now' },
          },
          spec: {
            repository: {
              url: repoUrl,
              provider: 'git',
              credentialsSecretRef: { name: FORGE_SECRET },
              ...repository,
            },
            schedule: '0 0 1 1 *',
            model: { provider: 'builtin' },
            tests: {
              image: node().nodeImage(),
              imagePullPolicy: 'Never',
              timeoutSeconds: 120,
              ...tests,
            },
            runner: {
              activeDeadlineSeconds: 300,
              tolerations: node().podPlacement().tolerations,
              ...runner,
            },
            ...rest,
          },
        };
      },
      endedRun: (target, timeoutMs = 240_000) =>
        waitFor(
          async () =>
            (await listRuns(n)).find(
              (r) =>
                r.spec.targetRef.name === target &&
                ['Succeeded', 'Failed'].includes(r.status?.phase),
            ),
          { timeoutMs, intervalMs: 1000, what: `the run of ${target} to finish` },
        ),
    };
  }, 120_000);

  afterAll(async () => {
    binder?.stop();
    await env?.manager.stop();
    await env?.gitServer.close();
    await env?.gh.close();
    await new Promise((r) => (tarballs ? tarballs.close(r) : r(undefined)));
    if (env?.root) rmSync(env.root, { recursive: true, force: true });
  }, 60_000);

  return () => {
    if (!env) throw new Error('the e2e environment has not started');
    return env;
  };
}

/**
 * A test of the repository's own, run in the test container: no readable
 * file it can reach (the shared bench, its home and temp, the service-account
 * paths, every process's environment) holds the forge token. It knows only
 * the token's prefix, length and SHA-256, so the repository does not hold it.
 */
const NO_TOKEN_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = '${E2E_TOKEN.slice(0, 4)}';
const LENGTH = ${E2E_TOKEN.length};
const DIGEST = '${createHash('sha256').update(E2E_TOKEN).digest('hex')}';

function holdsToken(buf) {
  const s = buf.toString('latin1');
  for (let i = s.indexOf(PREFIX); i >= 0; i = s.indexOf(PREFIX, i + 1))
    if (createHash('sha256').update(s.slice(i, i + LENGTH)).digest('hex') === DIGEST) return true;
  return false;
}

function* files(dir, depth = 0) {
  let entries = [];
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory() && depth < 12 && e.name !== 'node_modules') yield* files(p, depth + 1);
    else if (e.isFile()) yield p;
  }
}

test('the forge token is nowhere this container can read', () => {
  const roots = ['/workspace', '/tmp', '/var/run/secrets', '/run/secrets', '/etc', process.cwd()];
  const found = [];
  let scanned = 0;
  for (const r of roots)
    for (const f of files(r)) {
      try { if (statSync(f).size > 8e6) continue; if (holdsToken(readFileSync(f))) found.push(f); scanned++; } catch {}
    }
  for (const pid of readdirSync('/proc').filter((p) => /^\\d+$/.test(p)))
    for (const f of ['environ', 'cmdline'])
      try { if (holdsToken(readFileSync('/proc/' + pid + '/' + f))) found.push('/proc/' + pid + '/' + f); scanned++; } catch {}
  for (const [k, v] of Object.entries(process.env)) if (holdsToken(Buffer.from(v))) found.push('env ' + k);
  assert.ok(scanned > 10, 'scanned ' + scanned + ' files');
  assert.deepEqual(found, []);
});
`;
