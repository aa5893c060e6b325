// HMAC-SHA256 webhook signatures, checked over the raw request bytes before
// anything parses them. GitHub sends `sha256=<hex>`, Gitea the bare hex.
import { createHmac, timingSafeEqual } from 'node:crypto';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/** The hex HMAC-SHA256 of `body` under `secret` (what a forge puts in its header). */
export function signBody(secret: string, body: Buffer | string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * True only when `header` is exactly `prefix` + 64 hex digits and those
 * digits are the HMAC of `body`. Missing, truncated, padded or non-hex
 * headers are false; the comparison is constant-time over the digest bytes.
 */
export function verifySignature(
  secret: string,
  body: Buffer,
  header: string | string[] | undefined,
  prefix: string,
): boolean {
  // A repeated header is ambiguous: refuse rather than pick one.
  if (typeof header !== 'string' || !header.startsWith(prefix)) return false;
  const hex = header.slice(prefix.length);
  if (!HEX_SHA256.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
