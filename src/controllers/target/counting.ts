// Finished runs into the target's totals (exactly once), history pruning,
// and what follows a saved count: labels, metrics, Events, notifications.
import { isNotFound } from '../../kube/api.ts';
import { account, LABEL_COUNTED, LABEL_MERGE_COUNTED, runsToPrune } from '../accounting.ts';
import { REASON } from '../conditions.ts';
import { note, type Ctx, type TargetEnv } from './context.ts';

export async function accountRuns(env: TargetEnv, ctx: Ctx): Promise<void> {
  const res = account(ctx.status, ctx.runs);
  ctx.status = res.status;
  ctx.newlyCounted = res.newlyCounted;
  ctx.newlyMerged = res.newlyMerged;
}

export async function prune(env: TargetEnv, ctx: Ctx): Promise<void> {
  const { spec, metadata } = ctx.target;
  const victims = runsToPrune(ctx.runs, ctx.prior, {
    successful: spec.successfulRunsHistoryLimit ?? 3,
    failed: spec.failedRunsHistoryLimit ?? 3,
  });
  for (const run of victims) {
    await env.d.api
      .deleteCustom('improvementruns', metadata.namespace!, run.metadata.name)
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
  }
}

/** After the counts are saved: label the runs, emit their Events and metrics. */
export async function afterCounted(env: TargetEnv, ctx: Ctx): Promise<void> {
  const labels = { namespace: ctx.target.metadata.namespace!, target: ctx.target.metadata.name };
  for (const run of ctx.newlyMerged) {
    await env.d.api
      .patchCustom('improvementruns', run.metadata.namespace!, run.metadata.name, {
        metadata: { labels: { [LABEL_MERGE_COUNTED]: 'true' } },
      })
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    const pr = run.status!.pullRequest!;
    const committed = Date.parse(run.status?.completionTime ?? '');
    if (pr.mergedAt && committed)
      env.d.metrics.timeToMain.observe(
        labels,
        Math.max(0, (Date.parse(pr.mergedAt) - committed) / 1000),
      );
    void env.d.recorder.event(
      ctx.target,
      'Normal',
      REASON.PullRequestMerged,
      `pull request ${pr.url ?? `#${pr.number}`} of run ${run.metadata.name} reached ${ctx.target.spec.branches?.main ?? 'main'}`,
    );
  }
  for (const run of ctx.newlyCounted) {
    const s = run.status!;
    await env.d.api
      .patchCustom('improvementruns', run.metadata.namespace!, run.metadata.name, {
        metadata: { labels: { [LABEL_COUNTED]: 'true' } },
      })
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    const result =
      s.phase === 'Succeeded' ? 'succeeded' : s.phase === 'NoChange' ? 'no_change' : 'failed';
    env.d.metrics.runsTotal.inc({ ...labels, result });
    if (s.phase === 'Succeeded' && s.improvement)
      env.d.metrics.improvementsTotal.inc({
        ...labels,
        type: s.improvement.type,
        priority: s.improvement.priority,
      });
    if (s.startTime && s.completionTime)
      env.d.metrics.runDuration.observe(
        labels,
        Math.max(0, (Date.parse(s.completionTime) - Date.parse(s.startTime)) / 1000),
      );
    const reason =
      s.phase === 'Succeeded'
        ? REASON.RunSucceeded
        : s.phase === 'NoChange'
          ? REASON.RunNoChange
          : REASON.RunFailed;
    const detail = s.failure
      ? `${s.failure.reason}: ${s.failure.message}`
      : s.improvement
        ? `${s.improvement.priority} ${s.improvement.type}: ${s.improvement.title}`
        : (s.phase ?? '');
    void env.d.recorder.event(
      ctx.target,
      s.phase === 'Failed' ? 'Warning' : 'Normal',
      reason,
      `run ${run.metadata.name}: ${detail}`,
    );
    if (s.phase === 'Failed')
      ctx.notifications.push(note(ctx, 'RunFailed', 'warning', detail, { run: run.metadata.name }));
    if (s.questionIssue)
      ctx.notifications.push(
        note(
          ctx,
          'QuestionIssueOpened',
          'warning',
          `run ${run.metadata.name} asked a human in issue #${s.questionIssue.number}`,
          {
            id: String(s.questionIssue.number),
            run: run.metadata.name,
            url: s.questionIssue.url,
          },
        ),
      );
  }
  const last = ctx.newlyCounted.at(-1);
  const streak = ctx.status.consecutiveFailures ?? 0;
  if (last?.status?.phase === 'Failed' && streak >= 2)
    ctx.notifications.push(
      note(
        ctx,
        'RepeatedFailures',
        'warning',
        `${streak} runs failed in a row; the last: ${last.metadata.name}`,
        {
          run: last.metadata.name,
        },
      ),
    );
}
