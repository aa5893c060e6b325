// What the operator's caches keep of the Jobs and pods it watches (client-go's
// SetTransform). A run's Job and pod are mostly the pod spec the operator wrote
// itself (two containers, their env, volumes, security contexts), and at
// 10,000 runs whole copies were most of the operator's heap. The controllers
// read only the fields kept here: the Job's identity, owner, deadline and
// conditions (job-executor, pod-failure) and the pod's container statuses and
// memory limits (pod-failure). A controller that starts reading more adds it here.
import type { V1Job as Job, V1JobSpec, V1Pod as Pod, V1PodSpec } from '@kubernetes/client-node';
import { stripCacheNoise } from '../kube/reflector.ts';

type Named = { metadata: { name: string } };

export function slimJob<T extends Job & Named>(job: T): T {
  stripCacheNoise(job);
  return {
    apiVersion: job.apiVersion,
    kind: job.kind,
    metadata: job.metadata,
    // The template is required by the type and never read from the cache.
    spec: { activeDeadlineSeconds: job.spec?.activeDeadlineSeconds } as V1JobSpec,
    status: job.status,
  } as T;
}

export function slimPod<T extends Pod & Named>(pod: T): T {
  stripCacheNoise(pod);
  const containers = (pod.spec?.containers ?? []).map((c) => {
    const memory = c.resources?.limits?.memory;
    return { name: c.name, ...(memory !== undefined && { resources: { limits: { memory } } }) };
  });
  return {
    apiVersion: pod.apiVersion,
    kind: pod.kind,
    metadata: pod.metadata,
    spec: { containers } as V1PodSpec,
    status: pod.status,
  } as T;
}
