// Hashed schedule fields, as Jenkins has them: `H` stands for one value of
// the field chosen by a stable hash of the target's name. A fleet written
// on one line (`H 8 * * *`) then spreads over the hour instead of every
// target firing in the same second, and each target keeps its minute
// across restarts and replicas because only its name decides it.
//
//   H          any value of the field
//   H(a-b)     a value in a..b
//   H/n        every n, starting at a hashed offset below n
//   H(a-b)/n   every n within a..b, from a hashed offset
import { createHash } from 'node:crypto';

/** Inclusive bounds per field. Day of month stops at 28 so every month has the day. */
const FIELDS = [
  { name: 'minute', lo: 0, hi: 59 },
  { name: 'hour', lo: 0, hi: 23 },
  { name: 'day of month', lo: 1, hi: 28 },
  { name: 'month', lo: 1, hi: 12 },
  { name: 'day of week', lo: 0, hi: 6 },
] as const;

const TOKEN = /^H(?:\((\d+)-(\d+)\))?(?:\/(\d+))?$/;

export class HashedScheduleError extends Error {}

/** A stable non-negative integer for (seed, field): the same on every machine and every start. */
function hashOf(seed: string, field: number): number {
  return createHash('sha256').update(`${seed}\0${field}`).digest().readUIntBE(0, 6);
}

export const isHashed = (expr: string) => /(^|[\s,])H/.test(expr.trim());

/**
 * Replaces every H token in a 5-field cron by the values `seed` hashes to.
 * Expressions without H come back unchanged; a malformed H token throws a
 * HashedScheduleError that names the field.
 */
export function resolveHashed(expr: string, seed: string): string {
  const trimmed = expr.trim();
  if (!isHashed(trimmed) || trimmed.startsWith('@')) return expr;
  const fields = trimmed.split(/\s+/);
  if (fields.length !== FIELDS.length) return expr; // the parser explains the field count
  return fields
    .map((field, i) =>
      field
        .split(',')
        .map((part) => (part.startsWith('H') ? resolveToken(part, i, seed) : part))
        .join(','),
    )
    .join(' ');
}

function resolveToken(token: string, index: number, seed: string): string {
  const f = FIELDS[index]!;
  const m = TOKEN.exec(token);
  if (!m) throw new HashedScheduleError(`${f.name} "${token}": write H, H(a-b), H/n or H(a-b)/n`);
  const lo = m[1] === undefined ? f.lo : Number(m[1]);
  const hi = m[2] === undefined ? f.hi : Number(m[2]);
  if (lo < f.lo || hi > f.hi || lo > hi)
    throw new HashedScheduleError(
      `${f.name} "${token}": the range must lie within ${f.lo}-${f.hi}, low end first`,
    );
  const h = hashOf(seed, index);
  if (m[3] === undefined) return String(lo + (h % (hi - lo + 1)));
  const step = Number(m[3]);
  if (step < 1 || step > hi - lo + 1)
    throw new HashedScheduleError(`${f.name} "${token}": the step must be 1-${hi - lo + 1}`);
  return `${lo + (h % step)}-${hi}/${step}`;
}
