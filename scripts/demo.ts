// npm run demo: the whole loop on an embedded default, with no cluster,
// cloud account, token or GPU. It starts the test control plane (building it
// first if needed), installs the CRDs, turns examples/sample-app into a bare
// git remote, applies an ImprovementTarget for it with a run-now annotation,
// and runs the operator with the local executor (runners as child
// processes). It ends by showing `kubectl get improvements`, the new commit
// on the work branch and the updated .opencode/ files.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { GROUP, VERSION } from '../src/crds/index.ts';
import { LocalExecutor } from '../src/controllers/local-executor.ts';
import { Manager } from '../src/operator/manager.ts';
import { createLogger } from '../src/util/logger.ts';
import { ensureBuilt } from '../test/controlplane/build.ts';
import { ControlPlane } from '../test/controlplane/controlplane.ts';

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
    new Option('--timeout <seconds>', 'give up after this long').default(300).argParser(seconds),
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
const opts = cmd.opts<{ keep: boolean; timeout: number; model: string; ollamaHost?: string }>();

const step = (msg: string) => console.log(`\n==> ${msg}`);
const info = (msg: string) => console.log(`    ${msg}`);
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' });

let cp: ControlPlane | undefined;
let manager: Manager | undefined;
let work: string | undefined;
let cleaning = false;

async function cleanup(): Promise<void> {
  if (cleaning) return;
  cleaning = true;
  await manager?.stop().catch(() => undefined);
  await cp?.stop().catch(() => undefined);
  if (work) rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<number> {
  const deadline = Date.now() + opts.timeout * 1000;
  step('Building the local control plane (once; cached afterwards)');
  const binDir = ensureBuilt((m) => info(m));
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
  info(`remote ${pathToFileURL(remote).href}`);

  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfig);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NS } } });
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
      repository: { url: pathToFileURL(remote).href, provider: 'git' },
      schedule: '0 8 * * *',
      model: useOllama
        ? { provider: 'ollama', host: opts.ollamaHost, name: opts.model }
        : { provider: 'builtin' },
      autoMerge: false,
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

  step('Running the operator with the local executor (runners as child processes)');
  const logger = createLogger({ level: 'warn', destination: pino.destination(2) });
  manager = new Manager({
    kc,
    logger,
    namespaces: [NS],
    runnerImage: 'local',
    executor: ({ api }) =>
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
