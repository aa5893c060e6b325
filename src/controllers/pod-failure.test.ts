import { describe, expect, it } from '@jest/globals';
import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import { classifyPod, jobEnding, jobFailure } from './pod-failure.ts';

const NOW = new Date('2026-12-05T10:00:00Z');

function pod(statuses: Partial<V1ContainerStatus>[], ageMs = 0): V1Pod {
  return {
    metadata: { name: 'r-abc', creationTimestamp: new Date(NOW.getTime() - ageMs) },
    spec: {
      containers: [
        { name: 'runner', image: 'op:1' },
        { name: 'tests', image: 'node:24', resources: { limits: { memory: '64Mi' } } },
      ],
    },
    status: {
      containerStatuses: statuses.map((s) => ({
        image: s.name === 'tests' ? 'node:24' : 'op:1',
        imageID: '',
        ready: false,
        restartCount: 0,
        ...s,
      })) as V1ContainerStatus[],
    },
  };
}

describe('classifyPod', () => {
  it('names the OOM-killed container and the limit to raise', () => {
    const v = classifyPod(
      pod([
        { name: 'runner', state: { running: {} } },
        { name: 'tests', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
      ]),
      NOW,
      60_000,
    );
    expect(v).toEqual({
      failure: {
        reason: 'TestsOOMKilled',
        message: expect.stringContaining('(limit 64Mi): raise spec.tests.resources.limits.memory'),
      },
    });
    const r = classifyPod(
      pod([{ name: 'runner', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }]),
      NOW,
      60_000,
    );
    expect(r).toMatchObject({ failure: { reason: 'RunnerOOMKilled' } });
  });

  it('a test container that ended in error while the runner runs', () => {
    const v = classifyPod(
      pod([
        { name: 'runner', state: { running: {} } },
        { name: 'tests', state: { terminated: { exitCode: 127, reason: 'Error' } } },
      ]),
      NOW,
      60_000,
    );
    expect(v).toEqual({
      failure: {
        reason: 'TestContainerFailed',
        message: expect.stringContaining('(exit 127, Error) while the runner still needed it'),
      },
    });
    // Its normal end: told to stop, exit 0.
    expect(
      classifyPod(
        pod([
          { name: 'runner', state: { running: {} } },
          { name: 'tests', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ]),
        NOW,
        60_000,
      ),
    ).toBeUndefined();
  });

  it('a plain exit is not a pod failure (the runner reports those)', () => {
    expect(
      classifyPod(
        pod([
          { name: 'runner', state: { terminated: { exitCode: 1, reason: 'Error' } } },
          { name: 'tests', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        ]),
        NOW,
        0,
      ),
    ).toBeUndefined();
  });

  it('an image that will never be pulled fails at once; a pull back-off after the grace', () => {
    const never = pod([
      { name: 'runner', state: { waiting: { reason: 'PodInitializing' } } },
      {
        name: 'tests',
        state: { waiting: { reason: 'ErrImageNeverPull', message: 'image not present' } },
      },
    ]);
    expect(classifyPod(never, NOW, 60_000)).toEqual({
      failure: {
        reason: 'ImageUnavailable',
        message: expect.stringMatching(
          /tests container's image node:24 .*ErrImageNeverPull.*spec\.tests\.image/,
        ),
      },
    });
    const backoff = (age: number) =>
      pod([{ name: 'runner', state: { waiting: { reason: 'ImagePullBackOff' } } }], age);
    expect(classifyPod(backoff(10_000), NOW, 60_000)).toEqual({ recheckAfterMs: 50_000 });
    expect(classifyPod(backoff(60_000), NOW, 60_000)).toMatchObject({
      failure: { reason: 'ImageUnavailable', message: expect.stringContaining('spec.runner') },
    });
  });

  it('a missing Secret is named after the grace; other config errors keep their message', () => {
    const missing = (age: number) =>
      pod(
        [
          {
            name: 'runner',
            state: {
              waiting: {
                reason: 'CreateContainerConfigError',
                message: 'secret "forge" not found',
              },
            },
          },
        ],
        age,
      );
    expect(classifyPod(missing(1000), NOW, 30_000)).toEqual({ recheckAfterMs: 29_000 });
    expect(classifyPod(missing(31_000), NOW, 30_000)).toEqual({
      failure: {
        reason: 'SecretMissing',
        message: expect.stringContaining('Secret forge was not found'),
      },
    });
    const other = pod(
      [
        {
          name: 'runner',
          state: {
            waiting: { reason: 'CreateContainerConfigError', message: 'configmap "x" not found' },
          },
        },
      ],
      31_000,
    );
    expect(classifyPod(other, NOW, 30_000)).toMatchObject({
      failure: {
        reason: 'ContainerConfigError',
        message: expect.stringContaining('configmap "x"'),
      },
    });
  });

  it('a container still creating is nothing yet', () => {
    expect(
      classifyPod(
        pod([{ name: 'runner', state: { waiting: { reason: 'ContainerCreating' } } }], 1e6),
        NOW,
        0,
      ),
    ).toBeUndefined();
  });
});

describe('jobFailure', () => {
  const job = (reason: string, type = 'Failed'): V1Job => ({
    metadata: { name: 'r' },
    spec: { activeDeadlineSeconds: 30, template: {} },
    status: { conditions: [{ type, status: 'True', reason, message: 'm' }] },
  });

  it('the deadline wins over a pod deletion the controller made to enforce it', () => {
    expect(jobFailure(job('DeadlineExceeded'), true)).toMatchObject({
      reason: 'DeadlineExceeded',
      message: expect.stringContaining('(30s)'),
    });
  });

  it('a deleted pod is named; otherwise the Job controller’s reason is kept', () => {
    expect(jobFailure(job('BackoffLimitExceeded'), true)?.reason).toBe('PodDeleted');
    expect(jobFailure(job('BackoffLimitExceeded'), false)).toMatchObject({
      reason: 'JobFailed',
      message: expect.stringContaining('BackoffLimitExceeded'),
    });
    expect(jobFailure(job('x', 'Complete'), true)).toBeUndefined();
  });

  it('jobEnding sees the controller’s own teardown', () => {
    expect(jobEnding(job('DeadlineExceeded', 'FailureTarget'))).toBe(true);
    expect(jobEnding(job('x', 'Complete'))).toBe(false);
    expect(jobEnding(undefined)).toBe(false);
  });
});
