// Debian packages the integration suites use as real tools (promtool and the
// Prometheus server, from Debian's prometheus package): installed by the
// global setup when missing, so `npm test` alone works on a fresh machine,
// not only through .ci/run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const onPath = (cmd: string) =>
  spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Installs `pkg` with apt-get when `command` is not on PATH; throws with what to do otherwise. */
export function ensureDebianPackage(
  pkg: string,
  command: string,
  log: (m: string) => void,
  after: string[] = [],
): void {
  ensureDebianPackages([{ pkg, command }], log, after);
}

/**
 * Installs, in one apt-get run, every package of `wanted` whose `command`
 * (a name on PATH or an absolute path) is missing; throws with what to do
 * when it cannot (not root, no apt-get).
 */
export function ensureDebianPackages(
  wanted: { pkg: string; command: string }[],
  log: (m: string) => void,
  after: string[] = [],
): void {
  const missing = wanted.filter(({ command }) =>
    command.startsWith('/') ? !existsSync(command) : !onPath(command),
  );
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))];
  const what = missing.map((m) => m.command).join(', ');
  if (process.getuid?.() !== 0 || !onPath('apt-get'))
    throw new Error(
      `${what} missing: install Debian's ${pkgs.join(' ')} (apt-get install ${pkgs.join(' ')}) and run the tests again`,
    );
  log(`installing Debian's ${pkgs.join(' ')} for ${what} (once)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...pkgs],
  ]) {
    const r = spawnSync('apt-get', args, { env, encoding: 'utf8' });
    if (r.status !== 0)
      throw new Error(`apt-get ${args.join(' ')} failed: ${(r.stderr || r.stdout).slice(-2000)}`);
  }
  // Packages that start a service on install (prometheus does): the suites start their own.
  for (const cmd of after) spawnSync('sh', ['-c', cmd], { stdio: 'ignore' });
}
