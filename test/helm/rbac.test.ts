// RBAC with `kubectl auth can-i --as=system:serviceaccount:…` against the
// real API server, both directions: the operator can do everything it needs
// and nothing more; the runner can patch ImprovementRun status and nothing else.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { kubectl, kubectlOk, useNamespace } from '../support/kube.ts';
import { FIXTURES, renderChart, useHelm } from './support.ts';

useHelm();

const operatorNs = useNamespace('rbac-op');
const teamA = useNamespace('rbac-a');
const teamB = useNamespace('rbac-b');
const other = useNamespace('rbac-x');
const clusterNs = useNamespace('rbac-cl');
const suffix = randomBytes(3).toString('hex');
const nsRelease = `ns-${suffix}`; // namespaced: watchNamespaces set
const clRelease = `cl-${suffix}`; // cluster-wide: watchNamespaces empty

beforeAll(async () => {
  await kubectlOk(['apply', '--server-side', '-f', 'charts/opencode-operator/crds']);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    '-f',
    'charts/opencode-operator/crds',
  ]);
  const namespaced = await renderChart(nsRelease, operatorNs(), {
    valuesFile: `${FIXTURES}/values-full.yaml`,
    setJson: { watchNamespaces: [teamA(), teamB()], runnerNamespaces: [teamA(), teamB()] },
    // The monitoring CRDs are not needed here.
    set: ['serviceMonitor.enabled=false', 'prometheusRule.enabled=false'],
  });
  await kubectlOk(['apply', '--server-side', '-f', '-'], { input: namespaced });
  const clusterWide = await renderChart(clRelease, clusterNs(), {});
  await kubectlOk(['apply', '--server-side', '-f', '-'], { input: clusterWide });
}, 120_000);

const sa = (ns: string, name: string) => `system:serviceaccount:${ns}:${name}`;
const nsOperator = () => sa(operatorNs(), `${nsRelease}-opencode-operator`);
const clOperator = () => sa(clusterNs(), `${clRelease}-opencode-operator`);

/** `kubectl auth can-i` as `who`: true for yes, false for no. */
async function canI(who: string, args: string[]): Promise<boolean> {
  const r = await kubectl(['auth', 'can-i', `--as=${who}`, ...args]);
  const answer = r.stdout.trim();
  if (answer !== 'yes' && answer !== 'no')
    throw new Error(`kubectl auth can-i ${args.join(' ')}: ${r.stderr || answer}`);
  return answer === 'yes';
}

/** Checks many questions, a few at a time; returns the ones answered wrongly. */
async function matrix(who: string, cases: [string[], boolean][]): Promise<string[]> {
  const wrong: string[] = [];
  const queue = [...cases];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const [args, want] = c;
      if ((await canI(who, args)) !== want)
        wrong.push(`${want ? 'cannot' : 'can'} ${args.join(' ')}`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return wrong.sort();
}

const OPERATOR_ALLOWED: [string, string[]][] = [
  [
    'improvementtargets.opencode.dev',
    ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  ],
  ['improvementruns.opencode.dev', ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']],
  ['improvementtargets.opencode.dev/status', ['get', 'update', 'patch']],
  ['improvementruns.opencode.dev/status', ['get', 'update', 'patch']],
  ['improvementtargets.opencode.dev/finalizers', ['update']],
  ['jobs.batch', ['get', 'list', 'watch', 'create', 'delete']],
  ['pods', ['get', 'list', 'watch']],
  ['events', ['create', 'patch']],
  ['events.events.k8s.io', ['create', 'patch']],
  ['secrets', ['get']],
];

/** `resource` or `resource/subresource` as can-i arguments. */
function resourceArgs(verb: string, resource: string, ns: string): string[] {
  const [res, sub] = resource.split('/') as [string, string | undefined];
  return [verb, res!, '-n', ns, ...(sub ? [`--subresource=${sub}`] : [])];
}

function operatorCan(ns: string): [string[], boolean][] {
  return OPERATOR_ALLOWED.flatMap(([res, verbs]) =>
    verbs.map((v): [string[], boolean] => [resourceArgs(v, res, ns), true]),
  );
}

/** What the operator must never do in a namespace it serves. */
function operatorCannot(ns: string): [string[], boolean][] {
  const no = (...args: string[]): [string[], boolean] => [[...args, '-n', ns], false];
  return [
    no('list', 'secrets'),
    no('watch', 'secrets'),
    no('create', 'secrets'),
    no('update', 'secrets'),
    no('update', 'jobs.batch'),
    no('patch', 'jobs.batch'),
    no('create', 'pods'),
    no('delete', 'pods'),
    no('create', 'pods', '--subresource=exec'),
    no('delete', 'events'),
    no('get', 'configmaps'),
    no('create', 'serviceaccounts'),
    no('create', 'serviceaccounts', '--subresource=token'),
    no('create', 'roles.rbac.authorization.k8s.io'),
    no('create', 'rolebindings.rbac.authorization.k8s.io'),
    no('bind', 'roles.rbac.authorization.k8s.io'),
    no('escalate', 'roles.rbac.authorization.k8s.io'),
    no('impersonate', 'serviceaccounts'),
    no('delete', 'improvementtargets.opencode.dev', '--subresource=finalizers'),
    no('create', 'deployments.apps'),
  ];
}

/** Cluster-scoped escalation paths closed to everyone we install. */
const NO_ESCALATION: [string[], boolean][] = [
  [['create', 'clusterroles.rbac.authorization.k8s.io'], false],
  [['create', 'clusterrolebindings.rbac.authorization.k8s.io'], false],
  [['bind', 'clusterroles.rbac.authorization.k8s.io'], false],
  [['escalate', 'clusterroles.rbac.authorization.k8s.io'], false],
  [['impersonate', 'users'], false],
  [['impersonate', 'groups'], false],
  [['impersonate', 'serviceaccounts', '--all-namespaces'], false],
  [['create', 'customresourcedefinitions.apiextensions.k8s.io'], false],
  [['list', 'secrets', '--all-namespaces'], false],
  [['create', 'namespaces'], false],
  [['update', 'nodes'], false],
];

describe('operator, namespaced install (watchNamespaces set)', () => {
  test('can do everything it needs in each watched namespace', async () => {
    const cases = [...operatorCan(teamA()), ...operatorCan(teamB())];
    expect(cases.length).toBe(2 * 34);
    expect(await matrix(nsOperator(), cases)).toEqual([]);
  });

  test('can take and renew only its own leader Lease in its namespace', async () => {
    const ns = operatorNs();
    expect(
      await matrix(nsOperator(), [
        [['create', 'leases.coordination.k8s.io', '-n', ns], true],
        [['get', 'leases.coordination.k8s.io/opencode-operator', '-n', ns], true],
        [['update', 'leases.coordination.k8s.io/opencode-operator', '-n', ns], true],
        [['get', 'leases.coordination.k8s.io/someone-else', '-n', ns], false],
        [['update', 'leases.coordination.k8s.io/someone-else', '-n', ns], false],
        [['delete', 'leases.coordination.k8s.io/opencode-operator', '-n', ns], false],
        [['list', 'leases.coordination.k8s.io', '-n', ns], false],
        [['create', 'leases.coordination.k8s.io', '-n', teamA()], false],
      ]),
    ).toEqual([]);
  });

  test('cannot list or watch Secrets, escalate or impersonate', async () => {
    const cases = [...operatorCannot(teamA()), ...operatorCannot(teamB()), ...NO_ESCALATION];
    expect(await matrix(nsOperator(), cases)).toEqual([]);
  });

  test("cannot touch another namespace's Jobs, targets or Secrets", async () => {
    const x = other();
    const cases: [string[], boolean][] = [
      ...['get', 'list', 'watch', 'create', 'delete'].map((v): [string[], boolean] => [
        [v, 'jobs.batch', '-n', x],
        false,
      ]),
      [['list', 'jobs.batch', '--all-namespaces'], false],
      [['get', 'secrets', '-n', x], false],
      [['list', 'improvementtargets.opencode.dev', '-n', x], false],
      [['list', 'improvementtargets.opencode.dev', '--all-namespaces'], false],
      [['create', 'improvementruns.opencode.dev', '-n', x], false],
      [['list', 'pods', '-n', x], false],
      [['create', 'events', '-n', x], false],
      [['get', 'secrets', '-n', operatorNs()], false],
    ];
    expect(await matrix(nsOperator(), cases)).toEqual([]);
  });

  test('its rules in a watched namespace are exactly the declared list', async () => {
    const out = await kubectlOk(['auth', 'can-i', '--list', `--as=${nsOperator()}`, '-n', teamA()]);
    expect(resourceRules(out)).toEqual(
      expectedRules([
        ...OPERATOR_ALLOWED,
        // Every authenticated identity gets these from system:basic-user.
        ...BASIC_USER,
      ]),
    );
  });
});

describe('operator, cluster-wide install (watchNamespaces empty)', () => {
  test('can do everything it needs in any namespace', async () => {
    const cases = [...operatorCan(teamA()), ...operatorCan(other())];
    expect(await matrix(clOperator(), cases)).toEqual([]);
    expect(await canI(clOperator(), ['list', 'improvementtargets.opencode.dev', '-A'])).toBe(true);
    expect(await canI(clOperator(), ['watch', 'jobs.batch', '-A'])).toBe(true);
  });

  test('still cannot list or watch Secrets anywhere, escalate or impersonate', async () => {
    const cases = [
      ...operatorCannot(teamA()),
      ...operatorCannot(other()),
      [['watch', 'secrets', '--all-namespaces'], false] as [string[], boolean],
      ...NO_ESCALATION,
    ];
    expect(await matrix(clOperator(), cases)).toEqual([]);
  });
});

describe('runner', () => {
  const runner = () => sa(teamA(), 'improvement-runner');

  test('can patch ImprovementRun status', async () => {
    expect(
      await canI(runner(), [
        'patch',
        'improvementruns.opencode.dev',
        '--subresource=status',
        '-n',
        teamA(),
      ]),
    ).toBe(true);
  });

  test('can do nothing else', async () => {
    const ns = teamA();
    const no = (...args: string[]): [string[], boolean] => [[...args, '-n', ns], false];
    const cases: [string[], boolean][] = [
      no('get', 'secrets'),
      no('list', 'secrets'),
      no('get', 'improvementruns.opencode.dev'),
      no('update', 'improvementruns.opencode.dev'),
      no('patch', 'improvementruns.opencode.dev'),
      no('update', 'improvementruns.opencode.dev', '--subresource=status'),
      no('get', 'improvementruns.opencode.dev', '--subresource=status'),
      no('patch', 'improvementtargets.opencode.dev', '--subresource=status'),
      no('patch', 'improvementtargets.opencode.dev'),
      no('create', 'jobs.batch'),
      no('create', 'pods'),
      no('get', 'configmaps'),
      no('create', 'events'),
      [['patch', 'improvementruns.opencode.dev', '--subresource=status', '-n', teamB()], false],
      [['patch', 'improvementruns.opencode.dev', '--subresource=status', '-n', other()], false],
      ...NO_ESCALATION,
    ];
    expect(await matrix(runner(), cases)).toEqual([]);
    const out = await kubectlOk(['auth', 'can-i', '--list', `--as=${runner()}`, '-n', ns]);
    expect(resourceRules(out)).toEqual(
      expectedRules([['improvementruns.opencode.dev/status', ['patch']], ...BASIC_USER]),
    );
  });
});

const BASIC_USER: [string, string[]][] = [
  ['selfsubjectaccessreviews.authorization.k8s.io', ['create']],
  ['selfsubjectreviews.authentication.k8s.io', ['create']],
  ['selfsubjectrulesreviews.authorization.k8s.io', ['create']],
];

function expectedRules(rules: [string, string[]][]): string[] {
  return rules.map(([r, verbs]) => `${r} [${[...verbs].sort().join(' ')}]`).sort();
}

/** Resource rules (not non-resource URLs) from `kubectl auth can-i --list`. */
function resourceRules(out: string): string[] {
  const rows = out.trim().split('\n').slice(1);
  const byResource = new Map<string, Set<string>>();
  for (const row of rows) {
    const m = /^(\S+)\s+\[\]\s+\[(.*?)\]\s+\[(.*)\]$/.exec(row.trim());
    if (!m) continue; // a non-resource URL row
    const [, resource, names, verbs] = m;
    if (names) continue; // rules limited to names (none expected in a watched namespace)
    const set = byResource.get(resource!) ?? new Set<string>();
    for (const v of verbs!.split(' ')) set.add(v);
    byResource.set(resource!, set);
  }
  return [...byResource].map(([r, v]) => `${r} [${[...v].sort().join(' ')}]`).sort();
}
