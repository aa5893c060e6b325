// The one-line answer to "why is this target (not) doing anything?", read
// from what the operator wrote into status plus what the user asked for in
// spec and annotations. Ordered by what blocks what: a Stalled spec blocks
// everything, a started run finishes even while suspended, and a run request
// is honoured while suspended.
import { ANNOTATION_RUN_REQUESTED_AT } from '../crds/index.ts';
import type { ImprovementTarget } from '../controllers/types.ts';

export type Activity =
  | 'stalled'
  | 'running'
  | 'run-requested'
  | 'rollback-requested'
  | 'suspended'
  | 'not-reconciled'
  | 'waiting'
  | 'no-slot';

export interface Why {
  activity: Activity;
  /** True when the operator is doing or about to do something for this target. */
  acting: boolean;
  line: string;
}

/** "3h 12m", "45s": coarse, for humans. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return h ? `${d}d ${h}h` : `${d}d`;
  if (h) return m ? `${h}h ${m}m` : `${h}h`;
  if (m) return `${m}m`;
  return `${s}s`;
}

export function why(t: ImprovementTarget, now: Date): Why {
  const st = t.status ?? {};
  const conditions = st.conditions ?? [];
  const stalled = conditions.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled)
    return {
      activity: 'stalled',
      acting: false,
      line: `stalled (${stalled.reason}): ${stalled.message}`,
    };

  const active = st.activeRuns ?? [];
  const running = conditions.find((c) => c.type === 'Running' && c.status === 'True');
  if (active.length || running) {
    const names = active.length ? active.join(', ') : (running?.message ?? '');
    const after = t.spec.suspend ? '; suspended, so no new run starts after it' : '';
    return {
      activity: 'running',
      acting: true,
      line: `a run is active${names ? `: ${names}` : ''}${after}`,
    };
  }

  const requested = t.metadata.annotations?.[ANNOTATION_RUN_REQUESTED_AT];
  if (requested && requested !== st.lastHandledRunRequest)
    return {
      activity: 'run-requested',
      acting: true,
      line: `a run request (${requested}) is pending: the operator starts it on its next reconcile`,
    };

  const rollback = t.spec.rollback;
  if (rollback && rollback.id !== st.rollback?.lastHandledId)
    return {
      activity: 'rollback-requested',
      acting: true,
      line: `a rollback (id ${rollback.id}) is pending: the operator starts it on its next reconcile`,
    };

  if (t.spec.suspend)
    return {
      activity: 'suspended',
      acting: false,
      line: `suspended: no scheduled runs until resumed (kubectl improve resume ${t.metadata.name}); a run request still starts one`,
    };

  if (!t.status || (st.observedGeneration === undefined && !st.phase))
    return {
      activity: 'not-reconciled',
      acting: false,
      line: 'not reconciled yet: is the operator running and watching this namespace?',
    };

  if (st.nextScheduleTime) {
    const next = new Date(st.nextScheduleTime);
    const delta = next.getTime() - now.getTime();
    const when = delta >= 0 ? `in ${humanDuration(delta)}` : `${humanDuration(-delta)} ago`;
    return {
      activity: 'waiting',
      acting: false,
      line: `waiting for the next slot at ${st.nextScheduleTime} (${when})`,
    };
  }
  return {
    activity: 'no-slot',
    acting: false,
    line: 'idle: the schedule has no upcoming slot',
  };
}
