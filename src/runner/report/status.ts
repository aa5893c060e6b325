// Writes the run's progress and outcome into ImprovementRun.status with a
// JSON merge patch on the status subresource: the runner's only write to the
// cluster, and all its RBAC allows (patch improvementruns/status in its
// namespace; no get or list).
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { GROUP, RUN, VERSION, type ImprovementRunStatus } from '../../crds/index.ts';
import { secrets } from '../../util/logger.ts';
import type { RunOutcome } from '../outcome.ts';

export interface StatusTarget {
  namespace: string;
  name: string;
}

/** The status fields of an outcome (runner-only fields such as coverage stay out). */
export function outcomeStatus(o: RunOutcome, completionTime: Date): ImprovementRunStatus {
  const status: ImprovementRunStatus = {
    phase: o.phase,
    completionTime: completionTime.toISOString(),
    branch: o.branch,
  };
  if (o.improvement) status.improvement = o.improvement;
  if (o.tests) status.tests = o.tests;
  if (o.commit) status.commit = o.commit;
  if (o.pullRequest) status.pullRequest = o.pullRequest;
  if (o.failure) status.failure = o.failure;
  if (o.questionIssue) status.questionIssue = o.questionIssue;
  if (o.policy) status.policy = o.policy;
  if (o.quality) status.quality = o.quality;
  if (o.security) status.security = o.security;
  if (o.risk) status.risk = o.risk;
  return JSON.parse(secrets.redact(JSON.stringify(status))) as ImprovementRunStatus;
}

export class StatusWriter {
  private readonly api: CustomObjectsApi;
  private readonly target: StatusTarget;

  constructor(kc: KubeConfig, target: StatusTarget) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.target = target;
  }

  async patch(status: ImprovementRunStatus): Promise<void> {
    await this.api.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: this.target.namespace,
        plural: RUN.plural,
        name: this.target.name,
        body: { status },
      },
      // Merge patch: only the fields we name change; the operator's fields stay.
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  started(at: Date): Promise<void> {
    return this.patch({ phase: 'Running', startTime: at.toISOString() });
  }

  finished(outcome: RunOutcome, at: Date): Promise<void> {
    return this.patch(outcomeStatus(outcome, at));
  }
}

/** The one JSON line on stdout that carries the outcome. */
export function outcomeLine(o: RunOutcome): string {
  return secrets.redact(JSON.stringify(o));
}
