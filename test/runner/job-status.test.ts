// Job mode against the real API server: the run's status is written with a
// merge patch on the status subresource and the outcome printed as one JSON
// line; and `opencode-runner run --dry-run` prints the diff and changes nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { installCrds, kubeConfig, kubectlOk, repoRoot, useNamespace } from '../support/kube.ts';
import { startOllamaDouble, type OllamaDouble } from '../doubles/ollama/server.ts';
import { runJob } from '../../src/runner/index.ts';
import { testLoopCommand } from '../../src/contracts/test-container-protocol.ts';
import { DOC_EDIT, capturedLogger, git, planFor, sandbox, type Sandbox } from './support.ts';

const ns = useNamespace('runner');
let ollama: OllamaDouble;
let sb: Sandbox;
beforeAll(async () => {
  await installCrds();
  // The runner's shipped Role and RoleBinding (config/rbac/runner), in this namespace.
  const rbac = ['role.yaml', 'role-binding.yaml']
    .map((f) => readFileSync(join(repoRoot, 'config/rbac/runner', f), 'utf8'))
    .join('\n---\n')
    .replace(/namespace: opencode/g, `namespace: ${ns()}`);
  await kubectlOk(['apply', '-n', ns(), '-f', '-'], { input: rbac });
  ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
});
afterAll(() => ollama.close());
afterEach(() => sb?.cleanup());

const api = () => kubeConfig().makeApiClient(CustomObjectsApi);

/** Credentials of the runner's service account (impersonated), with only its narrow RBAC. */
function runnerKubeConfig(): KubeConfig {
  const kc = kubeConfig();
  const current = kc.getCurrentUser()!.name;
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
    users: kc.users.map((u) =>
      u.name === current
        ? { ...u, impersonateUser: `system:serviceaccount:${ns()}:opencode-runner` }
        : u,
    ),
  });
  return out;
}
const ref = (name: string) => ({
  group: 'opencode.dev',
  version: 'v1alpha1',
  namespace: ns(),
  plural: 'improvementruns',
  name,
});

async function createRun(name: string) {
  await api().createNamespacedCustomObject({
    ...ref(name),
    body: {
      apiVersion: 'opencode.dev/v1alpha1',
      kind: 'ImprovementRun',
      metadata: { name },
      spec: { targetRef: { name: 'demo' }, trigger: 'schedule' },
    },
  });
}
const getRun = async (name: string) => (await api().getNamespacedCustomObject(ref(name))) as any;

function jobEnv(name: string, spec: Record<string, unknown>) {
  return {
    ...process.env,
    OPENCODE_TARGET: JSON.stringify({ namespace: ns(), name: 'demo', spec }),
    OPENCODE_RUN: JSON.stringify({
      name,
      spec: { targetRef: { name: 'demo' }, trigger: 'schedule' },
    }),
    OPENCODE_WORKSPACE: sb.workspace,
    OLLAMA_HOST: ollama.url,
  };
}

describe('runner job', () => {
  it('marks the run Running, then writes the outcome into its status and prints one JSON line', async () => {
    sb = sandbox();
    await createRun('demo-100');
    ollama.script([
      (req) => {
        // While the run works, the status already says Running.
        void getRun('demo-100').then((r) => (phaseDuringRun = r.status?.phase));
        return planFor(/^docs:src\/math\.js$/)(req);
      },
      DOC_EDIT,
    ]);
    let phaseDuringRun: string | undefined;
    const printed: string[] = [];
    const { logger } = capturedLogger();
    const outcome = await runJob({
      logger,
      kubeConfig: runnerKubeConfig(),
      env: jobEnv('demo-100', {
        repository: { url: sb.url, provider: 'git' },
        schedule: '@daily',
        tests: { command: 'node --test' },
      }),
      print: (l) => printed.push(l),
    });
    expect(outcome.phase).toBe('Succeeded');
    expect(printed).toHaveLength(1);
    expect(JSON.parse(printed[0]!)).toMatchObject({ phase: 'Succeeded', commit: outcome.commit });
    expect(phaseDuringRun).toBe('Running');
    const { status } = await getRun('demo-100');
    expect(status).toMatchObject({
      phase: 'Succeeded',
      branch: 'develop',
      commit: outcome.commit,
      improvement: { type: 'documentation', priority: 'P3', title: 'Document add' },
      tests: { command: 'node --test', passed: true },
    });
    expect(Date.parse(status.startTime)).toBeLessThanOrEqual(Date.parse(status.completionTime));
    // That identity can patch the status and nothing else, not even read the run.
    await expect(
      runnerKubeConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject(ref('demo-100')),
    ).rejects.toMatchObject({ code: 403 });
  });

  it('with a test container, runs set-up and tests through its loop and stops it at the end', async () => {
    sb = sandbox();
    await createRun('demo-120');
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    // The Job's test container, minus the container: the real loop on the bench folder.
    const bench = join(sb.workspace, 'bench');
    const [file, ...args] = testLoopCommand(bench);
    const loop = spawn(file!, args, { stdio: 'ignore' });
    const loopExit = new Promise<number | null>((resolve) => loop.on('close', resolve));
    const { logger } = capturedLogger();
    const outcome = await runJob({
      logger,
      kubeConfig: runnerKubeConfig(),
      env: {
        ...jobEnv('demo-120', {
          repository: { url: sb.url, provider: 'git' },
          schedule: '@daily',
          // Proves where it ran: the runner's clone is not under the bench.
          tests: { command: 'test "${PWD#' + bench + '/}" != "$PWD" && node --test' },
        }),
        OPENCODE_TEST_BENCH: bench,
      },
      print: () => undefined,
    }).finally(() => setTimeout(() => loop.kill('SIGKILL'), 10_000).unref());
    expect(outcome.phase).toBe('Succeeded');
    expect(await loopExit).toBe(0);
    const { status } = await getRun('demo-120');
    expect(status.tests).toMatchObject({ passed: true });
    expect(status.tests.isolation).toMatch(/^container:/);
  });

  it('fails fast on an invalid target spec, naming the field, and still reports it', async () => {
    sb = sandbox();
    await createRun('demo-101');
    const printed: string[] = [];
    const { logger } = capturedLogger();
    const outcome = await runJob({
      logger,
      kubeConfig: kubeConfig(),
      env: jobEnv('demo-101', {
        repository: { url: sb.url, provider: 'git' },
        schedule: '@daily',
        mergeMethod: 'octopus',
      }),
      print: (l) => printed.push(l),
    });
    expect(outcome.failure?.reason).toBe('InvalidConfiguration');
    expect(outcome.failure?.message).toContain('OPENCODE_TARGET.spec.mergeMethod');
    expect(JSON.parse(printed[0]!).failure.reason).toBe('InvalidConfiguration');
    const { status } = await getRun('demo-101');
    expect(status).toMatchObject({ phase: 'Failed', failure: { reason: 'InvalidConfiguration' } });
  });

  it('runs a rollback run in Job mode: an unknown commit fails cleanly and the status says so', async () => {
    sb = sandbox();
    await createRun('demo-102');
    const { logger } = capturedLogger();
    const env = jobEnv('demo-102', {
      repository: { url: sb.url, provider: 'git' },
      schedule: '@daily',
    });
    env.OPENCODE_RUN = JSON.stringify({
      name: 'demo-102',
      spec: {
        targetRef: { name: 'demo' },
        trigger: 'rollback',
        rollback: { id: 'r1', commit: 'abcdef1' },
      },
    });
    const outcome = await runJob({ logger, kubeConfig: kubeConfig(), env, print: () => undefined });
    expect(outcome.failure?.reason).toBe('RollbackTargetNotFound');
    const { status } = await getRun('demo-102');
    expect(status).toMatchObject({
      phase: 'Failed',
      failure: { reason: 'RollbackTargetNotFound' },
    });
  });
});

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(repoRoot, 'node_modules/.bin/node'), ['src/cli/runner.ts', ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('opencode-runner run --dry-run', () => {
  it('prints what it found, what it chose and the diff, and changes nothing', async () => {
    sb = sandbox();
    const refsBefore = git(sb.bare, ['for-each-ref']);
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const r = await cli([
      'run',
      '--repo',
      sb.bare,
      '--dry-run',
      '--ollama-host',
      ollama.url,
      '--test-command',
      'node --test',
      '--workspace',
      sb.workspace,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Found \d+ candidate\(s\) \(tests: node --test\):/);
    expect(r.stdout).toContain('P3 documentation');
    expect(r.stdout).toContain('Chose: P3 documentation: Document add');
    expect(r.stdout).toContain('+/** Adds two numbers. */');
    const last = r.stdout.trim().split('\n').at(-1)!;
    expect(JSON.parse(last)).toMatchObject({ phase: 'NoChange', noChangeReason: 'DryRun' });
    expect(git(sb.bare, ['for-each-ref'])).toBe(refsBefore);
  });

  it('names a bad option and exits non-zero', async () => {
    const r = await cli(['run', '--repo', '/nonexistent', '--provider', 'svn']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--provider');
    expect(r.stderr).toContain('must be one of git, github, gitea');
  });

  it('documents every option in --help', async () => {
    const r = await cli(['run', '--help']);
    for (const opt of [
      '--repo',
      '--dry-run',
      '--branch-work',
      '--provider',
      '--api-url',
      '--model-provider',
      '--model',
      '--ollama-host',
      '--test-command',
      '--state-dir',
      '--advisory-db',
    ])
      expect(r.stdout).toContain(opt);
  });
});
