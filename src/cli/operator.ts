#!/usr/bin/env node
// opencode-operator: watches ImprovementTargets and turns their schedules
// into ImprovementRuns and Jobs. Options come from flags or environment
// (one table below), validated before anything starts.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { KubeConfig } from '@kubernetes/client-node';
import { LocalExecutor } from '../controllers/local-executor.ts';
import { DEFAULT_POD_START_GRACE_MS } from '../controllers/job-executor.ts';
import { DEFAULT_WORKERS, Manager } from '../operator/manager.ts';
import { createLogger } from '../util/logger.ts';
import { errorMessage } from '../util/errors.ts';

const VERSION = '0.1.0';
export const DEFAULT_RUNNER_IMAGE = `ghcr.io/opencode-operator/opencode-operator:${VERSION}`;

const address = (v: string) => {
  if (!/^[^\s]*:\d{1,5}$/.test(v)) throw new InvalidArgumentError('expected host:port or :port');
  return v;
};
const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export function operatorCommand(): Command {
  return new Command('opencode-operator')
    .description(
      'Kubernetes operator that keeps git repositories under continuous, test-gated improvement.',
    )
    .version(VERSION)
    .addOption(
      new Option('--namespaces <list>', 'comma-separated namespaces to serve; empty serves all')
        .env('WATCH_NAMESPACES')
        .default(''),
    )
    .addOption(
      new Option('--metrics-bind-address <addr>', 'where /metrics is served')
        .env('METRICS_BIND_ADDRESS')
        .default(':8080')
        .argParser(address),
    )
    .addOption(
      new Option('--health-probe-bind-address <addr>', 'where /healthz and /readyz are served')
        .env('HEALTH_PROBE_BIND_ADDRESS')
        .default(':8081')
        .argParser(address),
    )
    .addOption(
      new Option('--leader-elect', 'elect a leader through a Lease so several replicas can run')
        .env('LEADER_ELECT')
        .default(false),
    )
    .addOption(
      new Option('--leader-election-namespace <ns>', 'namespace of the leader-election Lease')
        .env('POD_NAMESPACE')
        .default('default'),
    )
    .addOption(
      new Option('--leader-election-id <name>', 'name of the leader-election Lease').default(
        'opencode-operator',
      ),
    )
    .addOption(
      new Option('--runner-image <image>', 'runner image when a target does not name one')
        .env('RUNNER_IMAGE')
        .default(DEFAULT_RUNNER_IMAGE),
    )
    .addOption(
      new Option(
        '--runner-service-account <name>',
        'service account of runner pods when a target does not name one',
      )
        .env('RUNNER_SERVICE_ACCOUNT')
        .default('opencode-runner'),
    )
    .addOption(
      new Option(
        '--runner-git-config-map <name>',
        "ConfigMap (in each run's namespace) whose `gitconfig` key runner pods read as OPENCODE_GIT_CONFIG",
      ).env('RUNNER_GIT_CONFIG_MAP'),
    )
    .addOption(
      new Option(
        '--runner-advisory-db-claim <name>',
        "PersistentVolumeClaim (in each run's namespace) holding a local OSV database, mounted read-only into runner pods for an offline dependency scan",
      ).env('RUNNER_ADVISORY_DB_CLAIM'),
    )
    .addOption(
      new Option('--runner-image-pull-policy <policy>', 'pull policy for the runner image')
        .choices(['Always', 'IfNotPresent', 'Never'])
        .env('RUNNER_IMAGE_PULL_POLICY'),
    )
    .addOption(
      new Option(
        '--pod-start-grace <seconds>',
        'how long an image pull or a missing Secret may keep a runner pod from starting before its run fails',
      )
        .env('POD_START_GRACE')
        .default(DEFAULT_POD_START_GRACE_MS / 1000)
        .argParser(positive),
    )
    .addOption(
      new Option(
        '--executor <kind>',
        'job: runs are batch/v1 Jobs; local: runs are child processes (no kubelet needed)',
      )
        .choices(['job', 'local'])
        .env('EXECUTOR')
        .default('job'),
    )
    .addOption(
      new Option(
        '--webhook-bind-address <addr>',
        'serve GitHub/Gitea issue webhooks here (POST /webhooks/github, /webhooks/gitea); off when unset',
      )
        .env('WEBHOOK_BIND_ADDRESS')
        .argParser(address),
    )
    .addOption(
      new Option(
        '--webhook-secret-file <path>',
        'file holding the webhook HMAC secret (required with --webhook-bind-address)',
      ).env('WEBHOOK_SECRET_FILE'),
    )
    .addOption(
      new Option('--workers <n>', 'concurrent reconciles (API-latency bound: more than cores)')
        .default(DEFAULT_WORKERS)
        .argParser(positive),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['trace', 'debug', 'info', 'warn', 'error'])
        .env('LOG_LEVEL')
        .default('info'),
    )
    .addOption(
      new Option(
        '--kubeconfig <path>',
        'kubeconfig; default: in-cluster config or $KUBECONFIG',
      ).env('KUBECONFIG'),
    );
}

export async function main(argv = process.argv): Promise<void> {
  const cmd = operatorCommand();
  cmd.parse(argv);
  const o = cmd.opts();
  const logger = createLogger({ level: o.logLevel, name: 'opencode-operator' });
  const kc = new KubeConfig();
  if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
  else kc.loadFromDefault();
  const identity = process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  let webhook: { address: string; secret: string } | undefined;
  if (o.webhookBindAddress) {
    if (!o.webhookSecretFile)
      throw new Error('--webhook-bind-address needs --webhook-secret-file (WEBHOOK_SECRET_FILE)');
    // Trimmed: a Secret mounted from `kubectl create secret --from-file` often ends with a newline.
    const secret = readFileSync(o.webhookSecretFile, 'utf8').trim();
    if (!secret) throw new Error(`--webhook-secret-file ${o.webhookSecretFile} is empty`);
    webhook = { address: o.webhookBindAddress, secret };
  }
  let stopping = false;
  const addresses = [...new Set([o.metricsBindAddress, o.healthProbeBindAddress])];
  const manager = new Manager({
    kc,
    logger,
    namespaces: String(o.namespaces)
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    runnerImage: o.runnerImage,
    runnerImagePullPolicy: o.runnerImagePullPolicy,
    runnerServiceAccount: o.runnerServiceAccount,
    runnerGitConfigMap: o.runnerGitConfigMap,
    runnerAdvisoryDbClaim: o.runnerAdvisoryDbClaim,
    podStartGraceMs: o.podStartGrace * 1000,
    workers: o.workers,
    httpAddresses: addresses,
    webhook,
    leaderElection: o.leaderElect
      ? { namespace: o.leaderElectionNamespace, name: o.leaderElectionId, identity }
      : undefined,
    onLostLeadership: () => {
      if (stopping) return;
      // As controller-runtime does: a replica that lost its Lease exits and is restarted clean.
      logger.error('lost leadership; exiting');
      process.exit(1);
    },
    executor:
      o.executor === 'local'
        ? ({ api }) =>
            new LocalExecutor({
              core: api.core,
              logger,
              kubeconfig: o.kubeconfig ?? process.env.KUBECONFIG,
            })
        : undefined,
  });
  const shutdown = (signal: string) => {
    if (stopping) process.exit(1); // a second signal: do not wait
    stopping = true;
    logger.info({ signal }, 'shutting down');
    manager
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        logger.error({ err: errorMessage(err) }, 'unclean shutdown');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  logger.info(
    {
      namespaces: o.namespaces || '*',
      executor: o.executor,
      leaderElect: !!o.leaderElect,
      identity,
    },
    'starting',
  );
  await manager.start();
  logger.info({ ports: manager.httpPorts }, 'started');
}

if (import.meta.main) {
  main().catch((err) => {
    console.error(`opencode-operator: ${errorMessage(err)}`);
    process.exit(1);
  });
}
