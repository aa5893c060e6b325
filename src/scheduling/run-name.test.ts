import { describe, expect, test } from '@jest/globals';
import { requestedRunName, scheduledRunName } from './run-name.ts';

describe('run names', () => {
  test('a scheduled run is named <target>-<slot unix minutes>', () => {
    expect(scheduledRunName('api-server', new Date('2025-11-01T08:00:00Z'))).toBe(
      'api-server-29366400',
    );
  });

  test('the same slot always gives the same name; another slot another', () => {
    const a = scheduledRunName('x', new Date('2026-01-01T00:00:30Z'));
    expect(scheduledRunName('x', new Date('2026-01-01T00:00:00Z'))).toBe(a);
    expect(scheduledRunName('x', new Date('2026-01-01T00:01:00Z'))).not.toBe(a);
  });

  test('long target names are shortened with a hash, within 63 characters, still distinct', () => {
    const slot = new Date('2026-01-01T00:00:00Z');
    const a = scheduledRunName('a'.repeat(80) + '-one', slot);
    const b = scheduledRunName('a'.repeat(80) + '-two', slot);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });

  test('requested runs are keyed by their request', () => {
    expect(requestedRunName('x', 'manual', '2026-11-21T10:00')).toBe(
      requestedRunName('x', 'manual', '2026-11-21T10:00'),
    );
    expect(requestedRunName('x', 'manual', 'a')).not.toBe(requestedRunName('x', 'manual', 'b'));
    expect(requestedRunName('x', 'rollback', 'a')).toMatch(/^x-r[0-9a-f]{8}$/);
  });
});
