import { describe, expect, it } from '@jest/globals';
import { nextCircuit, type CircuitInput } from './circuit-breaker.ts';

const NOW = new Date('2026-12-05T10:00:00Z');
const input = (over: Partial<CircuitInput> = {}): CircuitInput => ({
  target: 'api',
  circuit: undefined,
  consecutiveFailures: 0,
  maxConsecutiveFailures: 3,
  newFailure: false,
  reset: undefined,
  now: NOW,
  ...over,
});

describe('nextCircuit', () => {
  it('opens on the failure that reaches the limit, with a Warning naming how to resume', () => {
    expect(nextCircuit(input({ consecutiveFailures: 2, newFailure: true }))).toBeUndefined();
    const c = nextCircuit(input({ consecutiveFailures: 3, newFailure: true }));
    expect(c?.circuit).toMatchObject({
      open: true,
      reason: 'ConsecutiveFailures',
      openedAt: NOW.toISOString(),
    });
    expect(c?.event).toMatchObject({ type: 'Warning', reason: 'CircuitOpen' });
    expect(c?.event?.message).toContain('kubectl improve resume api');
  });

  it('does not trip without a new failure (a lowered limit waits for the next failure)', () => {
    expect(nextCircuit(input({ consecutiveFailures: 5 }))).toBeUndefined();
  });

  it('stays open on further failures, and a new reset closes it and restarts the count', () => {
    const open = { open: true, reason: 'ConsecutiveFailures' as const, message: 'm' };
    expect(
      nextCircuit(input({ circuit: open, consecutiveFailures: 4, newFailure: true })),
    ).toBeUndefined();
    const closed = nextCircuit(input({ circuit: open, consecutiveFailures: 4, reset: 'r1' }));
    expect(closed).toMatchObject({
      circuit: { open: false, lastReset: 'r1' },
      resetFailures: true,
      event: { type: 'Normal', reason: 'CircuitClosed' },
    });
  });

  it('acts on a reset value once: an old value does not close a later opening', () => {
    const seen = nextCircuit(input({ reset: 'r1' }));
    expect(seen).toEqual({ circuit: { open: false, lastReset: 'r1' }, resetFailures: false });
    const reopened = nextCircuit(
      input({ circuit: seen!.circuit, consecutiveFailures: 3, newFailure: true, reset: 'r1' }),
    );
    expect(reopened?.circuit.open).toBe(true);
    expect(
      nextCircuit(input({ circuit: reopened!.circuit, consecutiveFailures: 3, reset: 'r1' })),
    ).toBeUndefined();
  });
});
