// status: the target, its recent runs and why it is or is not acting.
import { stringify } from 'yaml';
import type { ImprovementRun, ImprovementTarget } from '../controllers/types.ts';
import type { PluginClient } from './kube.ts';
import { renderStatus, sortRuns } from './status-text.ts';
import { why, type Why } from './why.ts';

export const OUTPUT_FORMATS = ['text', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface StatusReport {
  target: ImprovementTarget;
  runs: ImprovementRun[];
  why: Why;
}

export async function statusReport(
  client: PluginClient,
  name: string,
  limit: number,
  now: Date,
): Promise<StatusReport> {
  const target = await client.getTarget(name);
  const runs = sortRuns(await client.listRuns(name)).slice(0, limit);
  return { target, runs, why: why(target, now) };
}

export function formatStatus(r: StatusReport, format: OutputFormat, now: Date): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  if (format === 'yaml') return stringify(r);
  return renderStatus(r.target, r.runs, r.why, now);
}
