// The circuit breaker (Argo CronWorkflow's stopStrategy): after
// policy.maxConsecutiveFailures failed runs in a row the target stops
// starting runs by itself, until a human resumes it. The count is the
// operator's own (status.consecutiveFailures), whatever the strategy, never
// a file on a branch the runner writes. Pure: the reconciler applies it.
import type { ImprovementTargetStatus } from '../crds/index.ts';

export type Circuit = NonNullable<ImprovementTargetStatus['circuit']>;

export interface CircuitInput {
  target: string;
  circuit: Circuit | undefined;
  consecutiveFailures: number;
  maxConsecutiveFailures: number;
  /** A run newly counted in this pass failed (the breaker trips on a failure, not on a lowered limit). */
  newFailure: boolean;
  /** The circuit-reset annotation's value, if any. */
  reset: string | undefined;
  now: Date;
}

export interface CircuitChange {
  circuit: Circuit;
  /** The failure count starts again (the circuit was closed by a human). */
  resetFailures: boolean;
  event?: { type: 'Normal' | 'Warning'; reason: 'CircuitOpen' | 'CircuitClosed'; message: string };
}

/** The breaker's next state, or undefined when nothing changes. */
export function nextCircuit(i: CircuitInput): CircuitChange | undefined {
  const circuit: Circuit = i.circuit ?? { open: false };
  if (i.reset && i.reset !== circuit.lastReset) {
    // A reset is acted on once, open or not, so an old value never closes a later opening.
    if (!circuit.open) return { circuit: { ...circuit, lastReset: i.reset }, resetFailures: false };
    return {
      circuit: { open: false, lastReset: i.reset },
      resetFailures: true,
      event: {
        type: 'Normal',
        reason: 'CircuitClosed',
        message: `resumed (circuit-reset ${i.reset}): runs start again, and the failure count with them`,
      },
    };
  }
  if (circuit.open || !i.newFailure || i.consecutiveFailures < i.maxConsecutiveFailures)
    return undefined;
  const message = `${i.consecutiveFailures} runs failed in a row (policy.maxConsecutiveFailures: ${i.maxConsecutiveFailures}): no new run starts until \`kubectl improve resume ${i.target}\``;
  return {
    circuit: {
      ...circuit,
      open: true,
      reason: 'ConsecutiveFailures',
      message,
      openedAt: i.now.toISOString(),
    },
    resetFailures: false,
    event: { type: 'Warning', reason: 'CircuitOpen', message },
  };
}
