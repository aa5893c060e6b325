// How a run ends when its pod cannot finish, on the real node: each case
// starts from `kubectl apply` of an ImprovementTarget and ends in a Failed
// run with its own reason and a Warning Event, and nothing reaches the
// remote. The operator reads these from the pod (src/controllers/pod-failure.ts);
// the Job alone would only say "failed" or wait for its deadline.
import { describe, expect, it } from '@jest/globals';
import { kubectlOk } from '../support/kube.ts';
import { clients } from '../support/operator.ts';
import { waitFor } from '../support/wait.ts';
import { git } from '../runner/support.ts';
import { useE2eEnv } from './e2e-env.ts';
import { realNodeUnsupported } from './prepare.ts';

const unsupported = realNodeUnsupported();
if (unsupported) process.stderr.write(`skipping the real-node failure suite: ${unsupported}\n`);
const suite = unsupported ? describe.skip : describe;

const GRACE_MS = 5000;

suite('runs whose pod cannot finish, on the real node', () => {
  const env = useE2eEnv({ podStartGraceMs: GRACE_MS });

  /** Warning Events about the run: on the run itself, or on its target naming it. */
  async function warnings(run: string): Promise<string[]> {
    const { items } = await clients().core.listNamespacedEvent({
      namespace: env().ns,
      fieldSelector: 'type=Warning',
    });
    return items
      .filter((e) => e.involvedObject.name === run || e.message?.includes(`run ${run}:`))
      .map((e) => `${e.reason}: ${e.message}`);
  }

  async function expectFailed(target: string, reason: string, message: RegExp) {
    const run = await env()
      .endedRun(target, 180_000)
      .catch(async (err: Error) => {
        // What the pod says, for whoever reads the failure.
        const pods = await kubectlOk([
          '-n',
          env().ns,
          'get',
          'pods',
          '-l',
          `opencode.dev/target=${target}`,
          '-o',
          'json',
        ]);
        const logs = await kubectlOk([
          '-n',
          env().ns,
          'logs',
          '-l',
          `opencode.dev/target=${target}`,
          '--all-containers',
          '--tail=40',
        ]).catch((e: Error) => e.message);
        const statuses = JSON.parse(pods).items.map((p: any) => p.status);
        throw new Error(`${err.message}\npods: ${JSON.stringify(statuses)}\nlogs: ${logs}`);
      });
    expect(run.status.phase).toBe('Failed');
    expect(run.status.failure).toEqual({ reason, message: expect.stringMatching(message) });
    await waitFor(async () => (await warnings(run.metadata.name)).find((m) => m.includes(reason)), {
      timeoutMs: 15_000,
      what: `a Warning Event naming ${reason}`,
    });
    // No change reached the remote: the work branch, where a failed run
    // records itself, differs from main in the state files only.
    const bare = env().bare;
    const branches = git(bare, ['branch', '--format=%(refname:short)']).split('\n');
    if (branches.includes('develop'))
      for (const f of git(bare, ['diff', '--name-only', 'main', 'develop']).split('\n'))
        if (f) expect(f).toMatch(/^\.opencode\//);
    return run;
  }

  /** The one pod of the target's run, once it is in the given state. */
  async function podOf(target: string, ready: (p: any) => boolean) {
    return waitFor(
      async () => {
        const { items } = await clients().core.listNamespacedPod({
          namespace: env().ns,
          labelSelector: `opencode.dev/target=${target}`,
        });
        return items.find(ready);
      },
      { timeoutMs: 120_000, intervalMs: 500, what: `the pod of ${target}` },
    );
  }

  const jobGone = (run: string) =>
    waitFor(
      () =>
        clients()
          .batch.readNamespacedJob({ name: run, namespace: env().ns })
          .then(
            () => undefined,
            () => true,
          ),
      { timeoutMs: 30_000, what: `Job ${run} to be deleted` },
    );

  it('a test container that runs out of memory: TestsOOMKilled', async () => {
    const e = env();
    await e.apply(
      e.target('oom', {
        tests: {
          setupCommand: 'true',
          command: "node -e 'const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))'",
          resources: { limits: { memory: '64Mi', cpu: '500m' } },
        },
      }),
    );
    // Where the kernel kills only the process (cgroup v1, or v2 without a
    // group kill) the test container's loop sees it in its cgroup's OOM
    // count and the runner reports it; where it kills the whole container
    // the operator reads it from the pod and stops the Job.
    await expectFailed(
      'oom',
      'TestsOOMKilled',
      /ran out of memory.*raise spec\.tests\.resources\.limits\.memory/s,
    );
  }, 240_000);

  it('the deadline: DeadlineExceeded', async () => {
    const e = env();
    await e.apply(
      e.target('slow', {
        tests: { setupCommand: 'true', command: 'sleep 300', timeoutSeconds: 290 },
        runner: { activeDeadlineSeconds: 20 },
      }),
    );
    await expectFailed('slow', 'DeadlineExceeded', /deadline \(20s\).*activeDeadlineSeconds/);
  }, 240_000);

  it('the pod deleted mid-run: PodDeleted', async () => {
    const e = env();
    await e.apply(
      e.target('deleted', {
        tests: { setupCommand: 'true', command: 'sleep 300', timeoutSeconds: 290 },
      }),
    );
    // Mid-run: the runner has marked the run Running and the tests are on.
    const pod = await podOf('deleted', (p) => p.status?.phase === 'Running');
    await waitFor(
      async () => {
        const out = await kubectlOk(['-n', e.ns, 'get', 'improvementruns', '-o', 'json']);
        return JSON.parse(out).items.find(
          (r: any) => r.spec.targetRef.name === 'deleted' && r.status?.phase === 'Running',
        );
      },
      { timeoutMs: 60_000, what: 'the run to be Running' },
    );
    await kubectlOk(['-n', e.ns, 'delete', 'pod', pod.metadata!.name!, '--wait=false']);
    await expectFailed('deleted', 'PodDeleted', /pod of Job .* was deleted/);
  }, 240_000);

  it('an image that is not on the node: ImageUnavailable at once, and the Job is stopped', async () => {
    const e = env();
    await e.apply(
      e.target('noimage', {
        tests: { image: 'localhost/opencode-e2e/absent:1', imagePullPolicy: 'Never' },
      }),
    );
    const run = await expectFailed(
      'noimage',
      'ImageUnavailable',
      /tests container's image localhost\/opencode-e2e\/absent:1 .*ErrImageNeverPull.*spec\.tests\.image/,
    );
    await jobGone(run.metadata.name);
  }, 240_000);

  it('the forge token Secret deleted before the pod starts: SecretMissing after the grace', async () => {
    const e = env();
    await e.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'doomed', namespace: e.ns },
      stringData: { token: 'gho_DoomedToken000000000' },
    });
    // The pod is held back from the node until the Secret is gone.
    e.holdPrefixes.add('secretless-');
    await e.apply(
      e.target('secretless', { repository: { credentialsSecretRef: { name: 'doomed' } } }),
    );
    await podOf('secretless', () => true);
    await kubectlOk(['-n', e.ns, 'delete', 'secret', 'doomed']);
    e.holdPrefixes.delete('secretless-');
    const run = await expectFailed('secretless', 'SecretMissing', /Secret doomed was not found/);
    await jobGone(run.metadata.name);
  }, 240_000);
});
