// Starts and stops a real control plane on loopback, the way
// controller-runtime's envtest does: etcd (embedded, via our helper) and
// kube-apiserver on free ports with generated certificates, an admin
// kubeconfig, and kube-controller-manager only when asked for.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { stringify } from 'yaml';
import { ensureBuilt } from './build.ts';

export interface ControlPlaneInfo {
  dir: string;
  binDir: string;
  kubeconfig: string;
  server: string;
}

/** A free TCP port on 127.0.0.1 (there is a small race until the server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() =>
        typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port')),
      );
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
}

export class ControlPlane {
  readonly dir: string;
  readonly binDir: string;
  private procs = new Map<string, Proc>();
  private apiPort = 0;
  private etcdPort = 0;

  /** Whether stop() removes the directory: false for a handle made by attach(). */
  private readonly owned: boolean;

  /** Appended to kube-apiserver's flags (the last value of a flag wins), e.g. --profiling=true for a benchmark. */
  private readonly apiServerArgs: string[];

  constructor(opts: { binDir?: string; dir?: string; apiServerArgs?: string[] } = {}) {
    this.apiServerArgs = opts.apiServerArgs ?? [];
    this.binDir = opts.binDir ?? ensureBuilt();
    this.dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'opencode-cp-'));
    this.owned = !opts.dir;
  }

  /**
   * A handle on a control plane another process started (Jest's global setup),
   * from its info(): lets a test file start its own controller-manager.
   */
  static attach(info: ControlPlaneInfo): ControlPlane {
    const cp = new ControlPlane({ binDir: info.binDir, dir: info.dir });
    cp.apiPort = Number(new URL(info.server).port);
    return cp;
  }

  get kubeconfig(): string {
    return join(this.dir, 'admin.kubeconfig');
  }

  get server(): string {
    return `https://127.0.0.1:${this.apiPort}`;
  }

  info(): ControlPlaneInfo {
    return { dir: this.dir, binDir: this.binDir, kubeconfig: this.kubeconfig, server: this.server };
  }

  async start(): Promise<void> {
    await this.run('pki', ['pki', '--dir', join(this.dir, 'pki')]);
    this.etcdPort = await freePort();
    const peer = await freePort();
    await this.spawnUntil(
      'etcd',
      join(this.binDir, 'controlplane-helper'),
      [
        'etcd',
        '--data-dir',
        join(this.dir, 'etcd'),
        '--listen-client-url',
        `http://127.0.0.1:${this.etcdPort}`,
        '--listen-peer-url',
        `http://127.0.0.1:${peer}`,
      ],
      (out) => out.includes('etcd ready'),
      60_000,
    );
    this.apiPort = await freePort();
    this.writeKubeconfig();
    await this.startApiServer();
  }

  async startApiServer(): Promise<void> {
    const pki = (f: string) => join(this.dir, 'pki', f);
    this.launch('kube-apiserver', join(this.binDir, 'kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${this.etcdPort}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${this.apiPort}`,
      `--tls-cert-file=${pki('apiserver.crt')}`,
      `--tls-private-key-file=${pki('apiserver.key')}`,
      `--client-ca-file=${pki('ca.crt')}`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${pki('sa.pub')}`,
      `--service-account-signing-key-file=${pki('sa.key')}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      // Node: a real node's kubelet (test/node) is authorized as system:node:<name>;
      // every other client falls through to RBAC as before.
      '--authorization-mode=Node,RBAC',
      // How the API server reaches a kubelet (logs, exec): as the admin.
      `--kubelet-client-certificate=${pki('admin.crt')}`,
      `--kubelet-client-key=${pki('admin.key')}`,
      // By the node's IP (an address the node's suite created), never a name to resolve through DNS.
      '--kubelet-preferred-address-types=InternalIP',
      '--allow-privileged=true',
      '--profiling=false',
      '--max-requests-inflight=1000',
      '--max-mutating-requests-inflight=500',
      `--cert-dir=${join(this.dir, 'apiserver-certs')}`,
      ...this.apiServerArgs,
    ]);
    await this.waitReady(120_000);
  }

  async stopApiServer(): Promise<void> {
    await this.stopProc('kube-apiserver');
  }

  /** Stops and starts kube-apiserver on the same port and etcd: clients see a real outage. */
  async restartApiServer(downMs = 0): Promise<void> {
    await this.stopApiServer();
    if (downMs) await sleep(downMs);
    await this.startApiServer();
  }

  /**
   * Starts kube-controller-manager (Job, garbage-collector, CronJob, namespace
   * controllers and the rest). Leader election stays on with short timings, so
   * that several test files may each ask for one and exactly one acts.
   */
  async startControllerManager(extraArgs: string[] = []): Promise<string> {
    const name = `kube-controller-manager-${process.pid}-${Date.now()}`;
    this.launch(name, join(this.binDir, 'kube-controller-manager'), [
      `--kubeconfig=${this.kubeconfig}`,
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--service-account-private-key-file=${join(this.dir, 'pki', 'sa.key')}`,
      `--root-ca-file=${join(this.dir, 'pki', 'ca.crt')}`,
      // A caller's own --controllers replaces the default (repeated, the flag would add up).
      ...(extraArgs.some((a) => a.startsWith('--controllers=')) ? [] : ['--controllers=*']),
      '--leader-elect=true',
      '--leader-elect-lease-duration=4s',
      '--leader-elect-renew-deadline=3s',
      '--leader-elect-retry-period=1s',
      '--kube-api-qps=200',
      '--kube-api-burst=400',
      ...extraArgs,
    ]);
    return name;
  }

  async stopControllerManager(name: string): Promise<void> {
    await this.stopProc(name);
  }

  async stop(): Promise<void> {
    const names = [...this.procs.keys()].reverse();
    for (const n of names) await this.stopProc(n);
    if (this.owned) rmSync(this.dir, { recursive: true, force: true });
  }

  logOf(name: string): string {
    const p = this.procs.get(name);
    return p ? readFileSync(p.logFile, 'utf8') : '';
  }

  private writeKubeconfig(): void {
    const pki = (f: string) => readFileSync(join(this.dir, 'pki', f)).toString('base64');
    const cfg = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'opencode-test',
          cluster: { server: this.server, 'certificate-authority-data': pki('ca.crt') },
        },
      ],
      users: [
        {
          name: 'admin',
          user: {
            'client-certificate-data': pki('admin.crt'),
            'client-key-data': pki('admin.key'),
          },
        },
      ],
      contexts: [{ name: 'opencode-test', context: { cluster: 'opencode-test', user: 'admin' } }],
      'current-context': 'opencode-test',
    };
    writeFileSync(this.kubeconfig, stringify(cfg), { mode: 0o600 });
  }

  /** Process ids of what this handle started (etcd, kube-apiserver, kube-controller-manager), for benchmarks. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, p] of this.procs) if (p.child.pid) out[name] = p.child.pid;
    return out;
  }

  private launch(name: string, bin: string, args: string[]): Proc {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: false });
    closeSync(fd);
    const proc = { name, child, logFile };
    this.procs.set(name, proc);
    return proc;
  }

  private run(name: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(join(this.binDir, 'controlplane-helper'), args, {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`${name} failed (${code}): ${err}`)),
      );
    });
  }

  private async spawnUntil(
    name: string,
    bin: string,
    args: string[],
    ready: (out: string) => boolean,
    timeoutMs: number,
  ): Promise<void> {
    const proc = this.launch(name, bin, args);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null)
        throw new Error(`${name} exited early:\n${this.logOf(name)}`);
      if (ready(this.logOf(name))) return;
      await sleep(50);
    }
    throw new Error(`${name} not ready within ${timeoutMs}ms:\n${this.logOf(name)}`);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const proc = this.procs.get('kube-apiserver')!;
    const ca = readFileSync(join(this.dir, 'pki', 'ca.crt'));
    const cert = readFileSync(join(this.dir, 'pki', 'admin.crt'));
    const key = readFileSync(join(this.dir, 'pki', 'admin.key'));
    const agent = new Agent({ ca, cert, key, keepAlive: false });
    try {
      while (Date.now() < deadline) {
        if (proc.child.exitCode !== null)
          throw new Error(
            `kube-apiserver exited early:\n${this.logOf('kube-apiserver').slice(-4000)}`,
          );
        const status = await new Promise<number>((resolve) => {
          const req = request(`${this.server}/readyz`, { agent, timeout: 2000 }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', () => resolve(0));
          req.on('timeout', () => req.destroy());
          req.end();
        });
        if (status === 200) return;
        await sleep(100);
      }
    } finally {
      agent.destroy();
    }
    throw new Error(
      `kube-apiserver not ready within ${timeoutMs}ms:\n${this.logOf('kube-apiserver').slice(-4000)}`,
    );
  }

  private async stopProc(name: string): Promise<void> {
    const p = this.procs.get(name);
    if (!p) return;
    this.procs.delete(name);
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
    p.child.kill('SIGTERM');
    // A timer cleared once the process exits: a pending one keeps Jest from exiting.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 10_000)));
    const killed = await Promise.race([exited.then(() => true), timeout]);
    clearTimeout(timer);
    if (!killed) {
      p.child.kill('SIGKILL');
      await exited;
    }
  }
}
