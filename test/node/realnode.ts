// A real node for the suites that ask for it (useRealNode()): containerd with
// runc, a CNI bridge of its own, kubelet, kube-scheduler and kube-proxy
// (iptables mode), joined to the test control plane. Everything it creates is
// named after one random id (bridge ocn<id>, cgroup /ocn-<id>, iptables chain
// OCN-<id>, the temp folder) and removed by stop(); see docs/real-node.md.
//
// Only one node may run on a machine at a time: kube-proxy's iptables chains
// are machine-wide. start() refuses when KUBE-* chains already exist.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, type ControlPlaneInfo } from '../controlplane/controlplane.ts';
import type { NodeImages } from './images.ts';
import type { ProjectImage } from './project-image.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Machine-wide settings the kubelet, kube-proxy or the bridge plugin may change: restored by stop(). */
const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
];

const IPT = ['iptables', 'ip6tables'] as const;
const TABLES = ['filter', 'nat', 'mangle'] as const;

function sh(cmd: string, args: string[], allowFail = false): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (!allowFail && (r.error || r.status !== 0))
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${r.status}): ${r.error?.message ?? r.stderr.slice(-2000)}`,
    );
  return r.stdout ?? '';
}

function chains(ipt: string, table: string): Set<string> {
  const out = sh(ipt, ['-w', '-t', table, '-S'], true);
  return new Set(
    out
      .split('\n')
      .filter((l) => l.startsWith('-N '))
      .map((l) => l.slice(3).trim()),
  );
}

/** Mount points under `prefix`, deepest first. */
function mountsUnder(prefix: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\040/g, ' '))
    .filter((p) => p === prefix || p.startsWith(`${prefix}/`))
    .sort((a, b) => b.length - a.length);
}

/** The v1 hierarchies and the cgroup2 "unified" mount under /sys/fs/cgroup (or the cgroup2 root itself; untested). */
function cgroupMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / - cgroup2? /.test(l))
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p === '/sys/fs/cgroup' || p.startsWith('/sys/fs/cgroup/'));
}

function rmCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory()) rmCgroupTree(join(dir, e.name));
  rmdirSync(dir);
}

export interface RealNodeOptions {
  controlPlane: ControlPlaneInfo;
  /** From ensureNodeBuilt(). */
  binDir: string;
  /** From ensureImages(). */
  images: NodeImages;
  /** More docker archives to import (the project's image). */
  extraArchives?: string[];
  /** The project's image (imported through extraArchives), or why it is missing. */
  project?: ProjectImage;
  projectError?: string;
  log?: (m: string) => void;
}

interface Proc {
  child: ChildProcess;
  logFile: string;
}

export class RealNode {
  readonly id = randomBytes(3).toString('hex');
  readonly name = `ocn-${this.id}`;
  /** Pods set this schedulerName: only this node's scheduler binds them, no other suite's pod lands here. */
  readonly schedulerName = `ocn-${this.id}`;
  /** The node is tainted with it; pods tolerate it (tolerations()). */
  readonly taintKey = 'opencode-operator.test/real-node';
  readonly bridge = `ocn${this.id}`;
  readonly dir: string;
  subnet = '';
  /** The node's IP: the bridge's gateway address (the kubelet refuses a loopback one). */
  nodeIP = '';
  /** Milliseconds from start() to the Node being Ready. */
  startMs = 0;
  /** Milliseconds each phase of start() took. */
  readonly timings: Record<string, number> = {};

  private readonly opts: RealNodeOptions;
  private readonly log: (m: string) => void;
  private procs = new Map<string, Proc>();
  private readonly cgroupName = `ocn-${this.id}`;
  private readonly chain = `OCN-${this.id.toUpperCase()}`;
  private sysctls = new Map<string, string>();
  private chainsBefore = new Map<string, Set<string>>();
  private netnsBefore = new Set<string>();
  private existedBefore = new Map<string, boolean>();
  private bridgeCreated = false;
  private forwarder: Server | undefined;
  private sockets = new Set<Socket>();
  private cgroupsCreated: string[] = [];

  constructor(opts: RealNodeOptions) {
    this.opts = opts;
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.dir = mkdtempSync(join(tmpdir(), 'ocn-'));
  }

  private get sock(): string {
    return join(this.dir, 'ctrd', 'containerd.sock');
  }

  /** The images imported into this node's containerd. */
  get images(): NodeImages {
    return this.opts.images;
  }

  /** The project's image from its Dockerfile, imported into this node; throws why it is missing. */
  projectImage(): string {
    if (!this.opts.project)
      throw new Error(`no project image: ${this.opts.projectError ?? 'not prepared'}`);
    return this.opts.project.ref;
  }

  /** The project image's NODE_IMAGE base (Debian, Node, npm); imported with useRealNode({ nodeImage }). */
  nodeImage(): string {
    if (!this.opts.project)
      throw new Error(`no project image: ${this.opts.projectError ?? 'not prepared'}`);
    return this.opts.project.node.ref;
  }

  /** What a pod spec needs to run here: this node's scheduler and the toleration of its taint. */
  podPlacement(): {
    schedulerName: string;
    tolerations: { key: string; operator: string; effect: string }[];
  } {
    return {
      schedulerName: this.schedulerName,
      tolerations: [{ key: this.taintKey, operator: 'Exists', effect: 'NoSchedule' }],
    };
  }

  async start(): Promise<void> {
    const started = Date.now();
    if (process.platform !== 'linux' || process.getuid?.() !== 0)
      throw new Error('a real node needs root on Linux');
    this.snapshot();
    let mark = Date.now();
    const phase = async (name: string, fn: () => unknown) => {
      await fn();
      this.timings[name] = Date.now() - mark;
      mark = Date.now();
    };
    try {
      await phase('network, cgroups, certificates', () => {
        this.network();
        this.cgroups();
        this.pki();
      });
      await phase('containerd', () => this.startContainerd());
      await phase('image import', () => this.importImages());
      await phase('kubelet registered', () => this.startKubelet());
      await phase('scheduler, proxy', async () => {
        await this.startScheduler();
        await this.startProxy();
        await this.startApiForwarder();
      });
      await phase('Ready', () => this.waitReady(120_000));
    } catch (err) {
      const logs = [...this.procs.keys()]
        .map((n) => `--- ${n}\n${this.logOf(n).slice(-3000)}`)
        .join('\n');
      await this.stop().catch((e: unknown) =>
        this.log(`cleanup after a failed start: ${String(e)}`),
      );
      throw new Error(`${(err as Error).message}\n${logs}`, { cause: err });
    }
    this.startMs = Date.now() - started;
  }

  logOf(name: string): string {
    const p = this.procs.get(name);
    return p && existsSync(p.logFile) ? readFileSync(p.logFile, 'utf8') : '';
  }

  /** kubectl with the control plane's admin kubeconfig. */
  private kubectl(args: string[], allowFail = false): string {
    return sh(
      join(this.opts.controlPlane.binDir, 'kubectl'),
      [`--kubeconfig=${this.opts.controlPlane.kubeconfig}`, ...args],
      allowFail,
    );
  }

  // --- what exists before, to remove only what we add -----------------------

  private snapshot(): void {
    for (const s of SYSCTLS) {
      const f = `/proc/sys/${s}`;
      if (existsSync(f)) this.sysctls.set(f, readFileSync(f, 'utf8').trim());
    }
    for (const ipt of IPT)
      for (const t of TABLES) {
        const set = chains(ipt, t);
        this.chainsBefore.set(`${ipt}/${t}`, set);
        const kube = [...set].filter((c) => c.startsWith('KUBE-'));
        if (kube.length)
          throw new Error(
            `${ipt} table ${t} already has ${kube.join(', ')}: another kube-proxy or kubelet runs here; one real node per machine`,
          );
      }
    if (existsSync('/run/netns'))
      for (const n of readdirSync('/run/netns')) this.netnsBefore.add(n);
    for (const d of ['/run/netns', '/var/lib/cni', '/var/log/containers', '/run/containerd'])
      this.existedBefore.set(d, existsSync(d));
  }

  // --- network: the bridge, its gateway address, a guard against egress -----

  private network(): void {
    const routes = sh('ip', ['-4', 'route', 'show', 'table', 'all']);
    const used = new Set([...routes.matchAll(/10\.88\.(\d+)\./g)].map((m) => Number(m[1])));
    const free = Array.from({ length: 256 }, (_, i) => i).filter((i) => !used.has(i));
    const n = free[Math.floor(Math.random() * free.length)];
    if (n === undefined) throw new Error('no free 10.88.x.0/24 for the node bridge');
    this.subnet = `10.88.${n}.0/24`;
    this.nodeIP = `10.88.${n}.1`;
    sh('ip', ['link', 'add', 'name', this.bridge, 'type', 'bridge']);
    this.bridgeCreated = true;
    sh('ip', ['addr', 'add', `${this.nodeIP}/24`, 'dev', this.bridge]);
    sh('ip', ['link', 'set', this.bridge, 'up']);
    // Pods reach the node's own addresses and each other, never another host.
    sh('iptables', ['-w', '-N', this.chain]);
    sh('iptables', [
      '-w',
      '-A',
      this.chain,
      '-i',
      this.bridge,
      '!',
      '-o',
      this.bridge,
      '-j',
      'DROP',
    ]);
    sh('iptables', ['-w', '-I', 'FORWARD', '1', '-j', this.chain]);
    mkdirSync(join(this.dir, 'cni', 'net.d'), { recursive: true });
    writeFileSync(
      join(this.dir, 'cni', 'net.d', '10-ocn.conflist'),
      JSON.stringify({
        cniVersion: '0.4.0',
        name: this.name,
        plugins: [
          {
            type: 'bridge',
            bridge: this.bridge,
            isGateway: true,
            ipMasq: false,
            ipam: {
              type: 'host-local',
              dataDir: join(this.dir, 'cni', 'ipam'),
              ranges: [[{ subnet: this.subnet, gateway: this.nodeIP }]],
              routes: [{ dst: '0.0.0.0/0' }],
            },
          },
          { type: 'loopback' },
        ],
      }),
    );
  }

  // --- cgroups: the kubelet's cgroupRoot, made here so that stop() removes all

  private cgroups(): void {
    for (const m of cgroupMounts()) {
      const d = join(m, this.cgroupName);
      mkdirSync(d);
      this.cgroupsCreated.push(d);
      if (m.endsWith('/cpuset'))
        for (const f of ['cpuset.cpus', 'cpuset.mems'])
          writeFileSync(join(d, f), readFileSync(join(m, f), 'utf8').trim());
    }
  }

  // --- certificates and kubeconfigs -----------------------------------------

  private pki(): void {
    const pki = join(this.dir, 'pki');
    mkdirSync(pki, { recursive: true });
    const ca = join(this.opts.controlPlane.dir, 'pki');
    const cert = (name: string, cn: string, org?: string) => {
      sh(join(this.opts.binDir, 'node-helper'), [
        'cert',
        '--ca-dir',
        ca,
        '--out',
        join(pki, name),
        '--cn',
        cn,
        ...(org ? ['--org', org] : []),
      ]);
      const b64 = (f: string) => readFileSync(f).toString('base64');
      writeFileSync(
        join(this.dir, `${name}.kubeconfig`),
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'test',
              cluster: {
                server: this.opts.controlPlane.server,
                'certificate-authority-data': b64(join(ca, 'ca.crt')),
              },
            },
          ],
          users: [
            {
              name,
              user: {
                'client-certificate-data': b64(join(pki, `${name}.crt`)),
                'client-key-data': b64(join(pki, `${name}.key`)),
              },
            },
          ],
          contexts: [{ name: 'test', context: { cluster: 'test', user: name } }],
          'current-context': 'test',
        }),
        { mode: 0o600 },
      );
    };
    // The Node authorizer knows the kubelet by this name and group.
    cert('kubelet', `system:node:${this.name}`, 'system:nodes');
    // Users the default RBAC bindings (system:node-proxier, system:kube-scheduler) name.
    cert('kube-proxy', 'system:kube-proxy');
    cert('kube-scheduler', 'system:kube-scheduler');
  }

  // --- processes -------------------------------------------------------------

  private launch(name: string, bin: string, args: string[]): Proc {
    const logFile = join(this.dir, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const p = { child, logFile };
    this.procs.set(name, p);
    return p;
  }

  private async until(name: string, ok: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const p = this.procs.get(name);
    while (Date.now() < deadline) {
      if (p && p.child.exitCode !== null) throw new Error(`${name} exited (${p.child.exitCode})`);
      if (ok()) return;
      await sleep(200);
    }
    throw new Error(`${name} not ready within ${timeoutMs}ms`);
  }

  private async startContainerd(): Promise<void> {
    const c = join(this.dir, 'ctrd');
    mkdirSync(c, { recursive: true });
    const config = `version = 2
root = "${c}/root"
state = "${c}/state"
oom_score = 0
[grpc]
  address = "${this.sock}"
[ttrpc]
  address = "${this.sock}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${c}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${this.opts.images.pause}"
  enable_unprivileged_ports = false
  # runc cannot write oom_score_adj here (no CAP_SYS_RESOURCE): keep the parent's.
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${join(this.dir, 'cni', 'net.d')}"
`;
    writeFileSync(join(c, 'config.toml'), config);
    this.launch('containerd', 'containerd', ['--config', join(c, 'config.toml')]);
    await this.until(
      'containerd',
      () => spawnSync('ctr', ['--address', this.sock, 'version'], { stdio: 'ignore' }).status === 0,
      30_000,
    );
  }

  private ctr(args: string[], allowFail = false): string {
    return sh('ctr', ['--address', this.sock, '--namespace', 'k8s.io', ...args], allowFail);
  }

  private importImages(): void {
    for (const a of [...this.opts.images.archives, ...(this.opts.extraArchives ?? [])])
      this.ctr(['images', 'import', a]);
  }

  private async startKubelet(): Promise<void> {
    const k = join(this.dir, 'kubelet');
    mkdirSync(join(k, 'manifests'), { recursive: true });
    const port = await freePort();
    const config = {
      apiVersion: 'kubelet.config.k8s.io/v1beta1',
      kind: 'KubeletConfiguration',
      // kubelet 1.36 refuses cgroup v1 unless told; cgroupfs: there is no systemd.
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      cgroupRoot: `/${this.cgroupName}`,
      containerRuntimeEndpoint: `unix://${this.sock}`,
      imageServiceEndpoint: `unix://${this.sock}`,
      authentication: {
        anonymous: { enabled: false },
        webhook: { enabled: true },
        x509: { clientCAFile: join(this.opts.controlPlane.dir, 'pki', 'ca.crt') },
      },
      authorization: { mode: 'Webhook' },
      address: this.nodeIP,
      port,
      readOnlyPort: 0,
      healthzPort: 0,
      clusterDNS: [],
      clusterDomain: 'cluster.local',
      failSwapOn: false,
      // Root here cannot lower its own oom_score_adj.
      oomScoreAdj: 0,
      cgroupsPerQOS: true,
      enforceNodeAllocatable: [],
      protectKernelDefaults: false,
      makeIPTablesUtilChains: false,
      evictionHard: {},
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      localStorageCapacityIsolation: true,
      serializeImagePulls: false,
      registerNode: true,
      registerWithTaints: [{ key: this.taintKey, value: this.id, effect: 'NoSchedule' }],
      staticPodPath: join(k, 'manifests'),
      podLogsDir: join(k, 'pod-logs'),
      rotateCertificates: false,
      serverTLSBootstrap: false,
    };
    writeFileSync(join(k, 'config.yaml'), stringify(config));
    this.launch('kubelet', join(this.opts.binDir, 'kubelet'), [
      `--config=${join(k, 'config.yaml')}`,
      `--kubeconfig=${join(this.dir, 'kubelet.kubeconfig')}`,
      `--hostname-override=${this.name}`,
      `--node-ip=${this.nodeIP}`,
      `--root-dir=${join(k, 'root')}`,
      `--cert-dir=${join(k, 'pki')}`,
      `--volume-plugin-dir=${join(k, 'volume-plugins')}`,
      '--v=1',
    ]);
    await this.until(
      'kubelet',
      () => this.kubectl(['get', 'node', this.name, '-o', 'name'], true).trim() !== '',
      60_000,
    );
  }

  private async startScheduler(): Promise<void> {
    const config = {
      apiVersion: 'kubescheduler.config.k8s.io/v1',
      kind: 'KubeSchedulerConfiguration',
      clientConnection: { kubeconfig: join(this.dir, 'kube-scheduler.kubeconfig') },
      // A scheduler of its own name: pods of other suites keep the default one.
      leaderElection: { leaderElect: false },
      profiles: [{ schedulerName: this.schedulerName }],
    };
    writeFileSync(join(this.dir, 'kube-scheduler.yaml'), stringify(config));
    const port = await freePort();
    this.launch('kube-scheduler', join(this.opts.binDir, 'kube-scheduler'), [
      `--config=${join(this.dir, 'kube-scheduler.yaml')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(this.dir, 'scheduler-certs')}`,
    ]);
    await this.until('kube-scheduler', () => this.logOf('kube-scheduler').length > 0, 10_000);
  }

  private async startProxy(): Promise<void> {
    const [healthz, metrics] = [await freePort(), await freePort()];
    const config = {
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      clientConnection: { kubeconfig: join(this.dir, 'kube-proxy.kubeconfig') },
      hostnameOverride: this.name,
      mode: 'iptables',
      clusterCIDR: this.subnet,
      bindAddress: this.nodeIP,
      healthzBindAddress: `127.0.0.1:${healthz}`,
      metricsBindAddress: `127.0.0.1:${metrics}`,
      nodePortAddresses: [`${this.nodeIP}/32`],
      // Leave the machine's conntrack settings and route_localnet alone.
      conntrack: {
        maxPerCore: 0,
        min: 0,
        tcpEstablishedTimeout: '0s',
        tcpCloseWaitTimeout: '0s',
      },
      iptables: { localhostNodePorts: false, masqueradeAll: false },
    };
    writeFileSync(join(this.dir, 'kube-proxy.yaml'), stringify(config));
    this.launch('kube-proxy', join(this.opts.binDir, 'kube-proxy'), [
      `--config=${join(this.dir, 'kube-proxy.yaml')}`,
    ]);
    await this.until('kube-proxy', () => chains('iptables', 'nat').has('KUBE-SERVICES'), 30_000);
  }

  /**
   * Pods reach the API server as in a cluster, through the `kubernetes`
   * Service's IP, but its endpoint is the API server's 127.0.0.1, which a pod
   * cannot reach. So a chain OCN-<ID> in nat PREROUTING (ahead of
   * kube-proxy's) sends that Service's traffic from the bridge to a TCP
   * forwarder on the node IP, which passes it to 127.0.0.1. TLS still names the
   * Service IP, which the API server's certificate holds.
   */
  private async startApiForwarder(): Promise<void> {
    const api = Number(new URL(this.opts.controlPlane.server).port);
    const serviceIP = this.kubectl([
      '-n',
      'default',
      'get',
      'service',
      'kubernetes',
      '-o',
      'jsonpath={.spec.clusterIP}',
    ]).trim();
    const server = createServer((client) => {
      const upstream = connect(api, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
      client.pipe(upstream).pipe(client);
    });
    this.forwarder = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.nodeIP, () => resolve());
    });
    server.unref();
    const port = (server.address() as { port: number }).port;
    sh('iptables', ['-w', '-t', 'nat', '-N', this.chain]);
    sh('iptables', [
      '-w',
      '-t',
      'nat',
      '-A',
      this.chain,
      '-i',
      this.bridge,
      '-d',
      `${serviceIP}/32`,
      '-p',
      'tcp',
      '--dport',
      '443',
      '-j',
      'DNAT',
      '--to-destination',
      `${this.nodeIP}:${port}`,
    ]);
    sh('iptables', ['-w', '-t', 'nat', '-I', 'PREROUTING', '1', '-j', this.chain]);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    await this.until(
      'kubelet',
      () =>
        this.kubectl(
          [
            'get',
            'node',
            this.name,
            '-o',
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
          ],
          true,
        ).trim() === 'True',
      timeoutMs,
    );
  }

  // --- stop: everything above, in reverse ------------------------------------

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

  /** Processes started by our containerd (its shims and what they run), found by our socket path. */
  private shimPids(): number[] {
    const pids: number[] = [];
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
        if (cmd[0]?.includes('containerd-shim') && cmd.includes(this.sock)) pids.push(Number(e));
      } catch {
        // gone meanwhile
      }
    }
    return pids;
  }

  async stop(): Promise<void> {
    const errors: string[] = [];
    const step = async (what: string, fn: () => unknown) => {
      const started = Date.now();
      try {
        await fn();
      } catch (err) {
        errors.push(`${what}: ${(err as Error).message}`);
      }
      const ms = Date.now() - started;
      if (ms > 2000) this.log(`real node ${this.name}: stop: ${what} took ${ms}ms`);
    };
    // Pods first, through the kubelet, so that containerd stops their sandboxes (CNI DEL).
    if (this.procs.has('kubelet')) {
      await step('delete pods', async () => {
        this.kubectl(
          [
            'delete',
            'pods',
            '--all-namespaces',
            `--field-selector=spec.nodeName=${this.name}`,
            '--grace-period=1',
            '--wait=false',
          ],
          true,
        );
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const left = this.kubectl(
            ['get', 'pods', '-A', `--field-selector=spec.nodeName=${this.name}`, '-o', 'name'],
            true,
          ).trim();
          const tasks = this.ctr(['tasks', 'ls', '-q'], true).trim();
          if (!left && !tasks) break;
          await sleep(500);
        }
      });
    }
    await step('API forwarder', async () => {
      for (const sock of this.sockets) sock.destroy();
      const f = this.forwarder;
      this.forwarder = undefined;
      if (f) await new Promise<void>((r) => f.close(() => r()));
    });
    for (const n of ['kube-proxy', 'kube-scheduler', 'kubelet'])
      await step(`stop ${n}`, () => this.stopProc(n));
    if (this.procs.has('containerd')) {
      await step('kill leftover containers', () => {
        for (const t of this.ctr(['tasks', 'ls', '-q'], true).split('\n').filter(Boolean)) {
          this.ctr(['tasks', 'kill', '-s', 'SIGKILL', t], true);
        }
      });
      await sleep(500);
      await step('stop containerd', () => this.stopProc('containerd'));
    }
    await step('kill shims', async () => {
      for (const pid of this.shimPids()) process.kill(pid, 'SIGKILL');
      await sleep(200);
    });
    await step('node object', () =>
      this.kubectl(['delete', 'node', this.name, '--ignore-not-found', '--wait=false'], true),
    );
    await step('kube-proxy --cleanup', () => {
      if (this.chainsBefore.size)
        sh(join(this.opts.binDir, 'kube-proxy'), ['--cleanup', '--proxy-mode=iptables'], true);
    });
    await step('iptables', () => this.removeChains());
    await step('netns', () => {
      if (!existsSync('/run/netns')) return;
      for (const n of readdirSync('/run/netns')) {
        if (this.netnsBefore.has(n)) continue;
        const f = join('/run/netns', n);
        sh('umount', ['-l', f], true);
        rmSync(f, { force: true });
      }
    });
    await step('mounts', () => {
      for (const m of mountsUnder(this.dir)) sh('umount', ['-l', m], true);
    });
    await step('cgroups', async () => {
      for (let i = 0; i < 20; i++) {
        const left = this.cgroupsCreated.filter((d) => {
          try {
            rmCgroupTree(d);
            return false;
          } catch {
            return existsSync(d);
          }
        });
        this.cgroupsCreated = left;
        if (!left.length) return;
        await sleep(250);
      }
      throw new Error(`cgroups left: ${this.cgroupsCreated.join(', ')}`);
    });
    await step('bridge', () => {
      if (this.bridgeCreated) sh('ip', ['link', 'del', this.bridge], true);
      this.bridgeCreated = false;
    });
    await step('sysctls', () => {
      for (const [f, v] of this.sysctls) {
        if (existsSync(f) && readFileSync(f, 'utf8').trim() !== v) writeFileSync(f, v);
      }
    });
    await step('files outside the temp folder', () => this.removeOutsideFiles());
    await step('temp folder', () => {
      if (mountsUnder(this.dir).length === 0) rmSync(this.dir, { recursive: true, force: true });
      else throw new Error(`still mounted under ${this.dir}`);
    });
    if (errors.length) throw new Error(`real node cleanup: ${errors.join('; ')}`);
  }

  /** Chains that did not exist before start(): rules jumping to them, then the chains. */
  private removeChains(): void {
    for (const ipt of IPT)
      for (const t of TABLES) {
        const before = this.chainsBefore.get(`${ipt}/${t}`);
        if (!before) continue;
        const now = chains(ipt, t);
        const ours = [...now].filter((c) => !before.has(c));
        if (!ours.length) continue;
        const rules = sh(ipt, ['-w', '-t', t, '-S'], true).split('\n');
        for (const r of rules) {
          const m = /^-A (\S+) (.*-j (\S+).*)$/.exec(r);
          if (m && ours.includes(m[3]!) && !ours.includes(m[1]!))
            sh(ipt, ['-w', '-t', t, '-D', m[1]!, ...splitRule(m[2]!)], true);
        }
        for (const c of ours) sh(ipt, ['-w', '-t', t, '-F', c], true);
        for (const c of ours) sh(ipt, ['-w', '-t', t, '-X', c], true);
      }
  }

  private removeOutsideFiles(): void {
    // The kubelet links container logs into /var/log/containers.
    const logs = '/var/log/containers';
    if (existsSync(logs)) {
      for (const f of readdirSync(logs)) {
        const p = join(logs, f);
        try {
          if (lstatSync(p).isSymbolicLink() && readlinkSync(p).startsWith(this.dir)) rmSync(p);
        } catch {
          // gone meanwhile
        }
      }
      if (!this.existedBefore.get(logs) && readdirSync(logs).length === 0) rmdirSync(logs);
    }
    // libcni caches results under /var/lib/cni, per network name.
    const cni = '/var/lib/cni';
    if (existsSync(cni)) {
      if (!this.existedBefore.get(cni)) rmSync(cni, { recursive: true, force: true });
      else {
        const results = join(cni, 'results');
        if (existsSync(results))
          for (const f of readdirSync(results))
            if (f.startsWith(`${this.name}-`)) rmSync(join(results, f), { force: true });
      }
    }
    for (const d of ['/run/netns', '/run/containerd']) {
      if (this.existedBefore.get(d) === false && existsSync(d)) {
        try {
          rmSync(d, { recursive: true });
        } catch {
          // not empty: someone else's
        }
      }
    }
  }
}

/** Splits an iptables -S rule body into arguments (quoted comments kept whole). */
function splitRule(rule: string): string[] {
  const out: string[] = [];
  for (const m of rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}
