// One real node per machine: it owns kube-proxy's chains and some machine-wide
// sysctls. Test files in other Jest workers, and the demo, wait here.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK = '/run/opencode-real-node.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for the machine's real node to be free (a dead holder's lock is taken over); returns the release. */
export async function lockRealNode(
  timeoutMs: number,
  onWait?: (pid: number) => void,
): Promise<() => void> {
  const until = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(`${LOCK}/pid`, String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(`${LOCK}/pid`, { encoding: 'utf8', flag: 'a+' }) || 0);
      if (owner && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > until)
        throw new Error(`the real node is still held by pid ${owner}`, { cause: err });
      else {
        if (!told) onWait?.(owner);
        told = true;
        await sleep(1000);
      }
    }
  }
}
