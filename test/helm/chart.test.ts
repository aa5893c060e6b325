// The Helm chart with the real tools: helm lint, the values schema, and the
// rendered manifests applied to the real API server (server-side dry-run,
// then for real), with the operator's and the runner's pods admitted under
// Pod Security `restricted`.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { operatorCommand } from '../../src/cli/operator.ts';
import { buildJob } from '../../src/controllers/job-builder.ts';
import { kubectl, kubectlOk, repoRoot, useNamespace } from '../support/kube.ts';
import {
  CHART,
  FIXTURES,
  find,
  helm,
  type KubeObject,
  objects,
  renderChart,
  templateArgs,
  useHelm,
} from './support.ts';

useHelm();

const FULL = join(FIXTURES, 'values-full.yaml');
// The release namespace enforces `restricted`: the operator's own pods run there.
const releaseNs = useNamespace('helm', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const teamA = useNamespace('helm-a', { 'pod-security.kubernetes.io/enforce': 'restricted' });
const teamB = useNamespace('helm-b');
const release = `oc-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  await kubectlOk(['apply', '--server-side', '-f', 'charts/opencode-operator/crds']);
  await kubectlOk(['apply', '--server-side', '-f', join(FIXTURES, 'monitoring-crds.yaml')]);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    '-f',
    'charts/opencode-operator/crds',
    '-f',
    join(FIXTURES, 'monitoring-crds.yaml'),
  ]);
}, 120_000);

const fullValues = () => ({
  valuesFile: FULL,
  setJson: { watchNamespaces: [teamA(), teamB()], runnerNamespaces: [teamA(), teamB()] },
});

async function apply(manifests: string, dryRun: boolean): Promise<string> {
  const args = ['apply', '--server-side', '--field-manager=helm-test', '-f', '-'];
  if (dryRun) args.push('--dry-run=server');
  const r = await kubectl(args, { input: manifests });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  // A warning would be a deprecated API or a Pod Security violation.
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** Creates a Pod from a pod template with a server-side dry run. */
function podFrom(template: { metadata?: object; spec: object }, name: string) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { ...template.metadata, name },
    spec: template.spec,
  });
}

const list = (items: KubeObject[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

describe('helm lint', () => {
  test('passes with default values', async () => {
    const r = await helm(['lint', CHART, '--strict', '--kube-version', 'v1.36.3']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  test('passes with every value set', async () => {
    const r = await helm(['lint', CHART, '--strict', '--kube-version', 'v1.36.3', '-f', FULL]);
    expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  });
});

describe('values.schema.json', () => {
  test.each([
    ['an unknown log level', ['logLevel=loud'], 'logLevel'],
    ['an unknown top-level value', ['replicaCount=2'], 'replicaCount'],
    ['zero replicas', ['replicas=0'], 'replicas'],
    ['a bad watch namespace', ['watchNamespaces[0]=Team_A'], 'watchNamespaces'],
    ['a bad alert duration', ['prometheusRule.stalledFor=soon'], 'stalledFor'],
    ['an unknown pull policy', ['image.pullPolicy=Sometimes'], 'pullPolicy'],
    ['a zero pod start grace', ['runner.podStartGraceSeconds=0'], 'podStartGraceSeconds'],
    ['an unknown NetworkPolicy rule', ['networkPolicy.ssh.to=null'], 'ssh'],
  ])('refuses %s', async (_what, set, field) => {
    const r = await helm(templateArgs('x', 'default', { set }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(field);
  });

  test.each([
    [
      'a NetworkPolicy without the API server',
      ['networkPolicy.enabled=true'],
      'networkPolicy.apiServer.to is required',
    ],
    ['a webhook without its secret', ['webhook.enabled=true'], 'webhook.secret'],
  ])('refuses %s with a message that says what to set', async (_what, set, message) => {
    const r = await helm(templateArgs('x', 'default', { set }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  test('every key of values.yaml is described by the schema', () => {
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8'));
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const missing: string[] = [];
    const walk = (v: any, s: any, path: string) => {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return;
      for (const [k, child] of Object.entries(v)) {
        const sub =
          s?.properties?.[k] ??
          (typeof s?.additionalProperties === 'object' ? s.additionalProperties : undefined);
        if (!sub) missing.push(`${path}${k}`);
        else walk(child, sub, `${path}${k}.`);
      }
    };
    walk(values, schema, '');
    expect(missing).toEqual([]);
  });
});

describe('helm template → API server, default values (all namespaces)', () => {
  let manifests = '';
  let objs: KubeObject[] = [];
  beforeAll(async () => {
    manifests = await renderChart(release, releaseNs());
    objs = objects(manifests);
  });

  test('renders the expected kinds and no optional monitoring objects', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'Role',
      'Role',
      'RoleBinding',
      'RoleBinding',
      'Service',
      'ServiceAccount',
      'ServiceAccount',
    ]);
  });

  test('--include-crds carries exactly the CRDs of config/crd', async () => {
    const withCrds = objects(await renderChart(release, releaseNs(), { includeCrds: true }));
    const crds = withCrds.filter((o) => o.kind === 'CustomResourceDefinition');
    const source = objects(
      ['improvementtargets', 'improvementruns']
        .map((n) => readFileSync(join(repoRoot, 'config/crd', `${n}.opencode.dev.yaml`), 'utf8'))
        .join('\n---\n'),
    );
    expect(crds.map((c) => c.metadata.name).sort()).toEqual(
      source.map((c) => c.metadata.name).sort(),
    );
    for (const c of crds)
      expect(c).toEqual(source.find((s) => s.metadata.name === c.metadata.name));
  });

  test('is accepted with a server-side dry run, then applied for real', async () => {
    await apply(manifests, true);
    const out = await apply(manifests, false);
    expect(out).toContain(`deployment.apps/${release}-opencode-operator serverside-applied`);
    const dep = await kubectlOk([
      'get',
      'deployment',
      '-n',
      releaseNs(),
      `${release}-opencode-operator`,
      '-o',
      'json',
    ]);
    const spec = JSON.parse(dep).spec;
    expect(spec.replicas).toBe(2);
    expect(spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['--leader-elect', '--namespaces=', '--executor=job']),
    );
  });

  test("the operator Deployment's pod is admitted under Pod Security restricted", async () => {
    const dep = find(objs, 'Deployment');
    const r = await kubectl(
      ['create', '--dry-run=server', '-n', releaseNs(), '-o', 'name', '-f', '-'],
      { input: podFrom(dep.spec.template, 'operator-pod') },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('pod/operator-pod');
  });

  test("the runner Job's pod is admitted under Pod Security restricted", async () => {
    const job = parse(readFileSync(join(FIXTURES, 'runner-job.yaml'), 'utf8'));
    // The Job itself (PSA only warns on workload objects) ...
    const jr = await kubectl(['create', '--dry-run=server', '-n', releaseNs(), '-f', '-'], {
      input: JSON.stringify(job),
    });
    expect(jr.stderr).toBe('');
    expect(jr.code).toBe(0);
    // ... and its pod, which PSA enforces on.
    const r = await kubectl(
      ['create', '--dry-run=server', '-n', releaseNs(), '-o', 'name', '-f', '-'],
      { input: podFrom(job.spec.template, 'runner-pod') },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('pod/runner-pod');
  });

  test("the operator's real runner Job (src/controllers/job-builder.ts) and its pod are admitted", async () => {
    const target = {
      metadata: { name: 'api-server', namespace: releaseNs(), uid: 'u1' },
      spec: {
        repository: {
          url: 'https://github.com/acme/api-server.git',
          credentialsSecretRef: { name: 'github-token', key: 'token' },
        },
        runner: { activeDeadlineSeconds: 3600 },
      },
    };
    const runObj = {
      metadata: { name: 'api-server-29384756', namespace: releaseNs(), uid: 'u2' },
      spec: { targetRef: { name: 'api-server' }, trigger: 'schedule' },
    };
    const job = buildJob(target as any, runObj as any, { image: 'example.com/opencode:1' });
    // The chart's default runner ServiceAccount is the one the builder defaults to.
    expect(job.spec!.template.spec!.serviceAccountName).toBe('opencode-runner');
    const { ownerReferences: _owner, ...metadata } = job.metadata!;
    const jr = await kubectl(['create', '--dry-run=server', '-n', releaseNs(), '-f', '-'], {
      input: JSON.stringify({ ...job, metadata }),
    });
    expect(jr.stderr).toBe('');
    expect(jr.code).toBe(0);
    const r = await kubectl(
      ['create', '--dry-run=server', '-n', releaseNs(), '-o', 'name', '-f', '-'],
      { input: podFrom(job.spec!.template as any, 'built-runner-pod') },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('pod/built-runner-pod');
  });

  test('the namespace really enforces restricted: a pod without the security context is refused', async () => {
    const dep = find(objs, 'Deployment');
    const template = structuredClone(dep.spec.template);
    delete template.spec.securityContext;
    delete template.spec.containers[0].securityContext;
    const r = await kubectl(['create', '--dry-run=server', '-n', releaseNs(), '-f', '-'], {
      input: podFrom(template, 'lax-pod'),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('violates PodSecurity "restricted');
  });
});

describe('helm template → API server, every value set (namespaced)', () => {
  let manifests = '';
  let objs: KubeObject[] = [];
  const fullRelease = `${release}-full`;
  beforeAll(async () => {
    manifests = await renderChart(fullRelease, releaseNs(), fullValues());
    objs = objects(manifests);
  });

  test('watch namespaces get Roles, nothing cluster-wide', () => {
    expect(objs.filter((o) => o.kind.startsWith('Cluster'))).toEqual([]);
    const roles = objs.filter((o) => o.kind === 'Role').map((o) => o.metadata.namespace);
    expect(roles.sort()).toEqual(
      [teamA(), teamB(), teamA(), teamB(), releaseNs()].sort(), // manager x2, runner x2, leases
    );
  });

  test('the values reach the Deployment, ServiceMonitor, PrometheusRule and dashboard', () => {
    const dep = find(objs, 'Deployment');
    const c = dep.spec.template.spec.containers[0];
    expect(dep.spec.replicas).toBe(3);
    expect(c.image).toBe('registry.example.com/platform/opencode-operator:0.1.0-rc.1');
    expect(c.imagePullPolicy).toBe('Always');
    expect(c.args).toEqual(
      expect.arrayContaining([
        `--namespaces=${teamA()},${teamB()}`,
        '--runner-image=registry.example.com/platform/opencode-runner:0.1.0-rc.1',
        '--log-level=debug',
        '--metrics-bind-address=:9090',
        '--pod-start-grace=45',
        '--runner-image-pull-policy=IfNotPresent',
        '--runner-git-config-map=runner-git',
        '--runner-advisory-db-claim=osv-db',
        '--webhook-bind-address=:9444',
        '--webhook-secret-file=/etc/opencode/webhook/hmac',
      ]),
    );
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'RUNNER_SERVICE_ACCOUNT', value: 'improvement-runner' },
        { name: 'OLLAMA_HOST', value: 'http://ollama.ollama.svc:11434' },
      ]),
    );
    expect(c.resources.limits.memory).toBe('1Gi');
    expect(dep.spec.template.spec.tolerations[0].key).toBe('dedicated');
    expect(find(objs, 'ServiceMonitor').spec.endpoints[0]).toMatchObject({
      port: 'metrics',
      interval: '15s',
    });
    const rule = find(objs, 'PrometheusRule');
    const down = rule.spec.groups
      .flatMap((g: any) => g.rules)
      .find((r: any) => r.alert === 'OpencodeOperatorDown');
    expect(down).toMatchObject({
      expr: 'absent(up{job="opencode-operator"} == 1)',
      for: '3m',
      labels: { team: 'platform', severity: 'critical' },
    });
    const cm = find(objs, 'ConfigMap');
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    expect(JSON.parse(cm.data['opencode-operator.json']).uid).toBe('opencode-operator');
  });

  test("the operator's CLI (src/cli/operator.ts) accepts the Deployment's command line", () => {
    const c = find(objs, 'Deployment').spec.template.spec.containers[0];
    expect(c.command).toEqual(['node', 'dist/cli/operator.js']);
    const cmd = operatorCommand().exitOverride();
    cmd.parse(['node', 'dist/cli/operator.js', ...c.args]);
    expect(cmd.opts()).toMatchObject({
      namespaces: `${teamA()},${teamB()}`,
      leaderElect: true,
      metricsBindAddress: ':9090',
      healthProbeBindAddress: ':8081',
      runnerImage: 'registry.example.com/platform/opencode-runner:0.1.0-rc.1',
      logLevel: 'debug',
      executor: 'job',
      podStartGrace: 45,
      runnerImagePullPolicy: 'IfNotPresent',
      runnerGitConfigMap: 'runner-git',
      runnerAdvisoryDbClaim: 'osv-db',
      webhookBindAddress: ':9444',
      webhookSecretFile: '/etc/opencode/webhook/hmac',
    });
  });

  test('the webhook: its Secret mounted where the flag points, a Service and an Ingress for /webhooks only', () => {
    const pod = find(objs, 'Deployment').spec.template.spec;
    const mount = pod.containers[0].volumeMounts.find((m: any) => m.name === 'webhook-secret');
    expect(mount).toEqual({
      name: 'webhook-secret',
      mountPath: '/etc/opencode/webhook',
      readOnly: true,
    });
    const secretName = `${fullRelease}-opencode-operator-webhook`;
    expect(pod.volumes.find((v: any) => v.name === 'webhook-secret').secret).toEqual({
      secretName,
      items: [{ key: 'hmac', path: 'hmac' }],
    });
    const secret = find(objs, 'Secret', secretName);
    expect(Buffer.from(secret.data.hmac, 'base64').toString()).toBe('not-a-real-webhook-secret');
    const svc = find(objs, 'Service', secretName);
    expect(svc.spec.ports).toEqual([
      { name: 'webhook', port: 8443, targetPort: 'webhook', protocol: 'TCP' },
    ]);
    expect(pod.containers[0].ports).toContainEqual({
      name: 'webhook',
      containerPort: 9444,
      protocol: 'TCP',
    });
    const ing = find(objs, 'Ingress', secretName);
    expect(ing.spec.ingressClassName).toBe('nginx');
    expect(ing.spec.rules).toEqual([
      {
        host: 'hooks.example.com',
        http: {
          paths: [
            {
              path: '/webhooks',
              pathType: 'Prefix',
              backend: { service: { name: secretName, port: { name: 'webhook' } } },
            },
          ],
        },
      },
    ]);
  });

  test('a NetworkPolicy in each runner namespace: no ingress, egress to the five destinations only', () => {
    const pols = objs.filter((o) => o.kind === 'NetworkPolicy');
    expect(pols.map((p) => p.metadata.namespace).sort()).toEqual([teamA(), teamB()].sort());
    for (const p of pols) {
      expect(p.spec.podSelector).toEqual({
        matchLabels: { 'app.kubernetes.io/managed-by': 'opencode-operator' },
      });
      expect(p.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(p.spec.ingress).toEqual([]);
      expect(
        p.spec.egress.map((r: any) => r.to[0].ipBlock?.cidr ?? Object.keys(r.to[0]).join('+')),
      ).toEqual([
        'namespaceSelector+podSelector',
        '10.96.0.1/32',
        '140.82.112.0/20',
        'namespaceSelector',
        '104.16.0.0/12',
      ]);
      expect(p.spec.egress[0].ports).toEqual([{ port: 53, protocol: 'UDP' }]);
    }
    // It selects the pods the operator makes (src/controllers/job-builder.ts).
    const job = buildJob(
      {
        metadata: { name: 't', namespace: teamA(), uid: 'u' },
        spec: { repository: { url: 'https://example.com/r.git' } },
      } as never,
      { metadata: { name: 'r', namespace: teamA(), uid: 'v' }, spec: {} } as never,
      { image: 'x' },
    );
    const labels = job.spec!.template.metadata!.labels!;
    for (const [k, v] of Object.entries(pols[0]!.spec.podSelector.matchLabels))
      expect(labels[k]).toBe(v);
  });

  test('is accepted with a server-side dry run, then applied for real', async () => {
    await apply(manifests, true);
    await apply(manifests, false);
    const kinds = await kubectlOk([
      'get',
      'servicemonitors,prometheusrules,configmaps',
      '-n',
      releaseNs(),
      '-l',
      `app.kubernetes.io/instance=${fullRelease}`,
      '-o',
      'name',
    ]);
    expect(kinds.trim().split('\n').sort()).toEqual([
      `configmap/${fullRelease}-opencode-operator-dashboard`,
      `prometheusrule.monitoring.coreos.com/${fullRelease}-opencode-operator`,
      `servicemonitor.monitoring.coreos.com/${fullRelease}-opencode-operator`,
    ]);
  });

  test("the operator Deployment's pod is admitted under Pod Security restricted", async () => {
    // The pod needs its ServiceAccount, which the chart put in the release namespace.
    const dep = find(objs, 'Deployment');
    const r = await kubectl(
      ['create', '--dry-run=server', '-n', releaseNs(), '-o', 'name', '-f', '-'],
      { input: podFrom(dep.spec.template, 'operator-pod-full') },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('pod/operator-pod-full');
  });

  test('the runner pod with the chart-made ServiceAccount is admitted in a restricted watch namespace', async () => {
    const job = parse(readFileSync(join(FIXTURES, 'runner-job.yaml'), 'utf8'));
    job.spec.template.spec.serviceAccountName = 'improvement-runner';
    const r = await kubectl(
      ['create', '--dry-run=server', '-n', teamA(), '-o', 'name', '-f', '-'],
      { input: podFrom(job.spec.template, 'runner-pod') },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('pod/runner-pod');
  });
});

describe('config/ (kustomize) manifests', () => {
  test('kubectl kustomize config gives manifests the API server accepts (dry run)', async () => {
    const out = await kubectlOk(['kustomize', 'config']);
    const kinds = objects(out).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'Namespace/opencode-system',
        'Deployment/opencode-operator',
        'Service/opencode-operator-metrics',
        'ClusterRole/opencode-operator-manager',
        'Role/opencode-operator-leader-election',
      ]),
    );
    // The namespace does not exist yet, so a dry run of the namespaced objects
    // would fail: check the namespace and cluster-scoped objects, and the rest
    // in the release namespace.
    const r = await kubectl(
      ['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'],
      {
        input: list(objects(out).filter((o) => !o.metadata.namespace)),
      },
    );
    expect(r.stderr).toBe('');
    const namespaced = objects(out)
      .filter((o) => o.metadata.namespace)
      .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: releaseNs() } }));
    const r2 = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
      input: list(namespaced),
    });
    expect(r2.stderr).toBe('');
    expect(r2.code).toBe(0);
  });

  test('the config/rbac operator rules equal the chart rules', async () => {
    const cfg = parse(readFileSync(join(repoRoot, 'config/rbac/role.yaml'), 'utf8'));
    const chart = find(objects(await renderChart(release, releaseNs())), 'ClusterRole');
    expect(chart.rules).toEqual(cfg.rules);
  });
});
