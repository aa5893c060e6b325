// The RunCreated Event, on the target, once per run whoever records it: its
// id names the Event, so a second process finds it there. The target
// reconciler records it when it creates or adopts a run; the run reconciler
// records it again for runs created shortly before this process saw them,
// because a creator killed between creating a run and writing its Event
// (Events are written behind the reconciles) leaves no other trace of the gap.
import type { Recorder } from '../kube/events.ts';
import { REASON } from './conditions.ts';
import type { ImprovementTarget } from './types.ts';

/** Runs created this recently are announced again by a process that had not seen them. */
export const ANNOUNCE_WINDOW_MS = 2 * 60_000;

export function announceRunCreated(
  recorder: Recorder,
  target: ImprovementTarget,
  run: string,
  trigger: string,
): void {
  void recorder.event(target, 'Normal', REASON.RunCreated, `created run ${run} (${trigger})`, {
    id: `${REASON.RunCreated}/${run}`,
  });
}
