// Builds the batch/v1 Job for a run. Pure: the same run gives the same Job.
// Credentials reach the pod only as secretKeyRef env; nothing secret is
// copied into the Job spec. The pod meets Pod Security "restricted".
//
// Two containers share the workspace volume:
//   - `runner` (the operator image): the only one with the forge token, the
//     model key and a service-account token (a projected volume mounted
//     into it alone; the pod does not automount one);
//   - `tests` (spec.tests.image): runs set-up and tests on request, through
//     files (src/contracts/test-container-protocol.ts). It mounts only the
//     volume's `bench` folder, so the runner's clone is out of its reach,
//     and holds no secret.
import { backedOff, earnedOf, yieldOf } from './yield.ts';
import type { V1Container, V1EnvVar, V1Job, V1SecurityContext } from '@kubernetes/client-node';
import { API_VERSION, LABEL_TARGET, RUN } from '../crds/index.ts';
import { DEFAULT_TESTS_IMAGE } from '../crds/improvement-target.ts';
import { JOB_ENV } from '../contracts/job-env.ts';
import { BENCH_SUBPATH, testLoopCommand } from '../contracts/test-container-protocol.ts';
import type { ImprovementRun, ImprovementTarget } from './types.ts';

export const LABEL_RUN = 'opencode.dev/run';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'opencode-operator';
export const DEFAULT_RUNNER_SERVICE_ACCOUNT = 'opencode-runner';
export const RUNNER_UID = 65532;
export const WORKSPACE_PATH = '/workspace';
/** Where the test container serves requests: the same path in both containers. */
export const TESTS_BENCH_PATH = `${WORKSPACE_PATH}/${BENCH_SUBPATH}`;
/** The standard path clients look for an in-cluster token at. */
export const SERVICE_ACCOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Where the runner container sees the deployer's git ConfigMap (JobDefaults.gitConfigMap). */
export const GIT_CONFIG_PATH = '/etc/opencode/git';
/** Where the runner container sees the local advisory database (JobDefaults.advisoryDbClaim). */
export const ADVISORY_DB_PATH = '/etc/opencode/advisory-db';

/** Pod Security "restricted", plus a read-only root. */
function restricted(): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: RUNNER_UID,
    runAsGroup: RUNNER_UID,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export interface JobDefaults {
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  serviceAccountName?: string;
  /**
   * A ConfigMap in the run's namespace mounted read-only into the runner
   * container alone; its `gitconfig` key becomes OPENCODE_GIT_CONFIG (a
   * mirror's URL rewrite, a CA bundle kept beside it in the same ConfigMap).
   */
  gitConfigMap?: string;
  /**
   * A PersistentVolumeClaim in the run's namespace holding a local OSV
   * database (osv-scanner's offline layout), mounted read-only into the runner
   * container alone as OPENCODE_ADVISORY_DB: the dependency scan of an
   * air-gapped cluster.
   */
  advisoryDbClaim?: string;
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
        consecutiveFailures: target.status?.consecutiveFailures ?? 0,
        yields: (target.status?.yields ?? []).map((y) => ({ type: y.type, yield: yieldOf(y) })),
        backedOff: backedOff(target.status?.yields, target.status?.totals?.runs ?? 0),
        earned: earnedOf(target.status?.yields),
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
  const t = target.spec.tests;
  const runner: V1Container = {
    name: 'runner',
    image: r.image ?? defaults.image,
    imagePullPolicy: r.imagePullPolicy ?? defaults.imagePullPolicy,
    command: ['node', 'dist/cli/runner.js', 'job'],
    env: [
      ...runnerEnv(target, run),
      { name: JOB_ENV.workspace, value: WORKSPACE_PATH },
      { name: JOB_ENV.testBench, value: TESTS_BENCH_PATH },
      { name: 'HOME', value: '/tmp' },
      ...(defaults.gitConfigMap
        ? [{ name: JOB_ENV.gitConfig, value: `${GIT_CONFIG_PATH}/gitconfig` }]
        : []),
      ...(defaults.advisoryDbClaim ? [{ name: JOB_ENV.advisoryDb, value: ADVISORY_DB_PATH }] : []),
    ],
    resources: r.resources as never,
    securityContext: restricted(),
    volumeMounts: [
      { name: 'workspace', mountPath: WORKSPACE_PATH },
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'kube-api-access', mountPath: SERVICE_ACCOUNT_PATH, readOnly: true },
      ...(defaults.gitConfigMap
        ? [{ name: 'git-config', mountPath: GIT_CONFIG_PATH, readOnly: true }]
        : []),
      ...(defaults.advisoryDbClaim
        ? [{ name: 'advisory-db', mountPath: ADVISORY_DB_PATH, readOnly: true }]
        : []),
    ],
  };
  // No env from the target: nothing secret, nothing the runner was given.
  const tests: V1Container = {
    name: 'tests',
    image: t?.image ?? DEFAULT_TESTS_IMAGE,
    imagePullPolicy: t?.imagePullPolicy,
    command: testLoopCommand(TESTS_BENCH_PATH),
    env: [
      { name: 'HOME', value: '/tmp' },
      { name: 'TMPDIR', value: '/tmp' },
    ],
    resources: t?.resources as never,
    securityContext: restricted(),
    volumeMounts: [
      { name: 'workspace', mountPath: TESTS_BENCH_PATH, subPath: BENCH_SUBPATH },
      { name: 'tests-tmp', mountPath: '/tmp' },
    ],
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
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: RUNNER_UID,
            runAsGroup: RUNNER_UID,
            fsGroup: RUNNER_UID,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          nodeSelector: r.nodeSelector,
          tolerations: r.tolerations as never,
          containers: [runner, tests],
          volumes: [
            { name: 'workspace', emptyDir: {} },
            { name: 'tmp', emptyDir: {} },
            { name: 'tests-tmp', emptyDir: {} },
            ...(defaults.gitConfigMap
              ? [{ name: 'git-config', configMap: { name: defaults.gitConfigMap } }]
              : []),
            ...(defaults.advisoryDbClaim
              ? [
                  {
                    name: 'advisory-db',
                    persistentVolumeClaim: { claimName: defaults.advisoryDbClaim, readOnly: true },
                  },
                ]
              : []),
            {
              name: 'kube-api-access',
              projected: {
                defaultMode: 0o444,
                sources: [
                  { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
                  {
                    configMap: {
                      name: 'kube-root-ca.crt',
                      items: [{ key: 'ca.crt', path: 'ca.crt' }],
                    },
                  },
                  {
                    downwardAPI: {
                      items: [
                        {
                          path: 'namespace',
                          fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
                        },
                      ],
                    },
                  },
                ],
              },
            },
          ],
        },
      },
    },
  };
}
