// The real node end to end: a batch/v1 Job that passes Pod Security
// `restricted` runs a locally built image (imagePullPolicy Never) on the
// kubelet, its logs come back through kubectl, a failing Job ends Failed, and
// the project's image (its Dockerfile, built offline) runs the runner's --help.
import { describe, expect, it } from '@jest/globals';
import { kubectl, kubectlOk, useControllerManager, useNamespace } from '../support/kube.ts';
import { realNodeUnsupported } from './prepare.ts';
import { useRealNode } from './use.ts';

const unsupported = realNodeUnsupported();
if (unsupported) process.stderr.write(`skipping the real-node suite: ${unsupported}\n`);
const suite = unsupported ? describe.skip : describe;

suite('a real node', () => {
  useControllerManager();
  const ns = useNamespace('node', {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  const node = useRealNode();

  const job = (
    name: string,
    script: string,
    image?: string,
    command?: string[],
    automountServiceAccountToken = false,
  ) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns() },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          ...node().podPlacement(),
          restartPolicy: 'Never',
          automountServiceAccountToken,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'main',
              image: image ?? node().images.job,
              imagePullPolicy: 'Never',
              command: command ?? ['/bin/sh', '-c', script],
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
            },
          ],
        },
      },
    },
  });

  const apply = (obj: object) => kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(obj) });

  it('runs a Job to completion and serves its logs', async () => {
    await apply(job('ok', 'echo "hello from uid $(id -u) on Debian $(cat /etc/debian_version)"'));
    await kubectlOk(['-n', ns(), 'wait', '--for=condition=Complete', '--timeout=90s', 'job/ok']);
    const logs = await kubectlOk(['-n', ns(), 'logs', 'job/ok']);
    expect(logs).toMatch(/^hello from uid 65532 on Debian 12\.\d+$/m);
    const placed = await kubectlOk([
      '-n',
      ns(),
      'get',
      'pods',
      '-l',
      'job-name=ok',
      '-o',
      'jsonpath={.items[0].spec.nodeName}',
    ]);
    expect(placed).toBe(node().name);
  });

  it('marks a Job whose container fails as Failed', async () => {
    await apply(job('fails', 'echo going to fail; exit 3'));
    await kubectlOk(['-n', ns(), 'wait', '--for=condition=Failed', '--timeout=90s', 'job/fails']);
    const exit = await kubectlOk([
      '-n',
      ns(),
      'get',
      'pods',
      '-l',
      'job-name=fails',
      '-o',
      'jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode}',
    ]);
    expect(exit).toBe('3');
    const logs = await kubectl(['-n', ns(), 'logs', 'job/fails']);
    expect(logs.stdout).toContain('going to fail');
  });

  it("runs the project's image, built offline from its Dockerfile", async () => {
    await apply(job('runner', '', node().projectImage(), ['node', 'dist/cli/runner.js', '--help']));
    await kubectlOk([
      '-n',
      ns(),
      'wait',
      '--for=condition=Complete',
      '--timeout=90s',
      'job/runner',
    ]);
    const logs = await kubectlOk(['-n', ns(), 'logs', 'job/runner']);
    expect(logs).toMatch(/runner/i);
    expect(logs).toMatch(/usage|--help/i);
  });

  it('lets a pod reach the API server through the kubernetes Service with its token', async () => {
    const script = `
      const fs = require('fs'), https = require('https');
      const d = '/var/run/secrets/kubernetes.io/serviceaccount/';
      const get = (path) => new Promise((resolve, reject) => https.get({
        host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, path,
        ca: fs.readFileSync(d + 'ca.crt'),
        headers: { authorization: 'Bearer ' + fs.readFileSync(d + 'token', 'utf8') },
      }, (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => resolve([r.statusCode, b])); }).on('error', reject));
      (async () => {
        const [v, body] = await get('/version');
        console.log('version', v, JSON.parse(body).gitVersion);
        const [s] = await get('/api/v1/namespaces/kube-system/secrets');
        console.log('secrets', s);
      })().catch((e) => { console.error(e.message); process.exit(1); });`;
    await apply(job('api', '', node().projectImage(), ['node', '-e', script], true));
    await kubectlOk(['-n', ns(), 'wait', '--for=condition=Complete', '--timeout=90s', 'job/api']);
    const logs = await kubectlOk(['-n', ns(), 'logs', 'job/api']);
    expect(logs).toMatch(/^version 200 v1\.\d+\.\d+/m);
    // The default service account may not list secrets: authenticated, and RBAC applies.
    expect(logs).toMatch(/^secrets 403$/m);
  });
});
