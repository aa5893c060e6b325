// An ImprovementRun end to end on the real node: from `kubectl apply` of an
// ImprovementTarget (provider git, the built-in model, run now) the operator
// (in process, Job executor) makes a Job whose pod runs on the kubelet: the
// runner (the project's image) clones over https from a git server on the
// node's bridge address, its test container (Debian, Node and npm, no token)
// installs a devDependency with `npm ci` from a tarball server on the same
// address and runs the tests, and the runner pushes the change to `develop`.
import { describe, expect, it } from '@jest/globals';
import { kubectlOk } from '../support/kube.ts';
import { clients } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';
import { git } from '../runner/support.ts';
import { E2E_TOKEN, useE2eEnv } from './e2e-env.ts';
import { realNodeUnsupported } from './prepare.ts';

const unsupported = realNodeUnsupported();
if (unsupported) process.stderr.write(`skipping the real-node run suite: ${unsupported}\n`);
const suite = unsupported ? describe.skip : describe;

suite('an ImprovementRun on the real node', () => {
  const env = useE2eEnv();

  it('clones, sets up and tests in the test container, pushes to develop, and Succeeds', async () => {
    const e = env();
    const n = e.ns;
    await e.apply(e.target('app'));
    const run = await e.endedRun('app');
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
    expect(e.gitServer.requests.some((r) => r.path.endsWith('git-receive-pack'))).toBe(true);
    expect(e.gitServer.requests.every((r) => r.authorized)).toBe(true);
    expect(e.tarballRequests).toContain('/tiny-add-1.0.0.tgz');
    const bare = e.bare;
    const subjects = git(bare, ['log', '--format=%s', 'develop']).split('\n');
    expect(subjects.some((s) => /^style\(/.test(s))).toBe(true);
    expect(git(bare, ['show', 'develop:src/math.js'])).toContain('return a + b;\n');

    // The pod as admitted.
    expect(pods).toHaveLength(1);
    const spec = pods[0]!.spec!;
    expect(spec.nodeName).toBe(e.node.name);
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

    // The repository's own no-token test ran in the test container and passed
    // (the run's count includes it); no log of either container holds the token.
    expect(run.status.tests.executedAfter).toBeGreaterThanOrEqual(3);
    for (const container of ['runner', 'tests']) {
      const log = await kubectlOk(['-n', n, 'logs', pods[0]!.metadata!.name!, '-c', container]);
      expect(log).not.toContain(E2E_TOKEN);
      if (container === 'runner') expect(log).toMatch(/"msg"/);
    }
    expect(e.logs.text).not.toContain(E2E_TOKEN);

    // What a user sees: `kubectl get improvements`, and the operator's metrics.
    const listing = await kubectlOk(['get', 'improvements', '-n', n]);
    const row = listing
      .split('\n')
      .find((l) => l.startsWith(`improvementrun.opencode.dev/${run.metadata.name} `));
    expect(row?.split(/\s{2,}/)).toEqual(expect.arrayContaining(['app', 'style', 'Succeeded']));
    const metrics = await e.manager.metrics.registry.metrics();
    expect(metrics).toMatch(
      new RegExp(`opencode_runs_total\\{[^}]*target="app"[^}]*result="succeeded"[^}]*\\} 1`),
    );
  }, 300_000);

  it('through the GitHub double: the pull request is opened and auto-merged into main', async () => {
    const e = env();
    await e.apply(
      e.target('app-gh', {
        repository: { url: e.ghRepoUrl, provider: 'github', apiUrl: e.gh.url },
        autoMerge: true,
        mergeMethod: 'merge',
        // No CI runs against the double: let the gate merge at once (its waiting is covered by test/operator/forge.test.ts).
        merge: { checkGracePeriod: '0', requireChecks: false },
      }),
    );
    const run = await e.endedRun('app-gh');
    if (run.status.phase !== 'Succeeded')
      throw new Error(
        `run ${JSON.stringify(run.status)}\n${await kubectlOk(['-n', e.ns, 'logs', `job/${run.metadata.name}`, '--all-containers']).catch((x: Error) => x.message)}`,
      );
    expect(run.status.pullRequest).toMatchObject({
      number: expect.any(Number),
      gate: { state: 'Merged' },
    });
    expect(e.gh.violations).toEqual([]);
    const calls = e.gh.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);
    expect(calls).toContain('POST /repos/acme/app/pulls');
    // The double merged the PR into main in the bare repository.
    await waitFor(async () => git(e.ghBare, ['log', '--format=%s', 'main']).match(/^style\(/m), {
      timeoutMs: 60_000,
      what: 'the PR merged into main',
    });
    expect(git(e.ghBare, ['show', 'main:src/math.js'])).toContain('return a + b;\n');
  }, 300_000);
});
