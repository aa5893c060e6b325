// Shared by the benchmarks: the project's CRDs on a test control plane, and
// what they measure with (CPU of a process, the API server's request counts).
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from '../test/controlplane/controlplane.ts';

const crdDir = join(import.meta.dirname, '..', 'config', 'crd');

/** Applies config/crd with the control plane's kubectl and waits until the CRDs are Established. */
export function installCrds(cp: ControlPlane): void {
  const kubectl = (...args: string[]) =>
    execFileSync(join(cp.binDir, 'kubectl'), ['--kubeconfig', cp.kubeconfig, ...args], {
      stdio: 'ignore',
    });
  kubectl('apply', '-f', crdDir);
  kubectl('wait', '--for=condition=Established', '-f', crdDir);
}

/** user+system CPU seconds of a process so far (Linux /proc; USER_HZ is 100); NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** kube-apiserver's request counts by verb and resource (its own /metrics), watches and leases left out. */
export function apiRequests(cp: ControlPlane): Map<string, number> {
  const text = execFileSync(
    join(cp.binDir, 'kubectl'),
    ['--kubeconfig', cp.kubeconfig, 'get', '--raw', '/metrics'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (labels.verb === 'WATCH' || labels.resource === 'leases') continue;
    const k = `${labels.verb} ${labels.resource}${labels.subresource ? '/' + labels.subresource : ''}`;
    out.set(k, (out.get(k) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** Requests made between two apiRequests() snapshots, most frequent first. */
export function requestDiff(before: Map<string, number>, after: Map<string, number>): string {
  const rows = [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  return rows.length ? rows.map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
}

/** Runs fn over items with at most `concurrency` in flight. */
export async function bulk<T>(
  items: T[],
  concurrency: number,
  fn: (x: T) => Promise<unknown>,
): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

/** Saves a CPU profile of kube-apiserver over the next `seconds` (go tool pprof reads it). */
export async function apiserverProfile(
  cp: ControlPlane,
  file: string,
  seconds: number,
): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    execFile(
      join(cp.binDir, 'kubectl'),
      [
        '--kubeconfig',
        cp.kubeconfig,
        'get',
        '--raw',
        `/debug/pprof/profile?seconds=${Math.ceil(seconds)}`,
      ],
      { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
      (err, stdout) => (err ? reject(err) : (writeFileSync(file, stdout), resolve())),
    ),
  );
}
