// The pass's summary: active runs, approvals waiting, conditions, phase and
// the per-target gauges.
import type { ImprovementTargetStatus } from '../../crds/index.ts';
import { CONDITION, REASON, setCondition } from '../conditions.ts';
import { activeRuns, paused, type Ctx, type TargetEnv } from './context.ts';

export async function summarise(env: TargetEnv, ctx: Ctx): Promise<void> {
  const { target, status, now } = ctx;
  const gen = target.metadata.generation;
  const labels = { namespace: target.metadata.namespace!, target: target.metadata.name };
  const active = activeRuns(ctx)
    .map((r) => r.metadata.name)
    .sort();
  status.activeRuns = active.slice(0, 16);
  if (!active.length) delete status.activeRuns;
  const waiting = new Map<
    number,
    NonNullable<ImprovementTargetStatus['awaitingApproval']>[number]
  >();
  for (const r of ctx.runs) {
    const pr = r.status?.pullRequest;
    if (
      pr?.number &&
      !pr.merged &&
      pr.gate?.state === 'AwaitingApproval' &&
      !waiting.has(pr.number)
    )
      waiting.set(pr.number, {
        run: r.metadata.name,
        pullRequest: pr.number,
        ...(pr.url ? { url: pr.url } : {}),
        ...(pr.gate.lastTransitionTime ? { since: pr.gate.lastTransitionTime } : {}),
      });
  }
  status.awaitingApproval = [...waiting.values()].slice(0, 16);
  if (!waiting.size) delete status.awaitingApproval;
  let c = status.conditions;
  if (ctx.stalled) {
    c = setCondition(c, { type: CONDITION.Stalled, status: 'True', ...ctx.stalled }, now, gen);
    c = setCondition(c, { type: CONDITION.Ready, status: 'False', ...ctx.stalled }, now, gen);
    if (
      ctx.prior?.conditions?.find((x) => x.type === CONDITION.Stalled)?.message !==
      ctx.stalled.message
    ) {
      void env.d.recorder.event(target, 'Warning', ctx.stalled.reason, ctx.stalled.message);
    }
  } else {
    c = setCondition(c, { type: CONDITION.Stalled, reason: '', message: '' }, now);
    c = status.circuit?.open
      ? setCondition(
          c,
          {
            type: CONDITION.Ready,
            status: 'True',
            reason: REASON.CircuitOpen,
            message: status.circuit.message ?? 'the circuit breaker is open',
          },
          now,
          gen,
        )
      : target.spec.suspend
        ? setCondition(
            c,
            {
              type: CONDITION.Ready,
              status: 'True',
              reason: REASON.Suspended,
              message: 'suspended: no new scheduled runs (spec.suspend)',
            },
            now,
            gen,
          )
        : setCondition(
            c,
            {
              type: CONDITION.Ready,
              status: 'True',
              reason: REASON.Scheduled,
              message: status.nextScheduleTime
                ? `next run ${status.nextScheduleTime}`
                : 'no upcoming slot',
            },
            now,
            gen,
          );
  }
  c = setCondition(
    c,
    status.circuit?.open
      ? {
          type: CONDITION.Suspended,
          status: 'True',
          reason: REASON.CircuitOpen,
          message: status.circuit.message ?? 'the circuit breaker is open',
        }
      : target.spec.suspend
        ? {
            type: CONDITION.Suspended,
            status: 'True',
            reason: REASON.Suspended,
            message: 'spec.suspend is true',
          }
        : {
            type: CONDITION.Suspended,
            status: 'False',
            reason: REASON.NotSuspended,
            message: 'runs start on schedule',
          },
    now,
    gen,
  );
  c = setCondition(
    c,
    active.length
      ? {
          type: CONDITION.Running,
          status: 'True',
          reason: REASON.RunActive,
          message: `active: ${active.join(', ')}`,
        }
      : {
          type: CONDITION.Running,
          status: 'False',
          reason: REASON.Idle,
          message: 'no run is active',
        },
    now,
    gen,
  );
  status.conditions = c;
  status.phase = ctx.stalled
    ? 'Stalled'
    : active.length
      ? 'Running'
      : paused(ctx)
        ? 'Suspended'
        : 'Idle';
  status.observedGeneration = gen;
  env.d.metrics.suspended.set(labels, paused(ctx) ? 1 : 0);
  env.d.metrics.circuitOpen.set(labels, status.circuit?.open ? 1 : 0);
  env.d.metrics.approvalsWaiting.set(labels, waiting.size);
  // A counter series from 0, so increase() (and the alert) sees the first revert.
  env.d.metrics.autoReverts.inc(labels, 0);
  env.d.metrics.stalled.set(labels, ctx.stalled ? 1 : 0);
  env.d.metrics.consecutiveFailures.set(labels, status.consecutiveFailures ?? 0);
  if (status.coverage?.current !== undefined)
    env.d.metrics.coverage.set(labels, status.coverage.current);
  if (status.quality?.current !== undefined)
    env.d.metrics.qualityFindings.set(labels, status.quality.current);
  for (const [severity, n] of Object.entries(status.security?.findings ?? {}))
    env.d.metrics.securityFindings.set({ ...labels, severity }, n);
  if (status.lastSuccessfulTime)
    env.d.metrics.lastSuccess.set(labels, Date.parse(status.lastSuccessfulTime) / 1000);
  if (status.openPullRequests !== undefined)
    env.d.metrics.openPullRequests.set(labels, status.openPullRequests);
}
