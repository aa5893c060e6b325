// npm run demo: the whole loop on an embedded default, with no cluster,
// cloud account, token or GPU. It starts the test control plane (building it
// first if needed), installs the CRDs, turns examples/sample-app into a bare
// git remote, applies an ImprovementTarget for it with a run-now annotation,
// and runs the operator. Where the machine allows a real node (root on
// Linux), runs are Jobs whose pods run on a kubelet here, the remote is
// served over https on the node's bridge and the tests run in the pod's
// test container; elsewhere runs are child processes (the local executor).
// It says which it uses, and ends by showing `kubectl get improvements`, the
// new commit on the work branch and the updated .opencode/ files. Builds
// print their progress and do not count against --timeout.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BatchV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { GROUP, VERSION } from '../src/crds/index.ts';
import { LocalExecutor } from '../src/controllers/local-executor.ts';
import { Manager } from '../src/operator/manager.ts';
import { createLogger } from '../src/util/logger.ts';
import { ensureBuilt } from '../test/controlplane/build.ts';
import { ControlPlane } from '../test/controlplane/controlplane.ts';
import type { HttpGitServer } from '../test/runner/http-git.ts';
import { bindPods, type PodBinder } from '../test/node/binder.ts';
import {
  FORGE_SECRET,
  RUNNER_GIT_CONFIG_MAP,
  RUNNER_SERVICE_ACCOUNT,
  runnerNamespaceObjects,
  serveHttpsRemote,
} from '../test/node/https-remote.ts';
import { lockRealNode } from '../test/node/lock.ts';
import { prepareRealNode, realNodeUnsupported, type PreparedNode } from '../test/node/prepare.ts';
import { RealNode } from '../test/node/realnode.ts';

const root = join(import.meta.dirname, '..');

interface RunObject {
  metadata: { name: string };
  status?: {
    phase?: string;
    failure?: { reason: string; message: string };
    tests?: { outputTail?: string } & Record<string, unknown>;
  } & Record<string, unknown>;
}
const NS = 'opencode-demo';
const TARGET = 'sample-app';

const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 10)
    throw new InvalidArgumentError('expected whole seconds, at least 10');
  return n;
};

const cmd = new Command('demo')
  .description('Run opencode-operator end to end on a local control plane and a local git remote.')
  .option('--keep', 'leave everything running and print how to reach it', false)
  .addOption(
    new Option(
      '--timeout <seconds>',
      'give up when the run has not ended this long after it was requested (builds do not count)',
    )
      .default(300)
      .argParser(seconds),
  )
  .addOption(
    new Option(
      '--executor <kind>',
      'job: Jobs on a real node here (root on Linux); local: child processes; auto: job where possible',
    )
      .choices(['auto', 'job', 'local'])
      .default('auto'),
  )
  .addOption(
    new Option('--model <name>', 'Ollama model to use when OLLAMA_HOST is set')
      .env('OLLAMA_MODEL')
      .default('qwen2.5-coder:7b'),
  )
  .addOption(
    new Option('--ollama-host <url>', 'use this Ollama instead of the built-in improver').env(
      'OLLAMA_HOST',
    ),
  );
cmd.parse(process.argv);
const opts = cmd.opts<{
  keep: boolean;
  timeout: number;
  model: string;
  ollamaHost?: string;
  executor: 'auto' | 'job' | 'local';
}>();

const step = (msg: string) => console.log(`\n==> ${msg}`);
const info = (msg: string) => console.log(`    ${msg}`);
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' });

let cp: ControlPlane | undefined;
let manager: Manager | undefined;
let work: string | undefined;
let node: RealNode | undefined;
let unlockNode: (() => void) | undefined;
let gitServer: HttpGitServer | undefined;
let binder: PodBinder | undefined;
let cleaning = false;

async function cleanup(): Promise<void> {
  if (cleaning) return;
  cleaning = true;
  binder?.stop();
  await manager?.stop().catch(() => undefined);
  await gitServer?.close().catch(() => undefined);
  await node
    ?.stop()
    .catch((err: unknown) => console.error(`demo: stopping the node: ${String(err)}`));
  unlockNode?.();
  await cp?.stop().catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}

/** Which executor runs the demo, and why. */
function chooseExecutor(): { kind: 'job' | 'local'; why: string } {
  const unsupported = realNodeUnsupported();
  if (opts.executor === 'job' && unsupported)
    throw new Error(`--executor job needs a real node, and ${unsupported}`);
  if (opts.executor === 'local') return { kind: 'local', why: '--executor local' };
  if (unsupported) return { kind: 'local', why: `no real node here: ${unsupported}` };
  return { kind: 'job', why: 'root on Linux: a real node runs here' };
}

async function main(): Promise<number> {
  const executor = chooseExecutor();
  step(
    executor.kind === 'job'
      ? `Executor: Jobs, whose pods run on a real node on this machine (${executor.why})`
      : `Executor: local, runners as child processes (${executor.why})`,
  );
  step('Building the local control plane (once; cached afterwards)');
  const binDir = ensureBuilt((m) => info(m));
  let prepared: PreparedNode | undefined;
  if (executor.kind === 'job') {
    step('Preparing the real node: Debian packages, kubelet, images from the Dockerfile (once)');
    prepared = prepareRealNode((m) => info(m));
  }
  if (prepared && !prepared.project)
    throw new Error(`the project image could not be built: ${prepared.projectError}`);
  const kubectlBin = join(binDir, 'kubectl');

  step('Starting kube-apiserver and etcd on loopback');
  cp = new ControlPlane({ binDir });
  await cp.start();
  info(`API server ${cp.server}, kubeconfig ${cp.kubeconfig}`);
  const kubectl = (...args: string[]) =>
    execFileSync(kubectlBin, ['--kubeconfig', cp!.kubeconfig, ...args], {
      cwd: root,
      encoding: 'utf8',
    });
  const apply = (obj: object) =>
    execFileSync(kubectlBin, ['--kubeconfig', cp!.kubeconfig, 'apply', '-f', '-'], {
      input: JSON.stringify(obj),
      encoding: 'utf8',
    });

  if (prepared?.project) {
    step('Starting kube-controller-manager and the real node (containerd, runc, kubelet)');
    await cp.startControllerManager();
    unlockNode = await lockRealNode(10 * 60_000, (pid) =>
      info(`waiting for the real node, held by pid ${pid}`),
    );
    node = new RealNode({
      controlPlane: cp.info(),
      ...prepared,
      extraArchives: [prepared.project.archive, prepared.project.node.archive],
      log: (m) => info(m),
    });
    await node.start();
    info(`node ${node.name} Ready in ${(node.startMs / 1000).toFixed(1)}s, bridge ${node.nodeIP}`);
  }

  step('Installing the CRDs');
  info(kubectl('apply', '-f', 'config/crd').trim().replace(/\n/g, '\n    '));
  kubectl('wait', '--for=condition=Established', '-f', 'config/crd');
  kubectl('api-resources'); // refresh kubectl's discovery cache, so the improvements category resolves

  step('Creating a sample repository as a bare git remote (examples/sample-app)');
  work = mkdtempSync(join(tmpdir(), 'opencode-demo-'));
  const src = join(work, 'sample-app');
  const remote = join(work, 'sample-app.git');
  cpSync(join(root, 'examples/sample-app'), src, { recursive: true });
  git(work, 'init', '-q', '-b', 'main', src);
  git(src, 'add', '-A');
  git(
    src,
    '-c',
    'user.name=Demo User',
    '-c',
    'user.email=demo@example.com',
    'commit',
    '-q',
    '-m',
    'Initial sample app',
  );
  git(work, 'clone', '-q', '--bare', src, remote);
  let url = pathToFileURL(remote).href;
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  await kc.makeApiClient(CoreV1Api).createNamespace({
    body: {
      metadata: {
        name: NS,
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
      },
    },
  });
  if (node) {
    // The pod cannot see this machine's files: the remote is served over
    // https on the node's bridge, with a token, as a forge would.
    const token = `demo_${randomBytes(12).toString('hex')}`;
    const https = await serveHttpsRemote(work, node.nodeIP, token);
    gitServer = https.server;
    url = `${gitServer.url}/sample-app.git`;
    for (const o of runnerNamespaceObjects(NS, token, https.cert)) apply(o);
    info('runner ServiceAccount, Role, forge token Secret and git ConfigMap (CA) created');
  }
  info(`remote ${url} (working directory ${work})`);
  const useOllama = !!opts.ollamaHost;
  step(
    `Applying an ImprovementTarget (model: ${useOllama ? `ollama ${opts.model} at ${opts.ollamaHost}` : 'builtin, the deterministic rules improver: no LLM'})`,
  );
  const target = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ImprovementTarget',
    metadata: {
      name: TARGET,
      namespace: NS,
      annotations: { 'opencode.dev/run-requested-at': new Date().toISOString() },
    },
    spec: {
      repository: {
        url,
        provider: 'git',
        ...(node ? { credentialsSecretRef: { name: FORGE_SECRET } } : {}),
      },
      schedule: '0 8 * * *',
      model: useOllama
        ? { provider: 'ollama', host: opts.ollamaHost, name: opts.model }
        : { provider: 'builtin' },
      autoMerge: false,
      ...(node
        ? {
            // Images built here, not pulled: the Dockerfile's Node base runs the tests.
            tests: { image: node.nodeImage(), imagePullPolicy: 'Never' },
            runner: { tolerations: node.podPlacement().tolerations },
          }
        : {}),
    },
  };
  await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: 'improvementtargets',
    body: target,
  });
  info(
    `improvementtarget.${GROUP}/${TARGET} created (schedule 0 8 * * *, plus a run-now annotation)`,
  );

  const logger = createLogger({ level: 'warn', destination: pino.destination(2) });
  if (node) {
    step('Running the operator with the Job executor (one Job per run, on the real node)');
    binder = bindPods(kc.makeApiClient(CoreV1Api), NS, node.name);
  } else step('Running the operator with the local executor (runners as child processes)');
  manager = new Manager({
    kc,
    logger,
    namespaces: [NS],
    runnerImage: node ? node.projectImage() : 'local',
    runnerImagePullPolicy: 'Never',
    runnerServiceAccount: RUNNER_SERVICE_ACCOUNT,
    runnerGitConfigMap: RUNNER_GIT_CONFIG_MAP,
    executor: node
      ? undefined
      : ({ api }) =>
          new LocalExecutor({
            core: api.core,
            logger,
            kubeconfig: cp!.kubeconfig,
            env: useOllama ? { OLLAMA_HOST: opts.ollamaHost! } : {},
            onOutput: (_run, line) => {
              if (!line.startsWith('{')) return;
              try {
                const l = JSON.parse(line) as { msg?: string; level?: string };
                if (l.msg) info(`runner: ${l.msg}`);
              } catch {
                // not a log line
              }
            },
          }),
  });
  await manager.start();

  // The clock starts now: building and starting things above does not count.
  const deadline = Date.now() + opts.timeout * 1000;
  let phase = '';
  let run: RunObject | undefined;
  while (Date.now() < deadline) {
    const runs = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: 'improvementruns',
    })) as { items: RunObject[] };
    run = runs.items[0];
    const p = run?.status?.phase ?? (run ? 'Pending' : 'waiting for the run');
    if (p !== phase) info(`run ${run?.metadata?.name ?? ''}: ${p}`);
    phase = p;
    if (['Succeeded', 'NoChange', 'Failed'].includes(p)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!['Succeeded', 'NoChange', 'Failed'].includes(phase)) {
    console.error(`\ndemo: the run did not finish within ${opts.timeout}s (phase ${phase})`);
    return 1;
  }
  if (phase === 'Failed')
    info(`failure: ${run?.status?.failure?.reason}: ${run?.status?.failure?.message}`);
  // Let the operator fold the outcome into the target status.
  await new Promise((r) => setTimeout(r, 1500));

  step('kubectl get improvements');
  console.log(kubectl('get', 'improvements', '-n', NS));
  if (node) {
    // The runner writes the run's outcome before its containers exit, so the
    // Job can still be running here: show it once it has finished.
    const batch = kc.makeApiClient(BatchV1Api);
    const jobDeadline = Date.now() + 90_000;
    while (Date.now() < jobDeadline) {
      const jobs = await batch.listNamespacedJob({ namespace: NS });
      const finished = (j: (typeof jobs.items)[number]) =>
        (j.status?.conditions ?? []).some(
          (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
        );
      if (jobs.items.every(finished)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    step("The run's Job and its pod on the real node");
    console.log(kubectl('get', 'jobs,pods', '-n', NS, '-o', 'wide'));
  }
  step(`The run ${run!.metadata.name}`);
  const fresh = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NS,
    plural: 'improvementruns',
    name: run!.metadata.name,
  })) as RunObject;
  const { tests, ...rest } = fresh.status ?? {};
  console.log(
    JSON.stringify(
      { ...rest, tests: tests && { ...tests, outputTail: tests.outputTail ? '…' : undefined } },
      null,
      2,
    ).replace(/^/gm, '    '),
  );
  step('The work branch develop on the remote');
  console.log(
    git(remote, 'log', '--oneline', '--decorate', 'main..develop').replace(/^/gm, '    '),
  );
  console.log(
    git(remote, 'show', '--stat', '--format=    %h %s%n    Author: %an <%ae>', 'develop').replace(
      /^(?! {4})/gm,
      '    ',
    ),
  );
  for (const f of ['STATE.md', 'IMPROVEMENTS.md', 'PLAN.md']) {
    step(`.opencode/${f}`);
    console.log(git(remote, 'show', `develop:.opencode/${f}`).replace(/^/gm, '    '));
  }
  if (opts.keep) {
    step('Everything is still running (--keep). Press Ctrl-C to stop and clean up.');
    info(`export KUBECONFIG=${cp.kubeconfig}`);
    info(`${kubectlBin} get improvements -A -w`);
    info(`git --git-dir ${remote} log develop`);
    await new Promise(() => undefined);
  }
  return phase === 'Failed' ? 1 : 0;
}

process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => void cleanup().then(() => process.exit(143)));
main()
  .then(async (code) => {
    await cleanup();
    if (code === 0)
      console.log('\ndemo: done; everything it started has been stopped and removed.');
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(`\ndemo: ${err instanceof Error ? err.message : String(err)}`);
    await cleanup();
    process.exit(1);
  });
