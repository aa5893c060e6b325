// Renders `kubectl improve status` for humans, in the label: value layout of
// `kubectl describe`. Pure: the caller fetches, this formats.
import { ANNOTATION_RUN_REQUESTED_AT } from '../crds/index.ts';
import type { ImprovementRun, ImprovementTarget } from '../controllers/types.ts';
import { humanDuration, type Why } from './why.ts';

const dash = (v: unknown) =>
  v === undefined || v === null || v === '' || v === false ? '-' : String(v);

function age(ts: string | Date | undefined, now: Date): string {
  if (!ts) return '-';
  return humanDuration(now.getTime() - new Date(ts).getTime()).replace(' ', '');
}

/** Left-aligned columns, two spaces apart, as kubectl prints tables. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Newest first: by creation time, then by name (names end in the slot's minute). */
export function sortRuns(runs: ImprovementRun[]): ImprovementRun[] {
  const time = (r: ImprovementRun) => new Date(r.metadata.creationTimestamp ?? 0).getTime();
  return [...runs].sort(
    (a, b) => time(b) - time(a) || b.metadata.name.localeCompare(a.metadata.name),
  );
}

export function runRows(runs: ImprovementRun[], now: Date): string[] {
  if (!runs.length) return ['  <none>'];
  const rows = [['NAME', 'TRIGGER', 'PHASE', 'TYPE', 'PRIORITY', 'PR', 'REASON', 'AGE']];
  for (const r of runs) {
    const s = r.status ?? {};
    rows.push([
      r.metadata.name,
      dash(r.spec.trigger),
      dash(s.phase ?? 'Pending'),
      dash(s.improvement?.type),
      dash(s.improvement?.priority),
      dash(s.pullRequest?.url ?? (s.pullRequest?.number ? `#${s.pullRequest.number}` : '')),
      dash(s.failure?.reason),
      age(r.metadata.creationTimestamp, now),
    ]);
  }
  return table(rows).map((l) => `  ${l}`);
}

export function renderStatus(
  t: ImprovementTarget,
  runs: ImprovementRun[],
  w: Why,
  now: Date,
): string {
  const st = t.status ?? {};
  const spec = t.spec;
  const out: string[] = [];
  const field = (label: string, value: unknown) =>
    out.push(`${`${label}:`.padEnd(18)}${dash(value)}`);

  field('Name', t.metadata.name);
  field('Namespace', t.metadata.namespace);
  field('Repository', `${spec.repository.url} (${spec.repository.provider ?? 'github'})`);
  if (spec.branches)
    field(
      'Branches',
      `${spec.branches.work} -> ${spec.branches.main} (strategy ${spec.branches.strategy})`,
    );
  field('Schedule', `${spec.schedule} (${spec.timeZone ?? 'Etc/UTC'})`);
  field('Suspended', spec.suspend ?? false);
  for (const w of st.awaitingApproval ?? [])
    field(
      'Awaiting approval',
      `pull request #${w.pullRequest} (run ${w.run})${w.url ? ` ${w.url}` : ''}`,
    );
  if (st.circuit?.open)
    field('Circuit', `open since ${st.circuit.openedAt ?? '?'}: ${st.circuit.message ?? ''}`);
  field('Phase', st.phase ?? 'Unknown');
  field(w.acting ? 'Acting' : 'Not acting', w.line);
  const gen = t.metadata.generation;
  if (gen !== undefined && st.observedGeneration !== undefined && st.observedGeneration < gen)
    field(
      'Observed',
      `generation ${st.observedGeneration} of ${gen}: the operator has not caught up`,
    );

  out.push('Conditions:');
  if (!st.conditions?.length) out.push('  <none>');
  else
    out.push(
      ...table([
        ['TYPE', 'STATUS', 'REASON', 'MESSAGE'],
        ...st.conditions.map((c) => [c.type, c.status, c.reason, c.message]),
      ]).map((l) => `  ${l}`),
    );

  field('Next run', st.nextScheduleTime);
  field('Last scheduled', st.lastScheduleTime);
  field('Last successful', st.lastSuccessfulTime);
  if (st.activeRuns?.length) field('Active runs', st.activeRuns.join(', '));
  const lr = st.lastRun;
  field(
    'Last run',
    lr &&
      [
        lr.name,
        lr.result,
        lr.improvementType,
        lr.commit?.slice(0, 12),
        lr.pullRequestUrl,
        lr.completionTime && `at ${lr.completionTime}`,
      ]
        .filter(Boolean)
        .join('  '),
  );
  const n = st.totals;
  field(
    'Totals',
    n &&
      `runs ${n.runs}, succeeded ${n.succeeded}, failed ${n.failed}, no change ${n.noChange}, merged ${n.merged}, reverted ${n.reverted}`,
  );
  const cov = st.coverage;
  field(
    'Coverage',
    cov?.current !== undefined &&
      `${cov.current}%${cov.previous !== undefined ? ` (previous ${cov.previous}%)` : ''}`,
  );
  const q = st.quality;
  field(
    'Quality',
    q?.current !== undefined &&
      `${q.current} findings${q.previous !== undefined ? ` (previous ${q.previous})` : ''}`,
  );
  const sec = st.security;
  field(
    'Security',
    sec &&
      `${
        Object.entries(sec.findings)
          .filter(([, n]) => n > 0)
          .map(([severity, n]) => `${n} ${severity}`)
          .join(', ') || 'no known vulnerable dependencies'
      } (${sec.scanner}, run ${sec.run})`,
  );
  const runsSoFar = st.totals?.runs ?? 0;
  field(
    'Yield by type',
    !!st.yields?.length &&
      st.yields
        .map(
          (y) =>
            `${y.type} ${y.kept - y.reverted}/${y.attempts}${
              y.backoffUntilRun !== undefined && runsSoFar < y.backoffUntilRun
                ? ` (backing off until run ${y.backoffUntilRun})`
                : ''
            }`,
        )
        .join(', '),
  );
  field('Open PRs', st.openPullRequests ?? 0);
  const requested = t.metadata.annotations?.[ANNOTATION_RUN_REQUESTED_AT];
  field(
    'Run request',
    (requested || st.lastHandledRunRequest) &&
      `requested ${dash(requested)}, last handled ${dash(st.lastHandledRunRequest)}`,
  );
  const rb = st.rollback;
  const asked = spec.rollback;
  const mode = asked?.commit
    ? `commit ${asked.commit}`
    : asked?.run
      ? `run ${asked.run}`
      : asked?.resetWorkBranch
        ? 'reset work branch'
        : '';
  field(
    'Rollback',
    (asked || rb) &&
      [
        asked && `requested id ${asked.id} (${mode})`,
        rb?.lastHandledId &&
          `last handled id ${rb.lastHandledId}: ${dash(rb.result)}${rb.time ? ` at ${rb.time}` : ''}${rb.message ? `: ${rb.message}` : ''}`,
      ]
        .filter(Boolean)
        .join('; '),
  );
  out.push(`Recent runs:`);
  out.push(...runRows(runs, now));
  return `${out.join('\n')}\n`;
}
