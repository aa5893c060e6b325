// Why a run's pod cannot finish, read from the pod and its Job: the cases
// where the Job alone says nothing useful (an image that will never be
// there waits until the deadline; an OOM-killed test container leaves the
// runner waiting; a deleted pod fails the Job as "BackoffLimitExceeded").
// Each gets its own stable reason and a message that says what to change.
// Pure: the executor feeds it what its caches hold.
import type { V1ContainerStatus, V1Job, V1Pod } from '@kubernetes/client-node';
import type { FailureReason } from '../runner/outcome.ts';

export const POD_FAILURE = {
  TestsOOMKilled: 'TestsOOMKilled',
  RunnerOOMKilled: 'RunnerOOMKilled',
  ImageUnavailable: 'ImageUnavailable',
  SecretMissing: 'SecretMissing',
  ContainerConfigError: 'ContainerConfigError',
  TestContainerFailed: 'TestContainerFailed',
  PodDeleted: 'PodDeleted',
  DeadlineExceeded: 'DeadlineExceeded',
  JobFailed: 'JobFailed',
} as const satisfies Record<string, FailureReason>;

export interface Failure {
  reason: string;
  message: string;
}

export type PodVerdict =
  | { failure: Failure }
  /** Nothing decided yet; look again then (a grace period is running). */
  | { recheckAfterMs: number }
  | undefined;

/** Waiting reasons that never clear by themselves. */
const PERMANENT_IMAGE = new Set(['ErrImageNeverPull', 'InvalidImageName']);
/** Waiting reasons that may clear (a registry hiccup) and so get a grace period. */
const RETRYING_IMAGE = new Set(['ErrImagePull', 'ImagePullBackOff']);

/** Where a user changes what failed, per container. */
const FIELD = {
  runner: 'spec.runner',
  tests: 'spec.tests',
} as Record<string, string>;

function statuses(pod: V1Pod): V1ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

function limitOf(pod: V1Pod, container: string): string | undefined {
  const c = pod.spec?.containers.find((x) => x.name === container);
  return c?.resources?.limits?.memory as string | undefined;
}

/**
 * What the pod says about the run. `graceMs` applies to conditions that a
 * retry might still clear (an image pull, a Secret that may be recreated),
 * counted from the pod's creation.
 */
export function classifyPod(pod: V1Pod, now: Date, graceMs: number): PodVerdict {
  for (const s of statuses(pod)) {
    const term = s.state?.terminated ?? s.lastState?.terminated;
    if (term?.reason === 'OOMKilled') {
      const limit = limitOf(pod, s.name);
      const field = FIELD[s.name] ?? 'the container';
      return {
        failure: {
          reason: s.name === 'tests' ? POD_FAILURE.TestsOOMKilled : POD_FAILURE.RunnerOOMKilled,
          message:
            `the ${s.name} container ran out of memory` +
            (limit ? ` (limit ${limit})` : '') +
            `: raise ${field}.resources.limits.memory`,
        },
      };
    }
  }
  // The test container serves the runner until told to stop; one that ended
  // in error while the runner runs leaves the runner waiting on it.
  const tests = statuses(pod).find((s) => s.name === 'tests')?.state?.terminated;
  const runner = statuses(pod).find((s) => s.name === 'runner')?.state;
  if (tests && tests.exitCode !== 0 && runner?.running)
    return {
      failure: {
        reason: POD_FAILURE.TestContainerFailed,
        message:
          `the test container ended (exit ${tests.exitCode}, ${tests.reason ?? 'no reason'}` +
          (tests.message ? `: ${tests.message}` : '') +
          ') while the runner still needed it; its image must provide /bin/sh (spec.tests.image)',
      },
    };
  const age = now.getTime() - Date.parse(String(pod.metadata?.creationTimestamp ?? now));
  let recheck: number | undefined;
  for (const s of statuses(pod)) {
    const w = s.state?.waiting;
    if (!w?.reason) continue;
    const field = FIELD[s.name] ?? 'the container';
    const detail = w.message ? ` (${w.message})` : '';
    let failure: Failure | undefined;
    let permanent = false;
    if (PERMANENT_IMAGE.has(w.reason) || RETRYING_IMAGE.has(w.reason)) {
      permanent = PERMANENT_IMAGE.has(w.reason);
      failure = {
        reason: POD_FAILURE.ImageUnavailable,
        message:
          `the ${s.name} container's image ${s.image} cannot be had: ${w.reason}${detail}; ` +
          `check ${field}.image and ${field}.imagePullPolicy`,
      };
    } else if (w.reason === 'CreateContainerConfigError') {
      const secret = /secret "([^"]+)" not found/.exec(w.message ?? '');
      failure = secret
        ? {
            reason: POD_FAILURE.SecretMissing,
            message: `Secret ${secret[1]} was not found when the ${s.name} container started; recreate it or change the target's secret reference`,
          }
        : {
            reason: POD_FAILURE.ContainerConfigError,
            message: `the ${s.name} container cannot be created${detail}`,
          };
    }
    if (!failure) continue;
    if (permanent || age >= graceMs) return { failure };
    recheck = Math.min(recheck ?? Infinity, graceMs - age);
  }
  return recheck === undefined ? undefined : { recheckAfterMs: recheck };
}

/**
 * The Job's own failure, refined: a Job that failed because its only pod
 * was deleted says so (the Job controller calls it BackoffLimitExceeded).
 */
export function jobFailure(job: V1Job, podDeleted: boolean): Failure | undefined {
  const conditions = job.status?.conditions ?? [];
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
  if (!failed) return undefined;
  const name = job.metadata?.name;
  if (failed.reason === 'DeadlineExceeded')
    return {
      reason: POD_FAILURE.DeadlineExceeded,
      message: `Job ${name} ran past its deadline (${job.spec?.activeDeadlineSeconds ?? '?'}s): raise spec.runner.activeDeadlineSeconds`,
    };
  if (podDeleted)
    return {
      reason: POD_FAILURE.PodDeleted,
      message: `the pod of Job ${name} was deleted before the run reported an outcome`,
    };
  return {
    reason: POD_FAILURE.JobFailed,
    message: `Job ${name} failed (${failed.reason ?? 'unknown'}): ${failed.message ?? 'no message'}`,
  };
}

/** True when the Job's controller is the one tearing its pods down (deadline, failure). */
export function jobEnding(job: V1Job | undefined): boolean {
  return !!job?.status?.conditions?.some(
    (c) => (c.type === 'Failed' || c.type === 'FailureTarget') && c.status === 'True',
  );
}
