// The circuit breaker step (the rule is in ../circuit-breaker.ts), and
// opening it for self-heal.
import { ANNOTATION_CIRCUIT_RESET } from '../../crds/index.ts';
import { nextCircuit } from '../circuit-breaker.ts';
import { REASON } from '../conditions.ts';
import { note, type Ctx, type TargetEnv } from './context.ts';

export async function circuitBreaker(env: TargetEnv, ctx: Ctx): Promise<void> {
  const { target, status } = ctx;
  const change = nextCircuit({
    target: target.metadata.name,
    circuit: status.circuit,
    consecutiveFailures: status.consecutiveFailures ?? 0,
    maxConsecutiveFailures: target.spec.policy?.maxConsecutiveFailures ?? 3,
    newFailure: ctx.newlyCounted.some((r) => r.status?.phase === 'Failed'),
    reset: target.metadata.annotations?.[ANNOTATION_CIRCUIT_RESET],
    now: ctx.now,
  });
  if (!change) return;
  status.circuit = change.circuit;
  if (change.resetFailures) status.consecutiveFailures = 0;
  ctx.mustWrite = true;
  if (change.event)
    void env.d.recorder.event(target, change.event.type, change.event.reason, change.event.message);
  if (change.event?.reason === 'CircuitOpen')
    ctx.notifications.push(
      note(ctx, 'CircuitOpen', 'warning', change.event.message, {
        id: change.circuit.openedAt,
      }),
    );
}

export function openCircuit(env: TargetEnv, ctx: Ctx, message: string): void {
  if (ctx.status.circuit?.open) return;
  const openedAt = ctx.now.toISOString();
  ctx.status.circuit = {
    ...ctx.status.circuit,
    open: true,
    reason: 'AutoRevert',
    message: message.slice(0, 1024),
    openedAt,
  };
  ctx.mustWrite = true;
  void env.d.recorder.event(ctx.target, 'Warning', REASON.CircuitOpen, message);
  ctx.notifications.push(note(ctx, 'CircuitOpen', 'warning', message, { id: openedAt }));
}
