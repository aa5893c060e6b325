// Builds the batch/v1 Job for a run. Pure: the same run gives the same Job.
// Credentials reach the pod only as secretKeyRef env; nothing secret is
// copied into the Job spec. The pod meets Pod Security "restricted".
import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { API_VERSION, LABEL_TARGET, RUN } from '../crds/index.ts';
import { JOB_ENV } from '../runner/job-env.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';

export const LABEL_RUN = 'opencode.dev/run';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'opencode-operator';
export const DEFAULT_RUNNER_SERVICE_ACCOUNT = 'opencode-runner';
export const RUNNER_UID = 65532;

export interface JobDefaults {
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  serviceAccountName?: string;
}

/** The env every runner gets, whether in a Job or as a local child process. */
export function runnerEnv(target: ImprovementTarget, run: ImprovementRun): V1EnvVar[] {
  const { spec } = target;
  const env: V1EnvVar[] = [
    {
      name: JOB_ENV.target,
      value: JSON.stringify({
        namespace: target.metadata.namespace,
        name: target.metadata.name,
        uid: target.metadata.uid,
        spec,
      }),
    },
    {
      name: JOB_ENV.run,
      value: JSON.stringify({ name: run.metadata.name, uid: run.metadata.uid, spec: run.spec }),
    },
  ];
  const cred = spec.repository.credentialsSecretRef;
  if (cred)
    env.push({
      name: JOB_ENV.forgeToken,
      valueFrom: { secretKeyRef: { name: cred.name, key: cred.key ?? 'token' } },
    });
  const key = spec.model?.apiKeySecretRef;
  if (key)
    env.push({
      name: JOB_ENV.modelApiKey,
      valueFrom: { secretKeyRef: { name: key.name, key: key.key ?? 'apiKey' } },
    });
  return env;
}

export function buildJob(
  target: ImprovementTarget,
  run: ImprovementRun,
  defaults: JobDefaults,
): V1Job {
  const r = target.spec.runner ?? ({} as NonNullable<ImprovementTarget['spec']['runner']>);
  const labels = {
    [LABEL_TARGET]: target.metadata.name,
    [LABEL_RUN]: run.metadata.name,
    [LABEL_MANAGED_BY]: MANAGED_BY,
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: run.metadata.name,
      namespace: run.metadata.namespace,
      labels,
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: RUN.kind,
          name: run.metadata.name,
          uid: run.metadata.uid!,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: r.activeDeadlineSeconds ?? 3600,
      ttlSecondsAfterFinished: r.ttlSecondsAfterFinished ?? 86400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName:
            r.serviceAccountName || defaults.serviceAccountName || DEFAULT_RUNNER_SERVICE_ACCOUNT,
          automountServiceAccountToken: true,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUNNER_UID,
            runAsGroup: RUNNER_UID,
            fsGroup: RUNNER_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          nodeSelector: r.nodeSelector,
          tolerations: r.tolerations as never,
          containers: [
            {
              name: 'runner',
              image: r.image ?? defaults.image,
              imagePullPolicy: r.imagePullPolicy ?? defaults.imagePullPolicy,
              command: ['node', 'dist/cli/runner.js', 'job'],
              env: [
                ...runnerEnv(target, run),
                { name: JOB_ENV.workspace, value: '/workspace' },
                { name: 'HOME', value: '/tmp' },
              ],
              resources: r.resources as never,
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
              volumeMounts: [
                { name: 'workspace', mountPath: '/workspace' },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'workspace', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  };
}
