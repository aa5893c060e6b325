// Wires the operator together: reflectors for targets, runs and Jobs feed
// one work queue; reconcilers run only while this replica leads; an HTTP
// server answers /healthz, /readyz and /metrics. Instances only: two
// managers can run in one process (tests do exactly that).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig, V1Job } from '@kubernetes/client-node';
import { KubeApi } from '../kube/api.ts';
import { closeConnections, withConnectionReuse } from '../kube/connection-reuse.ts';
import { realClock, type Clock } from '../kube/clock.ts';
import { EventRecorder } from '../kube/events.ts';
import { LeaderElector } from '../kube/leader-election.ts';
import { Reflector } from '../kube/reflector.ts';
import { OperatorMetrics } from '../metrics/metrics.ts';
import type { Logger } from '../util/logger.ts';
import { createWebhookHandler, matchTargets } from '../webhook/server.ts';
import type { Executor } from '../controllers/executor.ts';
import { JobExecutor, type Pod } from '../controllers/job-executor.ts';
import { LABEL_MANAGED_BY, LABEL_RUN, MANAGED_BY } from '../controllers/job-builder.ts';
import { WorkQueue } from '../kube/work-queue.ts';
import { Notifier, type DeliveryPolicy } from '../notify/notifier.ts';
import { ForgeChecks, type ForgeFactory } from '../controllers/forge-checks.ts';
import { podIndexers, runIndexers } from '../controllers/indexes.ts';
import { slimJob, slimPod } from '../controllers/cache-shapes.ts';
import { RunReconciler } from '../controllers/run-reconciler.ts';
import { TargetReconciler } from '../controllers/target/reconciler.ts';
import {
  runKey,
  targetKey,
  type ImprovementRun,
  type ImprovementTarget,
} from '../controllers/types.ts';

type Job = V1Job & { metadata: { name: string; namespace?: string } };

export interface ManagerOptions {
  kc: KubeConfig;
  logger: Logger;
  clock?: Clock;
  /** Namespaces to serve; empty or undefined means all. */
  namespaces?: string[];
  runnerImage: string;
  runnerImagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Runner pods' service account when a target names none. */
  runnerServiceAccount?: string;
  /** ConfigMap whose `gitconfig` the runner container reads (JobDefaults.gitConfigMap). */
  runnerGitConfigMap?: string;
  /** PersistentVolumeClaim of a local advisory database for runner pods (JobDefaults.advisoryDbClaim). */
  runnerAdvisoryDbClaim?: string;
  /** Leader election; without it this replica always acts (single-replica and tests). */
  leaderElection?: {
    namespace: string;
    name: string;
    identity: string;
    leaseDurationMs?: number;
    renewDeadlineMs?: number;
    retryPeriodMs?: number;
  };
  /** host:port list, each serving /healthz, /readyz and /metrics; port 0 picks one. */
  httpAddresses?: string[];
  /** Called when leadership is lost other than through stop(). */
  onLostLeadership?: () => void;
  workers?: number;
  /** How long an image pull or a missing Secret may keep a runner pod from starting. */
  podStartGraceMs?: number;
  /** Webhook delivery retries and timeouts (tests shorten them). */
  notifyDelivery?: Partial<DeliveryPolicy>;
  /** Builds the executor; default: batch/v1 Jobs. */
  executor?: (ctx: {
    api: KubeApi;
    jobs: Reflector<Job>;
    pods: Reflector<Pod>;
    logger: Logger;
  }) => Executor;
  metrics?: OperatorMetrics;
  /** Optional webhook endpoint for GitHub/Gitea issue events (HMAC-verified). */
  webhook?: { address: string; secret: string };
  /** How a target's forge client is made (tests tune retries); default: createForge. */
  forgeFactory?: ForgeFactory;
  reflectorTuning?: { resyncMs?: number; silenceMs?: number; watchTimeoutSeconds?: number };
}

/**
 * Concurrent reconciles. They wait on the API server far more than they
 * compute, so a burst of slots needs many in flight: 32 against 16 took the
 * p99 slot-to-Job lag of 100 targets on one slot from 0.96 s to 0.68 s
 * (bench/schedule-lag.ts, medians of 3 rounds).
 */
export const DEFAULT_WORKERS = 32;

/** The longest an Event waits for the target reconciles in flight (a burst of slots) to finish. */
const EVENT_GATE_MS = 1000;

const splitKey = (key: string) => {
  const [kind, rest] = key.split(':', 2) as [string, string];
  const [namespace, name] = rest.split('/', 2) as [string, string];
  return { kind, namespace, name };
};

export class Manager {
  readonly metrics: OperatorMetrics;
  readonly api: KubeApi;
  readonly targets: Reflector<ImprovementTarget>;
  readonly runs: Reflector<ImprovementRun>;
  readonly jobs: Reflector<Job>;
  /** The runner pods: what they say decides failures the Job alone leaves to its deadline. */
  readonly pods: Reflector<Pod>;
  private readonly o: ManagerOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private queue?: WorkQueue;
  private workersDone?: Promise<void>;
  private recorder?: EventRecorder;
  /** Webhook deliveries (spec.notify); public so tests can wait for them. */
  readonly notifier: Notifier;
  private elector?: LeaderElector;
  private servers: Server[] = [];
  private stopping = false;
  private executor: Executor;
  private readonly forgeChecks: ForgeChecks;
  private readonly forgePokes = new Set<string>();
  private started = false;

  constructor(opts: ManagerOptions) {
    this.o = opts;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger;
    this.metrics = opts.metrics ?? new OperatorMetrics();
    this.api = new KubeApi(withConnectionReuse(opts.kc));
    const namespaces = opts.namespaces?.length ? opts.namespaces : undefined;
    const common = { kc: opts.kc, logger: opts.logger, namespaces, ...opts.reflectorTuning };
    this.targets = new Reflector<ImprovementTarget>({
      ...common,
      name: 'improvementtargets',
      list: (ns, page) => this.api.listCustom('improvementtargets', ns, page),
      watchPath: (ns) => this.api.customPath('improvementtargets', ns),
    });
    this.runs = new Reflector<ImprovementRun>({
      ...common,
      name: 'improvementruns',
      indexers: runIndexers,
      list: (ns, page) => this.api.listCustom('improvementruns', ns, page),
      watchPath: (ns) => this.api.customPath('improvementruns', ns),
    });
    const selector = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;
    this.jobs = new Reflector<Job>({
      ...common,
      name: 'jobs',
      labelSelector: selector,
      transform: slimJob,
      list: (ns, page) => this.api.listJobs(ns, page) as never,
      watchPath: (ns) => (ns ? `/apis/batch/v1/namespaces/${ns}/jobs` : '/apis/batch/v1/jobs'),
    });
    this.pods = new Reflector<Pod>({
      ...common,
      name: 'pods',
      indexers: podIndexers,
      labelSelector: selector,
      transform: slimPod,
      list: (ns, page) => this.api.listPods(ns, page) as never,
      watchPath: (ns) => (ns ? `/api/v1/namespaces/${ns}/pods` : '/api/v1/pods'),
    });
    this.executor = (
      opts.executor ??
      (({ api, jobs, pods }) =>
        new JobExecutor(
          api,
          jobs,
          {
            image: opts.runnerImage,
            imagePullPolicy: opts.runnerImagePullPolicy,
            serviceAccountName: opts.runnerServiceAccount,
            gitConfigMap: opts.runnerGitConfigMap,
            advisoryDbClaim: opts.runnerAdvisoryDbClaim,
          },
          { pods, podStartGraceMs: opts.podStartGraceMs, now: () => this.clock.now() },
        ))
    )({ api: this.api, jobs: this.jobs, pods: this.pods, logger: opts.logger });

    this.forgeChecks = new ForgeChecks(this.api.core, opts.logger, opts.forgeFactory);
    this.notifier = new Notifier({
      core: this.api.core,
      logger: opts.logger,
      counter: this.metrics.notifications,
      delivery: opts.notifyDelivery,
    });
    this.targets.on((type, o) => {
      if (type === 'DELETED' && o.metadata.uid) this.forgeChecks.forget(o.metadata.uid);
      this.queue?.add(targetKey(o.metadata.namespace!, o.metadata.name));
    });
    this.runs.on((_t, o) => {
      this.queue?.add(runKey(o.metadata.namespace!, o.metadata.name));
      this.queue?.add(targetKey(o.metadata.namespace!, o.spec.targetRef.name));
    });
    this.jobs.on((_t, o) => this.queue?.add(runKey(o.metadata.namespace!, o.metadata.name)));
    // Back from an API outage: the relist hands every object to the queue
    // again; what failed during the outage starts its backoff afresh.
    for (const r of [this.targets, this.runs, this.jobs, this.pods])
      r.onRecover(() => this.queue?.forgetAll());
    this.pods.on((_t, o) => {
      const run = o.metadata.labels?.[LABEL_RUN];
      if (run) this.queue?.add(runKey(o.metadata.namespace!, run));
    });
  }

  get isLeader(): boolean {
    return !!this.queue;
  }

  /** True when this replica leads and has no reconcile queued or running (tests move their clock then). */
  get idle(): boolean {
    return !!this.queue && this.queue.idle;
  }

  get ready(): boolean {
    return this.targets.synced && this.runs.synced && this.jobs.synced && this.pods.synced;
  }

  /** Port of the webhook server once started. */
  get webhookPort(): number | undefined {
    return this.o.webhook ? this.httpPorts.at(-1) : undefined;
  }

  /** Ports of the HTTP servers once started (in the order of httpAddresses, then the webhook's). */
  get httpPorts(): number[] {
    return this.servers.map((s) => (s.address() as AddressInfo).port);
  }

  async start(): Promise<void> {
    for (const a of this.o.httpAddresses ?? []) await this.listen(a);
    if (this.o.webhook) await this.listenWebhook(this.o.webhook.address, this.o.webhook.secret);
    await Promise.all([
      this.targets.start(),
      this.runs.start(),
      this.jobs.start(),
      this.pods.start(),
    ]);
    this.started = true;
    const le = this.o.leaderElection;
    if (!le) return this.startLeading();
    this.elector = new LeaderElector({
      api: this.api.coordination,
      ...le,
      logger: this.log,
      onStartedLeading: () => this.startLeading(),
      onStoppedLeading: () => {
        void this.stopLeading();
        if (!this.stopping) this.o.onLostLeadership?.();
      },
    });
    this.elector.start();
  }

  /**
   * Graceful stop: stop leading (releasing the Lease), drain workers, stop
   * watches and the server. `releaseLease: false` behaves like a crash for
   * the Lease: a successor must wait for it to expire.
   */
  async stop(opts: { releaseLease?: boolean } = {}): Promise<void> {
    this.stopping = true;
    await this.elector?.stop(opts.releaseLease ?? true);
    await this.stopLeading();
    await this.executor.stop?.();
    await Promise.all([this.targets.stop(), this.runs.stop(), this.jobs.stop(), this.pods.stop()]);
    await closeConnections(this.api.kc);
    await Promise.all(
      this.servers.map((s) => {
        const closed = new Promise<void>((r) => s.close(() => r()));
        s.closeAllConnections();
        return closed;
      }),
    );
  }

  private startLeading(): void {
    if (this.queue) return;
    this.metrics.leader.set(1);
    // Targets (which create runs and Jobs) go first; run bookkeeping waits in the low lane.
    const queue = new WorkQueue({
      clock: this.clock,
      laneOf: (key) => (splitKey(key).kind === 'run' ? 'low' : 'high'),
    });
    this.queue = queue;
    // One recorder: Events are written one at a time, in order, behind the
    // reconciles; each waits (at most a second) for the high lane to go idle.
    const recorder = new EventRecorder(this.api.rest, this.clock, this.log, {
      gate: () => queue.highIdle(EVENT_GATE_MS),
    });
    this.recorder = recorder;
    const runs = new RunReconciler({
      api: this.api,
      runs: this.runs,
      targets: this.targets,
      executor: this.executor,
      clock: this.clock,
      metrics: this.metrics,
      recorder,
      logger: this.log,
    });
    const targets = new TargetReconciler({
      api: this.api,
      forge: this.forgeChecks,
      notifier: this.notifier,
      forgePokes: this.forgePokes,
      onForgeCheckDone: (namespace, name) => this.queue?.add(targetKey(namespace, name)),
      launch: (target, run) => runs.launch(target, run),
      // Others wait, or are still at work (this reconcile itself is one in flight).
      othersWaiting: () => queue.highWaiting > 0 || queue.highInFlight > 1,
      targets: this.targets,
      runs: this.runs,
      clock: this.clock,
      metrics: this.metrics,
      recorder,
      logger: this.log,
    });
    this.workersDone = queue.run(this.o.workers ?? DEFAULT_WORKERS, async (key) => {
      const { kind, namespace, name } = splitKey(key);
      const end = this.metrics.reconcileDuration.startTimer({ controller: kind });
      try {
        const res =
          kind === 'target'
            ? await targets.reconcile(namespace, name)
            : await runs.reconcile(namespace, name);
        this.metrics.reconcileTotal.inc({
          controller: kind,
          result: res?.requeueAfterMs !== undefined ? 'requeue' : 'success',
        });
        return res;
      } catch (err) {
        this.metrics.reconcileTotal.inc({ controller: kind, result: 'error' });
        this.log.warn({ key, err: String(err) }, 'reconcile failed; will retry');
        throw err;
      } finally {
        end();
      }
    });
    for (const t of this.targets.list())
      queue.add(targetKey(t.metadata.namespace!, t.metadata.name));
    for (const r of this.runs.list()) queue.add(runKey(r.metadata.namespace!, r.metadata.name));
  }

  /** Asks for a forge check of these targets now (a webhook saw an issue event for their repository). */
  pokeForge(targets: Array<{ namespace: string; name: string }>): void {
    for (const t of targets) {
      this.forgePokes.add(`${t.namespace}/${t.name}`);
      this.queue?.add(targetKey(t.namespace, t.name));
    }
  }

  private async stopLeading(): Promise<void> {
    const q = this.queue;
    if (!q) return;
    this.queue = undefined;
    this.metrics.leader.set(0);
    q.shutdown();
    await this.workersDone;
    // What the last reconciles said is still worth writing; a dead API server must not hold up exit.
    const flushed = this.recorder?.flush();
    if (flushed) await Promise.race([flushed, new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  /** Issue events that carry a target's priority label ask for that target's forge check now. */
  private listenWebhook(address: string, secret: string): Promise<void> {
    const handler = createWebhookHandler({
      secret,
      logger: this.log,
      onIssueEvent: (event) => {
        const targets = matchTargets(
          event,
          this.targets.list().map((t) => ({
            namespace: t.metadata.namespace!,
            name: t.metadata.name,
            spec: t.spec,
          })),
        ).filter((t) => event.labels.includes(t.spec.labels?.priority ?? 'opencode-priority'));
        this.log.info(
          { issue: event.number, targets: targets.map((t) => t.name) },
          'webhook: priority issue event',
        );
        this.pokeForge(targets);
      },
    });
    return this.serve(address, handler);
  }

  private listen(address: string): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') return void res.writeHead(200).end('ok');
      if (path === '/readyz') {
        const ok = this.started && this.ready;
        return void res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'caches not synced');
      }
      if (path === '/metrics') {
        this.metrics.registry
          .metrics()
          .then((body) =>
            res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(body),
          )
          .catch((err) => res.writeHead(500).end(String(err)));
        return;
      }
      res.writeHead(404).end('not found');
    });
    return this.serve(address, server);
  }

  private serve(
    address: string,
    handlerOrServer: Server | ((req: IncomingMessage, res: ServerResponse) => void),
  ): Promise<void> {
    const idx = address.lastIndexOf(':');
    const host = address.slice(0, idx) || '0.0.0.0';
    const port = Number(address.slice(idx + 1));
    const server =
      typeof handlerOrServer === 'function' ? createServer(handlerOrServer) : handlerOrServer;
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  }
}
