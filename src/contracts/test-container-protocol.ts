// The contract between the runner and the Job's test container: files on the
// shared workspace volume, no pods/exec (so no extra RBAC), and a test
// container that needs nothing but /bin/sh.
//
// Layout, under the bench directory both containers see at the same path
// (the test container mounts only the `bench` subfolder of the volume, so the
// runner's clone beside it is out of its reach):
//
//   requests/<id>.req/     a request, renamed into place whole (atomic):
//     dir                  absolute directory to run in (the exported tree)
//     command              the command, run by `sh -c`
//     timeout              seconds, digits only
//     env                  `export K='v'` lines, sourced before the command
//   requests/<id>.run/     the same request once the loop took it
//   requests/<id>.out      stdout and stderr of the command
//   requests/<id>.timedout present when the loop's timeout killed it
//   requests/<id>.oom      present when the container's memory cgroup counted
//                          an OOM kill while it ran (the kernel killed a
//                          process of it; with a group kill the container
//                          itself ends, and the operator reads the pod)
//   requests/<id>.exit     the exit status, renamed into place (atomic)
//   stop                   written by the runner when it is done (also on
//                          failure): the loop exits and the Job can complete
//   (SIGTERM)              the loop exits at once (the pod is being stopped)
//   alive                  touched by the runner every HEARTBEAT_SECONDS; when
//                          it is older than 2 minutes the runner is gone
//                          (crashed, OOM-killed) and the loop exits too, so
//                          the pod ends without waiting for activeDeadlineSeconds
//
// The loop is POSIX sh: no busy spin (it sleeps 0.2 s, or 1 s where `sleep`
// takes integers only), the command is only ever an argument of `sh -c`,
// and every path it uses comes from its single argument. Where `setsid`
// exists (util-linux, busybox) the command leads its own process group, so a
// timeout, and the end of the command, kill everything it started.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { shellQuote } from '../util/shell.ts';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The subfolder of the workspace volume the test container mounts. */
export const BENCH_SUBPATH = 'bench';
export const REQUESTS_DIR = 'requests';
export const STOP_FILE = 'stop';
/** Seconds between the loop's TERM and KILL on a timeout. */
export const KILL_GRACE_SECONDS = 5;
export const ALIVE_FILE = 'alive';
export const HEARTBEAT_SECONDS = 15;

export const TEST_LOOP_SCRIPT = [
  'set -u',
  // PID 1 ignores a signal it has no trap for: without this the pod's end
  // waits for the kubelet's SIGKILL. `wait` returns at once for a trapped one.
  "trap 'exit 143' TERM INT",
  'bench=$1',
  'req=$bench/requests',
  'mkdir -p "$req" || exit 1',
  'if sleep 0.2 2>/dev/null; then nap=0.2; ticks=5; else nap=1; ticks=1; fi',
  'idle=0',
  'killgroup() { kill -s "$1" -- "-$2" 2>/dev/null || kill -s "$1" "$2" 2>/dev/null; }',
  // OOM kills so far in this container's memory cgroup (v2, then v1); 0 when unreadable.
  'ooms() {',
  '  for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do',
  '    if [ -r "$f" ]; then n=$(sed -n "s/^oom_kill //p" "$f"); echo "${n:-0}"; return; fi',
  '  done',
  '  echo 0',
  '}',
  'while :; do',
  '  [ -e "$bench/stop" ] && exit 0',
  '  found=no',
  '  for r in "$req"/*.req; do',
  '    [ -d "$r" ] || continue',
  '    found=yes',
  '    base=${r%.req}',
  '    mv "$r" "$base.run" 2>/dev/null || continue',
  '    r=$base.run',
  '    t=$(cat "$r/timeout" 2>/dev/null)',
  '    case $t in ""|*[!0-9]*) t=60 ;; esac',
  '    oom0=$(ooms)',
  '    (',
  '      cd "$(cat "$r/dir")" || exit 126',
  '      . "$r/env" || exit 126',
  '      cmd=$(cat "$r/command") || exit 126',
  '      if command -v setsid >/dev/null 2>&1; then exec setsid sh -c "$cmd"; fi',
  '      exec sh -c "$cmd"',
  '    ) <"/dev/null" >"$base.out" 2>&1 &',
  '    pid=$!',
  '    (',
  '      n=$((t * ticks))',
  '      while [ "$n" -gt 0 ]; do sleep $nap; n=$((n - 1)); done',
  '      : >"$base.timedout"',
  '      killgroup TERM "$pid"',
  `      n=$((${KILL_GRACE_SECONDS} * ticks))`,
  '      while [ "$n" -gt 0 ]; do sleep $nap; n=$((n - 1)); done',
  '      killgroup KILL "$pid"',
  '    ) </dev/null >/dev/null 2>&1 &',
  '    killer=$!',
  '    wait "$pid"',
  '    code=$?',
  '    kill "$killer" 2>/dev/null',
  '    wait "$killer" 2>/dev/null',
  // Whatever the command left running in its group goes with it.
  '    kill -s KILL -- "-$pid" 2>/dev/null',
  '    [ "$(ooms)" != "$oom0" ] && : >"$base.oom"',
  '    echo "$code" >"$base.exit.tmp" && mv "$base.exit.tmp" "$base.exit"',
  '    rm -rf "$r"',
  '  done',
  // `find -mmin` is not POSIX, but GNU and busybox have it; without it the
  // loop only stops on the stop file (or the Job's deadline).
  '  if [ "$found" = no ]; then',
  '    idle=$((idle + 1))',
  '    if [ "$idle" -ge $((2 * ticks)) ]; then',
  '      idle=0',
  '      [ -e "$bench/alive" ] && [ -n "$(find "$bench/alive" -mmin +2 2>/dev/null)" ] && exit 0',
  '    fi',
  '    sleep $nap',
  '  fi',
  'done',
].join('\n');

/** The test container's command: the loop, serving `bench`. */
export function testLoopCommand(bench: string): string[] {
  return ['/bin/sh', '-c', TEST_LOOP_SCRIPT, 'opencode-tests', bench];
}

export interface RemoteRequest {
  /** Absolute directory (the same path in both containers). */
  dir: string;
  command: string;
  timeoutSeconds: number;
  env: Record<string, string>;
}

export interface RemoteResult {
  id: string;
  /** null when the test container never answered. */
  exitCode: number | null;
  timedOut: boolean;
  /** The kernel's OOM killer killed a process of the container while it ran. */
  oomKilled: boolean;
  /** Where the output is (absent when the container never took the request). */
  outputFile: string;
  /** Why there is no exit code. */
  problem?: string;
}

/** The env file: one `export` per variable, names checked, values single-quoted. */
export function envFile(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad env name ${k}`);
      return `export ${k}=${shellQuote(v)}\n`;
    })
    .join('');
}

export function requestPaths(bench: string, id: string) {
  const base = join(bench, REQUESTS_DIR, id);
  return {
    request: `${base}.req`,
    out: `${base}.out`,
    exit: `${base}.exit`,
    timedOut: `${base}.timedout`,
    oom: `${base}.oom`,
  };
}

/** Writes the request atomically (a directory renamed into place); returns its id. */
export async function submitRequest(bench: string, req: RemoteRequest): Promise<string> {
  const id = `${Date.now()}-${randomBytes(4).toString('hex')}`;
  const dir = join(bench, REQUESTS_DIR);
  const tmp = join(dir, `.tmp-${id}`);
  await mkdir(tmp, { recursive: true });
  await Promise.all([
    writeFile(join(tmp, 'dir'), req.dir),
    writeFile(join(tmp, 'command'), req.command),
    writeFile(join(tmp, 'timeout'), String(Math.max(1, Math.ceil(req.timeoutSeconds)))),
    writeFile(join(tmp, 'env'), envFile(req.env)),
  ]);
  await rename(tmp, requestPaths(bench, id).request);
  return id;
}

/**
 * Runs one command in the test container and waits for its exit file. The
 * loop enforces the timeout; the runner gives up `graceSeconds` after it
 * (test container gone, OOM-killed, or never started).
 */
export async function runRemote(
  bench: string,
  req: RemoteRequest,
  opts: { graceSeconds?: number; pollMs?: number } = {},
): Promise<RemoteResult> {
  const id = await submitRequest(bench, req);
  const p = requestPaths(bench, id);
  const deadline =
    Date.now() + (req.timeoutSeconds + KILL_GRACE_SECONDS + (opts.graceSeconds ?? 30)) * 1000;
  while (Date.now() < deadline) {
    if (existsSync(p.exit)) {
      const code = Number.parseInt((await readFile(p.exit, 'utf8')).trim(), 10);
      return {
        id,
        exitCode: Number.isFinite(code) ? code : null,
        timedOut: existsSync(p.timedOut),
        oomKilled: existsSync(p.oom),
        outputFile: p.out,
      };
    }
    await sleep(opts.pollMs ?? 200);
  }
  // The request is withdrawn if the loop never took it.
  await rm(p.request, { recursive: true, force: true });
  return {
    id,
    exitCode: null,
    timedOut: true,
    oomKilled: false,
    outputFile: p.out,
    problem: `the test container did not answer within ${req.timeoutSeconds}s`,
  };
}

/** Touches the alive file now and every HEARTBEAT_SECONDS; returns the stopper. */
export function startHeartbeat(bench: string, onError: (err: unknown) => void): () => void {
  const beat = () =>
    mkdir(bench, { recursive: true })
      .then(() => writeFile(join(bench, ALIVE_FILE), ''))
      .catch(onError);
  void beat();
  const timer = setInterval(beat, HEARTBEAT_SECONDS * 1000);
  timer.unref();
  return () => clearInterval(timer);
}

/** Tells the loop to exit; safe to call more than once, or with no loop. */
export async function requestStop(bench: string): Promise<void> {
  await mkdir(bench, { recursive: true });
  await writeFile(join(bench, STOP_FILE), '');
}

/** Removes one request's files once read. */
export async function removeRequest(bench: string, id: string): Promise<void> {
  const p = requestPaths(bench, id);
  await Promise.all([p.out, p.exit, p.timedOut, p.oom].map((f) => rm(f, { force: true })));
}
