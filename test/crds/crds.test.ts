// The CRDs on a real API server: they install, the samples are accepted,
// kubectl shows the printer columns, defaults are filled in, and bad
// manifests are refused at admission with a message naming the field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { GROUP, VERSION } from '../../src/crds/index.ts';
import {
  installCrds,
  kubeConfig,
  kubectl,
  kubectlOk,
  repoRoot,
  useNamespace,
} from '../support/kube.ts';

const ns = useNamespace('crds');
const api = () => kubeConfig().makeApiClient(CustomObjectsApi);
const sample = (file: string) =>
  parse(readFileSync(join(repoRoot, 'config/samples', file), 'utf8')) as Record<string, any>;

beforeAll(async () => {
  await installCrds();
}, 120_000);

function target(spec: Record<string, unknown>, name = 'bad') {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ImprovementTarget',
    metadata: { name },
    spec: { repository: { url: 'https://github.com/acme/x.git' }, schedule: '@daily', ...spec },
  };
}

async function createError(plural: string, body: object): Promise<string> {
  try {
    await api().createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns(),
      plural,
      body,
      dryRun: 'All',
    });
  } catch (err) {
    if (err instanceof ApiException) return String(err.body);
    throw err;
  }
  return 'accepted';
}

describe('installing', () => {
  test('kubectl apply -f config/crd brings both CRDs to Established', async () => {
    const out = await kubectlOk([
      'get',
      'crd',
      'improvementtargets.opencode.dev',
      'improvementruns.opencode.dev',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}',
    ]);
    expect(out.trim().split('\n').sort()).toEqual([
      'improvementruns.opencode.dev=True',
      'improvementtargets.opencode.dev=True',
    ]);
  });

  test('both samples are accepted', async () => {
    const r = await kubectl(['apply', '-n', ns(), '-f', 'config/samples']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('improvementtarget.opencode.dev/hello-service created');
    expect(r.stdout).toContain('improvementtarget.opencode.dev/api-server created');
  });
});

describe('defaults', () => {
  test('a minimal target read back has the defaults filled in', async () => {
    const body = {
      ...sample('improvementtarget-minimal.yaml'),
      metadata: { name: 'minimal-defaults' },
    };
    await api().createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns(),
      plural: 'improvementtargets',
      body,
    });
    const got = (await api().getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns(),
      plural: 'improvementtargets',
      name: 'minimal-defaults',
    })) as any;
    expect(got.spec).toMatchObject({
      repository: {
        provider: 'github',
        credentialsSecretRef: { name: 'github-token', key: 'token' },
      },
      branches: { main: 'main', work: 'develop', strategy: 'develop' },
      timeZone: 'Etc/UTC',
      suspend: false,
      autoMerge: true,
      mergeMethod: 'squash',
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      successfulRunsHistoryLimit: 3,
      failedRunsHistoryLimit: 3,
      model: { provider: 'ollama', name: 'codellama:7b-code', contextTokens: 8192 },
      tests: { timeoutSeconds: 900 },
      policy: {
        rampUp: true,
        maxFilesChanged: 10,
        maxLinesChanged: 400,
        maxOpenPullRequests: 1,
        protectedPaths: ['.github/workflows/**'],
      },
      labels: { priority: 'opencode-priority', question: 'opencode-question', bug: 'opencode-bug' },
      stateDir: '.opencode',
      runner: { activeDeadlineSeconds: 3600 },
    });
    expect(got.spec.policy.allowedTypes).toHaveLength(9);
    expect(got.spec.policy.risk).toEqual({ mainBelow: 30, approvalFrom: 70 });
    expect(got.spec.tests.command).toBeUndefined();
  });
});

describe('kubectl output', () => {
  beforeAll(async () => {
    await kubectlOk(['apply', '-n', ns(), '-f', 'config/samples']);
    const run = {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ImprovementRun',
      metadata: { name: 'api-server-29384756', labels: { 'opencode.dev/target': 'api-server' } },
      spec: {
        targetRef: { name: 'api-server' },
        trigger: 'schedule',
        scheduledTime: '2026-11-21T08:00:00Z',
      },
    };
    await api().createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ns(),
      plural: 'improvementruns',
      body: run,
    });
    await kubectlOk([
      'patch',
      '-n',
      ns(),
      'improvementrun',
      'api-server-29384756',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          phase: 'Succeeded',
          improvement: { type: 'tests', priority: 'P2', title: 'Cover the parser' },
          pullRequest: { number: 42, url: 'https://github.example.com/acme/api-server/pull/42' },
        },
      }),
    ]);
    await kubectlOk([
      'patch',
      '-n',
      ns(),
      'improvementtarget',
      'api-server',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          phase: 'Idle',
          nextScheduleTime: '2026-11-23T07:00:00Z',
          lastRun: {
            name: 'api-server-29384756',
            result: 'Succeeded',
            completionTime: new Date().toISOString(),
          },
        },
      }),
    ]);
  });

  test('kubectl get improvements lists both kinds with their printer columns', async () => {
    const out = await kubectlOk(['get', 'improvements', '-n', ns()]);
    const lines = out.split('\n');
    const header = (word: string) =>
      lines.find((l) => l.startsWith('NAME') && l.includes(word)) ?? '';
    expect(header('REPOSITORY').split(/\s{2,}/)).toEqual([
      'NAME',
      'REPOSITORY',
      'SCHEDULE',
      'SUSPENDED',
      'PHASE',
      'LAST RUN',
      'LAST RESULT',
      'NEXT RUN',
      'AGE',
    ]);
    expect(header('TARGET').split(/\s{2,}/)).toEqual([
      'NAME',
      'TARGET',
      'TRIGGER',
      'TYPE',
      'PRIORITY',
      'PHASE',
      'PR',
      'AGE',
    ]);
    const targetRow =
      lines.find((l) => l.startsWith('improvementtarget.opencode.dev/api-server')) ?? '';
    expect(targetRow.split(/\s+/).slice(0, 8)).toEqual([
      'improvementtarget.opencode.dev/api-server',
      'https://github.example.com/acme/api-server.git',
      '0',
      '8,20',
      '*',
      '*',
      '1-5',
      'false',
    ]);
    expect(targetRow).toMatch(/Idle\s+\d+s\s+Succeeded\s+2026-11-23T07:00:00Z/);
    const runRow =
      lines.find((l) => l.startsWith('improvementrun.opencode.dev/api-server-29384756')) ?? '';
    expect(runRow.split(/\s+/).slice(1, 7)).toEqual([
      'api-server',
      'schedule',
      'tests',
      'P2',
      'Succeeded',
      'https://github.example.com/acme/api-server/pull/42',
    ]);
  });

  test('the short names it and ir work', async () => {
    const it = await kubectlOk(['get', 'it', '-n', ns(), '-o', 'name']);
    expect(it.split('\n')).toContain('improvementtarget.opencode.dev/api-server');
    const ir = await kubectlOk(['get', 'ir', '-n', ns(), '-o', 'name']);
    expect(ir.trim()).toBe('improvementrun.opencode.dev/api-server-29384756');
  });

  test('an ImprovementRun spec cannot be changed once created', async () => {
    const r = await kubectl([
      'patch',
      '-n',
      ns(),
      'ir',
      'api-server-29384756',
      '--type=merge',
      '-p',
      '{"spec":{"trigger":"manual"}}',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec is immutable');
  });
});

// Each manifest is refused by the API server; the message names the field.
const invalidTargets: Array<[string, Record<string, unknown>, string]> = [
  ['no repository', { repository: undefined }, 'spec.repository'],
  ['no schedule', { schedule: undefined }, 'spec.schedule'],
  ['schedule in words', { schedule: 'every day at noon' }, 'spec.schedule'],
  ['six-field schedule', { schedule: '0 0 * * * *' }, 'spec.schedule'],
  ['schedule with CRON_TZ', { schedule: 'CRON_TZ=UTC 0 * * * *' }, 'spec.schedule'],
  ['http URL', { repository: { url: 'http://github.com/acme/x.git' } }, 'spec.repository.url'],
  [
    'token in URL',
    { repository: { url: 'https://x-access-token:ghp_abc@github.com/acme/x.git' } },
    'spec.repository.url',
  ],
  [
    'unknown provider',
    { repository: { url: 'https://github.com/acme/x.git', provider: 'bitbucket' } },
    'spec.repository.provider',
  ],
  [
    'gitea without apiUrl',
    { repository: { url: 'https://gitea.example.com/acme/x.git', provider: 'gitea' } },
    'spec.repository.apiUrl',
  ],
  ['work branch is main', { branches: { main: 'main', work: 'main' } }, 'spec.branches.work'],
  ['branch name with ..', { branches: { work: 'feature/../x' } }, 'spec.branches.work'],
  ['unknown strategy', { branches: { strategy: 'yolo' } }, 'spec.branches.strategy'],
  [
    'negative success history',
    { successfulRunsHistoryLimit: -1 },
    'spec.successfulRunsHistoryLimit',
  ],
  ['negative failed history', { failedRunsHistoryLimit: -2 }, 'spec.failedRunsHistoryLimit'],
  ['negative deadline', { startingDeadlineSeconds: -5 }, 'spec.startingDeadlineSeconds'],
  ['concurrencyPolicy Allow', { concurrencyPolicy: 'Allow' }, 'spec.concurrencyPolicy'],
  ['unknown merge method', { mergeMethod: 'fast-forward' }, 'spec.mergeMethod'],
  ['suspend as a string', { suspend: 'yes' }, 'spec.suspend'],
  [
    'rollback naming two things',
    { rollback: { id: '1', commit: 'abcdef1', run: 'x-1' } },
    'spec.rollback',
  ],
  ['rollback naming nothing', { rollback: { id: '1' } }, 'spec.rollback'],
  [
    'rollback of a ref, not a commit',
    { rollback: { id: '1', commit: 'HEAD~1' } },
    'spec.rollback.commit',
  ],
  ['rollback without id', { rollback: { commit: 'abcdef1' } }, 'spec.rollback.id'],
  [
    'unknown improvement type',
    { policy: { allowedTypes: ['magic'] } },
    'spec.policy.allowedTypes[0]',
  ],
  ['no files allowed', { policy: { maxFilesChanged: 0 } }, 'spec.policy.maxFilesChanged'],
  [
    'risk thresholds the wrong way round',
    { policy: { risk: { mainBelow: 80, approvalFrom: 40 } } },
    'spec.policy.risk.mainBelow',
  ],
  [
    'risk threshold over 101',
    { policy: { risk: { approvalFrom: 150 } } },
    'spec.policy.risk.approvalFrom',
  ],
  ['stateDir escaping the repo', { stateDir: 'docs/../../etc' }, 'spec.stateDir'],
  ['stateDir inside .git', { stateDir: '.git/opencode' }, 'spec.stateDir'],
  ['unknown model provider', { model: { provider: 'gpt' } }, 'spec.model.provider'],
  ['model host without scheme', { model: { host: 'ollama:11434' } }, 'spec.model.host'],
  ['time zone with spaces', { timeZone: 'Central European Time' }, 'spec.timeZone'],
  ['zero test timeout', { tests: { timeoutSeconds: 0 } }, 'spec.tests.timeoutSeconds'],
  [
    'resource limit in words',
    { runner: { resources: { limits: { cpu: 'lots' } } } },
    'spec.runner.resources.limits.cpu',
  ],
  ['author email without @', { commitAuthor: { email: 'nobody' } }, 'spec.commitAuthor.email'],
  [
    'grace period in words',
    { merge: { checkGracePeriod: 'a while' } },
    'spec.merge.checkGracePeriod',
  ],
  [
    'a Slack webhook with a signing key',
    {
      notify: {
        webhooks: [
          {
            name: 'chat',
            format: 'slack',
            urlSecretRef: { name: 'hooks' },
            signingSecretRef: { name: 'hooks' },
          },
        ],
      },
    },
    'spec.notify.webhooks[0]',
  ],
  [
    'an unknown notification event',
    { notify: { webhooks: [{ name: 'x', urlSecretRef: { name: 'h' }, events: ['Everything'] }] } },
    'spec.notify.webhooks[0].events[0]',
  ],
  ['notify without webhooks', { notify: { webhooks: [] } }, 'spec.notify.webhooks'],
];

describe('admission refuses invalid ImprovementTargets', () => {
  test.each(invalidTargets)('%s', async (_name, spec, field) => {
    const msg = await createError('improvementtargets', target(spec));
    expect(msg).not.toBe('accepted');
    expect(msg).toContain(field);
  });

  test('an ImprovementRun with an unknown trigger', async () => {
    const msg = await createError('improvementruns', {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ImprovementRun',
      metadata: { name: 'bad-run' },
      spec: { targetRef: { name: 'x' }, trigger: 'cron' },
    });
    expect(msg).toContain('spec.trigger');
  });

  test('a rollback run without its rollback', async () => {
    const msg = await createError('improvementruns', {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ImprovementRun',
      metadata: { name: 'bad-rollback' },
      spec: { targetRef: { name: 'x' }, trigger: 'rollback' },
    });
    expect(msg).toContain('spec.rollback');
  });

  test('a valid manifest passes the same path (the check can tell)', async () => {
    expect(await createError('improvementtargets', target({}, 'good'))).toBe('accepted');
  });

  test.each(['H 8 * * *', 'H(0-29)/10 H(9-17) * * 1-5', '0,H H/2 * * *'])(
    'a hashed schedule (%s) is accepted',
    async (schedule) => {
      expect(await createError('improvementtargets', target({ schedule }, 'hashed'))).toBe(
        'accepted',
      );
    },
  );
});
