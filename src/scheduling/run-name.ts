// Deterministic run names, so that a restarted operator or a second replica
// can never run one slot twice: creating the same name again fails with
// AlreadyExists, and that is the lock.
import { createHash } from 'node:crypto';

/** Job names are also pod label values: at most 63 characters. */
const MAX = 63;

function fit(prefix: string, suffix: string): string {
  const room = MAX - suffix.length - 1;
  if (prefix.length <= room) return `${prefix}-${suffix}`;
  const hash = createHash('sha256').update(prefix).digest('hex').slice(0, 6);
  return `${prefix.slice(0, room - 7).replace(/[-.]+$/, '')}-${hash}-${suffix}`;
}

/** `<target>-<slot in unix minutes>`, as the CronJob controller names Jobs. */
export function scheduledRunName(target: string, slot: Date): string {
  return fit(target, String(Math.floor(slot.getTime() / 60000)));
}

/** A run for a specific request (run-now annotation value, issue, rollback id). */
export function requestedRunName(
  target: string,
  kind: 'manual' | 'issue' | 'rollback',
  key: string,
): string {
  const h = createHash('sha256').update(key).digest('hex').slice(0, 8);
  const letter = { manual: 'm', issue: 'i', rollback: 'r' }[kind];
  return fit(target, `${letter}${h}`);
}
