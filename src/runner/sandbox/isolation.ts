// Process isolation for the repository's own code (set-up and tests) in
// local mode: a user namespace with its own PID and mount namespaces
// (util-linux `unshare`), where
//   - the runner's processes, and so their environment, are invisible
//     (a fresh /proc shows only the sandbox's own);
//   - every mount is read-only except the exported tree, a private home,
//     a private temporary directory, a private /dev/shm and the dependency
//     caches;
//   - the runner's clone (its .git, config and state files) is covered by
//     an empty tmpfs.
// When the kernel or the container refuses user namespaces, the code runs
// as a plain child process with a scrubbed environment, and the run's
// report says so. In a Job the tests run in a container of their own
// (container-executor.ts): no namespaces are needed there, the container
// holds no token and cannot see the runner's clone.
import { spawn } from 'node:child_process';

export type Isolation =
  | { kind: 'namespaces' }
  | { kind: 'none'; why: string }
  /** The Job's test container: another container of the pod, not a child process. */
  | { kind: 'container' };

export interface SandboxMounts {
  /** Directories the code may write: the exported tree first (it becomes the cwd). */
  writable: string[];
  /** Directories covered by an empty, read-only tmpfs. */
  hidden: string[];
}

const UNSHARE = [
  'unshare',
  '--user',
  '--map-root-user',
  '--pid',
  '--fork',
  '--mount',
  '--mount-proc',
  '--kill-child',
  '--',
];

// Arguments: cwd, then +dir (writable) / -dir (hidden) items, then `--`,
// then the command for `sh -c`. Paths come as arguments, never spliced
// into the script. Writable dirs are bind-mounted onto themselves first, so
// they stay writable when every other mount is remounted read-only.
const SCRIPT = [
  'set -eu',
  'cwd=$1; shift',
  'while [ "$1" != "--" ]; do',
  '  case "$1" in',
  '    +*) d=${1#+}; mount --bind -- "$d" "$d" ;;',
  '    -*) d=${1#-}; mount -t tmpfs -o size=16k,mode=0500 opencode-hidden "$d" ;;',
  '  esac',
  '  shift',
  'done',
  'shift',
  // A private /dev/shm; /dev itself goes read-only with the rest (device
  // nodes stay writable on a read-only mount).
  '[ -d /dev/shm ] && mount -t tmpfs -o size=256m,mode=1777 opencode-shm /dev/shm',
  "awk '{print $5}' /proc/self/mountinfo | while IFS= read -r m; do",
  '  case "$m" in /proc|/proc/*|/sys|/sys/*|/dev/shm|/dev/pts|/dev/mqueue) continue ;; esac',
  '  keep=no',
  '  for w in $OPENCODE_SANDBOX_WRITABLE; do [ "$m" = "$w" ] && keep=yes; done',
  '  [ $keep = yes ] && continue',
  '  mount -o remount,bind,ro "$m" 2>/dev/null || true',
  'done',
  'unset OPENCODE_SANDBOX_WRITABLE',
  'cd "$cwd"',
  'exec sh -c "$1"',
].join('\n');

/** The argv and extra env that run `command` isolated, or plainly when isolation is off. */
export function wrap(
  command: string,
  mounts: SandboxMounts,
  isolation: Isolation,
): { file: string; args: string[]; env: Record<string, string> } {
  if (isolation.kind !== 'namespaces') return { file: 'sh', args: ['-c', command], env: {} };
  const [cwd] = mounts.writable;
  if (!cwd) throw new Error('sandbox: no working directory');
  return {
    file: UNSHARE[0]!,
    args: [
      ...UNSHARE.slice(1),
      'sh',
      '-c',
      SCRIPT,
      'opencode-sandbox',
      cwd,
      ...mounts.writable.map((w) => `+${w}`),
      ...mounts.hidden.map((h) => `-${h}`),
      '--',
      command,
    ],
    // Mount points are compared by path; our paths never hold spaces.
    env: { OPENCODE_SANDBOX_WRITABLE: mounts.writable.join(' ') },
  };
}

let probed: Promise<Isolation> | undefined;

/**
 * Whether namespaces work here: runs the real wrapper once on a throwaway
 * command (cached for the process). OPENCODE_SANDBOX=none turns it off.
 */
export function probeIsolation(scratch: string): Promise<Isolation> {
  if (process.env.OPENCODE_SANDBOX === 'none')
    return Promise.resolve({ kind: 'none', why: 'turned off (OPENCODE_SANDBOX=none)' });
  probed ??= new Promise<Isolation>((resolve) => {
    const w = wrap('true', { writable: [scratch], hidden: [] }, { kind: 'namespaces' });
    const child = spawn(w.file, w.args, {
      cwd: scratch,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...w.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) =>
      resolve({ kind: 'none', why: `unshare is not available: ${e.message}` }),
    );
    child.on('close', (code) =>
      resolve(
        code === 0
          ? { kind: 'namespaces' }
          : {
              kind: 'none',
              why: `user namespaces are not available here (${err.trim().split('\n')[0] || `exit ${code}`})`,
            },
      ),
    );
  });
  return probed;
}

export function describeIsolation(i: Isolation): string {
  if (i.kind === 'container')
    return "container: set-up and tests ran in the Job's test container, with no token, no secret and no view of the runner's clone";
  return i.kind === 'namespaces'
    ? 'namespaces: own PID and mount namespaces, read-only system, runner clone hidden'
    : `none: ${i.why}; the tests ran as a plain process with a scrubbed environment`;
}
