import { describe, expect, it } from '@jest/globals';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { slimJob, slimPod } from './cache-shapes.ts';
import { buildJob } from './job-builder.ts';
import { classifyPod, jobFailure } from './pod-failure.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';

const NOW = new Date('2026-12-05T10:00:00Z');
const target = {
  metadata: { name: 'web', namespace: 'team', uid: 'u1' },
  spec: {
    repository: {
      url: 'https://github.com/acme/web.git',
      credentialsSecretRef: { name: 'gh', key: 'token' },
    },
    model: { apiKeySecretRef: { name: 'llm' } },
    runner: { activeDeadlineSeconds: 900 },
    tests: { resources: { limits: { memory: '1Gi' } } },
  },
} as unknown as ImprovementTarget;
const run = {
  metadata: { name: 'web-1', namespace: 'team', uid: 'u2' },
  spec: { targetRef: { name: 'web' }, trigger: 'schedule' },
} as unknown as ImprovementRun;

/** The Job the operator creates, as the API server returns it once it has failed. */
function serverJob(reason: string): V1Job & { metadata: { name: string } } {
  const job = buildJob(target, run, { image: 'example.com/opencode:1' });
  return {
    ...job,
    metadata: {
      ...job.metadata!,
      name: job.metadata!.name!,
      uid: 'j1',
      resourceVersion: '42',
      managedFields: [{ manager: 'opencode-operator', operation: 'Update' }],
    },
    status: { conditions: [{ type: 'Failed', status: 'True', reason, message: 'm' }] },
  };
}

/** Its pod: the Job's pod spec, with the tests container OOM-killed. */
function serverPod(): V1Pod & { metadata: { name: string } } {
  const job = serverJob('BackoffLimitExceeded');
  return {
    metadata: {
      name: 'web-1-abcde',
      namespace: 'team',
      labels: job.spec!.template.metadata!.labels,
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'web-1', uid: 'j1' }],
      creationTimestamp: NOW,
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update' }],
    },
    spec: job.spec!.template.spec!,
    status: {
      phase: 'Running',
      containerStatuses: [
        { name: 'runner', image: 'op', imageID: '', ready: true, restartCount: 0 },
        {
          name: 'tests',
          image: 'node:24',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
        },
      ],
    },
  };
}

const size = (o: unknown) => JSON.stringify(o).length;

describe('slimJob', () => {
  it('keeps what the controllers read and drops the pod template', () => {
    const full = serverJob('DeadlineExceeded');
    const before = jobFailure(structuredClone(full), false);
    const slim = slimJob(structuredClone(full));
    expect(jobFailure(slim, false)).toEqual(before);
    expect(before?.message).toContain('(900s)');
    expect(slim.metadata).toMatchObject({ name: 'web-1', uid: 'j1', resourceVersion: '42' });
    expect(slim.metadata.labels).toEqual(full.metadata.labels);
    expect(slim.metadata.ownerReferences).toEqual(full.metadata.ownerReferences);
    expect(slim.metadata.managedFields).toBeUndefined();
    expect(slim.spec?.template).toBeUndefined();
    expect(size(slim)).toBeLessThan(size(full) / 4);
  });
});

describe('slimPod', () => {
  it('keeps the statuses and memory limits that classify a failure, not the rest of the spec', () => {
    const full = serverPod();
    const before = classifyPod(structuredClone(full), NOW, 60_000);
    const slim = slimPod(structuredClone(full));
    expect(classifyPod(slim, NOW, 60_000)).toEqual(before);
    expect(before).toMatchObject({
      failure: { reason: 'TestsOOMKilled', message: expect.stringContaining('(limit 1Gi)') },
    });
    expect(slim.metadata.labels).toEqual(full.metadata.labels);
    expect(slim.metadata.managedFields).toBeUndefined();
    expect(slim.spec?.containers.map((c) => c.name)).toEqual(['runner', 'tests']);
    expect(slim.spec?.volumes).toBeUndefined();
    expect(size(slim)).toBeLessThan(size(full) / 2);
  });
});
