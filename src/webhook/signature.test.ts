import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { signBody, verifySignature } from './signature.ts';

const SECRET = 'webhook-secret-for-tests';
const body = Buffer.from('{"action":"opened"}');
const hex = createHmac('sha256', SECRET).update(body).digest('hex');

describe('verifySignature', () => {
  it('accepts the HMAC of the raw body with the expected prefix', () => {
    expect(signBody(SECRET, body)).toBe(hex);
    expect(verifySignature(SECRET, body, `sha256=${hex}`, 'sha256=')).toBe(true);
    expect(verifySignature(SECRET, body, hex, '')).toBe(true);
    // Hex case is not meaningful.
    expect(verifySignature(SECRET, body, hex.toUpperCase(), '')).toBe(true);
  });

  it('rejects a missing, repeated, unprefixed, truncated, padded or non-hex header', () => {
    expect(verifySignature(SECRET, body, undefined, 'sha256=')).toBe(false);
    expect(verifySignature(SECRET, body, [`sha256=${hex}`], 'sha256=')).toBe(false);
    expect(verifySignature(SECRET, body, hex, 'sha256=')).toBe(false);
    expect(verifySignature(SECRET, body, `sha256=${hex.slice(0, 63)}`, 'sha256=')).toBe(false);
    expect(verifySignature(SECRET, body, `sha256=${hex.slice(0, 32)}`, 'sha256=')).toBe(false);
    expect(verifySignature(SECRET, body, `sha256=${hex}00`, 'sha256=')).toBe(false);
    expect(verifySignature(SECRET, body, `sha256=${hex} `, 'sha256=')).toBe(false);
    expect(verifySignature(SECRET, body, `sha256=${'z'.repeat(64)}`, 'sha256=')).toBe(false);
    expect(verifySignature(SECRET, body, '', '')).toBe(false);
  });

  it('rejects another secret and a body changed after signing', () => {
    expect(verifySignature('another-secret', body, hex, '')).toBe(false);
    expect(verifySignature(SECRET, Buffer.from('{"action":"opened" }'), hex, '')).toBe(false);
  });
});
