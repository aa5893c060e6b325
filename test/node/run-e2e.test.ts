// An ImprovementRun end to end on the real node: from `kubectl apply` of an
// ImprovementTarget (provider git, the built-in model, run now) the operator
// (in process, Job executor) makes a Job whose pod runs on the kubelet: the
// runner (the project's image) clones over https from a git server on the
// node's bridge address, its test container (Debian, Node and npm, no token)
// installs a devDependency with `npm ci` from a tarball server on the same
// address and runs the tests, and the runner pushes the change to `develop`.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobExecutor } from '../../src/controllers/job-executor.ts';
import type { Manager } from '../../src/operator/manager.ts';
import { installCrds, kubectlOk, useControllerManager, useNamespace } from '../support/kube.ts';
import { clients, listRuns, startManager } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';
import { startHttpGit, type HttpGitServer } from '../runner/http-git.ts';
import { FIXTURES, git } from '../runner/support.ts';
import { realNodeUnsupported } from './prepare.ts';
import { useRealNode } from './use.ts';

const unsupported = realNodeUnsupported();
if (unsupported) process.stderr.write(`skipping the real-node run suite: ${unsupported}\n`);
const suite = unsupported ? describe.skip : describe;

const TOKEN = 'gho_E2eForgeToken4455QRS';

suite('an ImprovementRun on the real node', () => {
  useControllerManager();
  const ns = useNamespace('e2e', {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  const node = useRealNode({ nodeImage: true });

  let root: string;
  let gitServer: HttpGitServer;
  let tarballs: Server;
  const tarballRequests: string[] = [];
  let manager: Manager | undefined;
  let binder: NodeJS.Timeout | undefined;
  let repoUrl: string;

  const apply = (obj: object) => kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(obj) });

  beforeAll(async () => {
    await installCrds();
    const ip = node().nodeIP;
    root = mkdtempSync(join(tmpdir(), 'oc-e2e-'));
    // A certificate for the bridge address: the runner trusts it through the git ConfigMap.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=opencode-e2e',
        '-addext',
        `subjectAltName=IP:${ip}`,
        '-keyout',
        join(root, 'key.pem'),
        '-out',
        join(root, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(join(root, 'cert.pem'), 'utf8');
    const key = readFileSync(join(root, 'key.pem'), 'utf8');

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
    tarballs = createServer((req, res) => {
      tarballRequests.push(req.url ?? '');
      if (req.url === '/tiny-add-1.0.0.tgz')
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tgz);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => tarballs.listen(0, ip, r));
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
    const math = join(seed, 'src', 'math.js');
    writeFileSync(math, readFileSync(math, 'utf8').replace('return a + b;', 'return a + b;   '));
    git(seed, ['init', '--quiet', '--initial-branch=main']);
    git(seed, ['add', '-A']);
    git(seed, ['commit', '--quiet', '-m', 'initial commit']);
    git(root, ['clone', '--quiet', '--bare', seed, join(root, 'remote.git')]);
    gitServer = await startHttpGit(root, TOKEN, { host: ip, tls: { key, cert } });
    repoUrl = `${gitServer.url}/remote.git`;

    const n = ns();
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'forge', namespace: n },
      stringData: { token: TOKEN },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'runner-git', namespace: n },
      data: { gitconfig: '[http]\n\tsslCAInfo = /etc/opencode/git/ca.crt\n', 'ca.crt': cert },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'opencode-runner', namespace: n },
    });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'opencode-runner', namespace: n },
      rules: [
        { apiGroups: ['opencode.dev'], resources: ['improvementruns/status'], verbs: ['patch'] },
      ],
    });
    await apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'opencode-runner', namespace: n },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'opencode-runner' },
      subjects: [{ kind: 'ServiceAccount', name: 'opencode-runner', namespace: n }],
    });

    const image = node().projectImage();
    const h = startManager({
      namespaces: [n],
      runnerImage: image,
      executor: ({ api, jobs }) =>
        new JobExecutor(api, jobs, {
          image,
          imagePullPolicy: 'Never',
          serviceAccountName: 'opencode-runner',
          gitConfigMap: 'runner-git',
        }),
    });
    manager = h.manager;
    await h.started;

    // The runner's pods name no scheduler of this node's: bind them to it, as a scheduler would.
    const core = clients().core;
    const binding = new Set<string>();
    binder = setInterval(() => {
      void core.listNamespacedPod({ namespace: n }).then(
        async ({ items }) => {
          for (const p of items) {
            const name = p.metadata!.name!;
            if (p.spec?.nodeName || binding.has(name)) continue;
            binding.add(name);
            await core
              .createNamespacedPodBinding({
                name,
                namespace: n,
                body: { metadata: { name }, target: { kind: 'Node', name: node().name } },
              })
              .catch(() => binding.delete(name));
          }
        },
        () => undefined,
      );
    }, 500);
  }, 120_000);

  afterAll(async () => {
    if (binder) clearInterval(binder);
    await manager?.stop();
    await gitServer?.close();
    await new Promise((r) => (tarballs ? tarballs.close(r) : r(undefined)));
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('clones, sets up and tests in the test container, pushes to develop, and Succeeds', async () => {
    const n = ns();
    await apply({
      apiVersion: 'opencode.dev/v1alpha1',
      kind: 'ImprovementTarget',
      metadata: {
        name: 'app',
        namespace: n,
        annotations: { 'opencode.dev/run-requested-at': 'now' },
      },
      spec: {
        repository: {
          url: repoUrl,
          provider: 'git',
          credentialsSecretRef: { name: 'forge' },
        },
        schedule: '0 0 1 1 *',
        model: { provider: 'builtin' },
        tests: {
          image: node().nodeImage(),
          imagePullPolicy: 'Never',
          timeoutSeconds: 120,
        },
        runner: {
          activeDeadlineSeconds: 300,
          tolerations: node().podPlacement().tolerations,
        },
      },
    });
    const run = await waitFor(
      async () =>
        (await listRuns(n)).find((r) => ['Succeeded', 'Failed'].includes(r.status?.phase)),
      { timeoutMs: 240_000, intervalMs: 1000, what: 'the run to finish' },
    );
    const pods = (
      await clients().core.listNamespacedPod({
        namespace: n,
        labelSelector: `opencode.dev/run=${run.metadata.name}`,
      })
    ).items;
    if (run.status.phase !== 'Succeeded') {
      const logs = await kubectlOk([
        '-n',
        n,
        'logs',
        `job/${run.metadata.name}`,
        '--all-containers',
      ]).catch((e: Error) => e.message);
      throw new Error(`run ${JSON.stringify(run.status)}\n${logs}`);
    }
    expect(run.status.tests).toMatchObject({ passed: true });
    expect(run.status.tests.isolation).toMatch(/^container: /);
    // The runner cloned and pushed over https with the token; npm fetched the devDependency.
    expect(gitServer.requests.some((r) => r.path.endsWith('git-receive-pack'))).toBe(true);
    expect(gitServer.requests.every((r) => r.authorized)).toBe(true);
    expect(tarballRequests).toContain('/tiny-add-1.0.0.tgz');
    const bare = join(root, 'remote.git');
    const subjects = git(bare, ['log', '--format=%s', 'develop']).split('\n');
    expect(subjects.some((s) => /^style\(/.test(s))).toBe(true);
    expect(git(bare, ['show', 'develop:src/math.js'])).toContain('return a + b;\n');

    // The pod as admitted.
    expect(pods).toHaveLength(1);
    const spec = pods[0]!.spec!;
    expect(spec.nodeName).toBe(node().name);
    expect(spec.containers.map((c) => c.name)).toEqual(['runner', 'tests']);
    expect(spec.automountServiceAccountToken).toBe(false);
    const [runner, tests] = spec.containers;
    expect(runner!.env!.map((e) => e.name)).toContain('OPENCODE_FORGE_TOKEN');
    expect(tests!.env!.map((e) => e.name)).not.toContain('OPENCODE_FORGE_TOKEN');
    expect(tests!.envFrom).toBeUndefined();
    expect(runner!.volumeMounts!.map((m) => m.mountPath)).toContain(
      '/var/run/secrets/kubernetes.io/serviceaccount',
    );
    expect(tests!.volumeMounts!.map((m) => m.name)).toEqual(['workspace', 'tests-tmp']);
    for (const c of spec.containers)
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    // The runner wrote the status before it exited: then both containers end, with 0.
    const ended = await waitFor(
      async () => {
        const p = await clients().core.readNamespacedPod({
          name: pods[0]!.metadata!.name!,
          namespace: n,
        });
        return p.status?.phase === 'Succeeded' ? p : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'the pod to succeed' },
    );
    expect(
      ended.status!.containerStatuses!.map((c) => [c.name, c.state?.terminated?.exitCode]),
    ).toEqual(
      expect.arrayContaining([
        ['runner', 0],
        ['tests', 0],
      ]),
    );
  }, 300_000);
});
