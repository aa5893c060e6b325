import { describe, expect, test } from '@jest/globals';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import {
  ADVISORY_DB_PATH,
  buildJob,
  GIT_CONFIG_PATH,
  SERVICE_ACCOUNT_PATH,
  TESTS_BENCH_PATH,
} from './job-builder.ts';
import { testLoopCommand } from '../contracts/test-container-protocol.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';

function target(tests: Record<string, unknown> = {}): ImprovementTarget {
  return {
    metadata: { name: 'web', namespace: 'team', uid: 'u1' },
    spec: {
      repository: {
        url: 'https://github.com/acme/web.git',
        credentialsSecretRef: { name: 'gh', key: 'token' },
      },
      model: { apiKeySecretRef: { name: 'llm' } },
      runner: { resources: { limits: { memory: '512Mi' } } },
      tests,
    },
  } as unknown as ImprovementTarget;
}
const run = {
  metadata: { name: 'web-1', namespace: 'team', uid: 'u2' },
  spec: { targetRef: { name: 'web' }, trigger: 'schedule' },
} as unknown as ImprovementRun;

function pod(t = target()): V1PodSpec {
  return buildJob(t, run, { image: 'example.com/opencode:1' }).spec!.template.spec!;
}
const byName = (p: V1PodSpec, name: string): V1Container =>
  p.containers.find((c) => c.name === name)!;

describe('buildJob', () => {
  test("a deployer's git ConfigMap reaches the runner alone, as OPENCODE_GIT_CONFIG", () => {
    expect(pod().volumes!.find((v) => v.name === 'git-config')).toBeUndefined();
    const p = buildJob(target(), run, { image: 'example.com/opencode:1', gitConfigMap: 'git' })
      .spec!.template.spec!;
    expect(p.volumes).toContainEqual({ name: 'git-config', configMap: { name: 'git' } });
    const runner = byName(p, 'runner');
    expect(runner.volumeMounts).toContainEqual({
      name: 'git-config',
      mountPath: GIT_CONFIG_PATH,
      readOnly: true,
    });
    expect(runner.env).toContainEqual({
      name: 'OPENCODE_GIT_CONFIG',
      value: `${GIT_CONFIG_PATH}/gitconfig`,
    });
    const tests = byName(p, 'tests');
    expect(tests.volumeMounts!.map((m) => m.name)).not.toContain('git-config');
    expect(tests.env!.map((e) => e.name)).not.toContain('OPENCODE_GIT_CONFIG');
  });

  test('a local advisory database reaches the runner alone, read-only, as OPENCODE_ADVISORY_DB', () => {
    expect(pod().volumes!.find((v) => v.name === 'advisory-db')).toBeUndefined();
    const p = buildJob(target(), run, { image: 'example.com/opencode:1', advisoryDbClaim: 'osv' })
      .spec!.template.spec!;
    expect(p.volumes).toContainEqual({
      name: 'advisory-db',
      persistentVolumeClaim: { claimName: 'osv', readOnly: true },
    });
    const runner = byName(p, 'runner');
    expect(runner.volumeMounts).toContainEqual({
      name: 'advisory-db',
      mountPath: ADVISORY_DB_PATH,
      readOnly: true,
    });
    expect(runner.env).toContainEqual({ name: 'OPENCODE_ADVISORY_DB', value: ADVISORY_DB_PATH });
    const tests = byName(p, 'tests');
    expect(tests.volumeMounts!.map((m) => m.name)).not.toContain('advisory-db');
  });

  test('two containers share the workspace: the runner, and the tests in their own image', () => {
    const p = pod();
    expect(p.containers.map((c) => c.name)).toEqual(['runner', 'tests']);
    const tests = byName(p, 'tests');
    expect(tests.image).toBe('node:24-bookworm');
    expect(tests.command).toEqual(testLoopCommand(TESTS_BENCH_PATH));
    expect(tests.command![0]).toBe('/bin/sh');
    // Only the bench folder of the shared volume: the runner's clone is elsewhere on it.
    expect(tests.volumeMounts).toContainEqual({
      name: 'workspace',
      mountPath: TESTS_BENCH_PATH,
      subPath: 'bench',
    });
    expect(tests.volumeMounts!.find((m) => m.name === 'workspace' && !m.subPath)).toBeUndefined();
    const runner = byName(p, 'runner');
    expect(runner.volumeMounts).toContainEqual({ name: 'workspace', mountPath: '/workspace' });
    expect(runner.env).toContainEqual({ name: 'OPENCODE_TEST_BENCH', value: TESTS_BENCH_PATH });
    // Writable HOME/TMPDIR for the tools, on a volume of the test container's own.
    expect(tests.env).toEqual([
      { name: 'HOME', value: '/tmp' },
      { name: 'TMPDIR', value: '/tmp' },
    ]);
    expect(tests.volumeMounts).toContainEqual({ name: 'tests-tmp', mountPath: '/tmp' });
  });

  test('the forge token, the model key and the service-account token reach the runner alone', () => {
    const p = pod();
    expect(p.automountServiceAccountToken).toBe(false);
    const runner = byName(p, 'runner');
    const tests = byName(p, 'tests');
    const names = (c: V1Container) => (c.env ?? []).map((e) => e.name);
    expect(names(runner)).toEqual(
      expect.arrayContaining(['OPENCODE_FORGE_TOKEN', 'OPENCODE_MODEL_API_KEY']),
    );
    expect(names(tests)).toEqual(['HOME', 'TMPDIR']);
    expect(JSON.stringify(tests)).not.toMatch(/secret|token|OPENCODE_/i);
    expect(tests.envFrom).toBeUndefined();

    const sa = p.volumes!.find((v) => v.name === 'kube-api-access')!;
    expect(sa.projected!.sources).toEqual([
      { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      {
        downwardAPI: {
          items: [
            { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
          ],
        },
      },
    ]);
    expect(runner.volumeMounts).toContainEqual({
      name: 'kube-api-access',
      mountPath: SERVICE_ACCOUNT_PATH,
      readOnly: true,
    });
    expect(tests.volumeMounts!.map((m) => m.name)).not.toContain('kube-api-access');
  });

  test('both containers meet Pod Security restricted, with a read-only root', () => {
    const p = pod();
    expect(p.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const c of p.containers)
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
  });

  test('spec.tests sets the image, pull policy and resources of the test container alone', () => {
    const p = pod(
      target({
        image: 'python:3.12-slim',
        imagePullPolicy: 'Never',
        resources: { limits: { memory: '2Gi', cpu: '2' } },
      }),
    );
    const tests = byName(p, 'tests');
    expect(tests.image).toBe('python:3.12-slim');
    expect(tests.imagePullPolicy).toBe('Never');
    expect(tests.resources).toEqual({ limits: { memory: '2Gi', cpu: '2' } });
    expect(byName(p, 'runner').resources).toEqual({ limits: { memory: '512Mi' } });
    expect(byName(p, 'runner').image).toBe('example.com/opencode:1');
  });
});
