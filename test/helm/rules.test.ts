// The PrometheusRule's groups through the real Prometheus tools: `promtool
// check rules` (syntax, PromQL, templates) with default and full values, and
// `promtool test rules` proving each alert fires on the series the operator
// exports and stays quiet otherwise.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { stringify } from 'yaml';
import { FIXTURES, find, objects, renderChart, run, useHelm } from './support.ts';

useHelm();

const dir = mkdtempSync(join(tmpdir(), 'opencode-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rulesFile(name: string, opts: Parameters<typeof renderChart>[2]) {
  const objs = objects(await renderChart('opencode-operator', 'opencode-system', opts));
  const rule = find(objs, 'PrometheusRule');
  const file = join(dir, name);
  // A Prometheus rules file is the PrometheusRule's spec.
  writeFileSync(file, stringify(rule.spec));
  return { file, groups: rule.spec.groups as { name: string; rules: any[] }[] };
}

describe('alert rules', () => {
  test('promtool check rules passes with default thresholds', async () => {
    const { file, groups } = await rulesFile('rules.yaml', {
      set: ['prometheusRule.enabled=true'],
    });
    const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
    expect(alerts).toEqual([
      'OpencodeApprovalWaiting',
      'OpencodeAutoRevert',
      'OpencodeCircuitOpen',
      'OpencodeConsecutiveRunFailures',
      'OpencodeNoSuccessfulRun',
      'OpencodeOperatorDown',
      'OpencodeOperatorNoLeader',
      'OpencodeOperatorSeveralLeaders',
      'OpencodeTargetStalled',
    ]);
    const r = await run('promtool', ['check', 'rules', file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('SUCCESS: 9 rules found');
  });

  test('promtool check rules passes with every value set', async () => {
    const { file } = await rulesFile('rules-full.yaml', {
      valuesFile: join(FIXTURES, 'values-full.yaml'),
    });
    const r = await run('promtool', ['check', 'rules', file]);
    expect(r.stdout).toContain('SUCCESS: 9 rules found');
  });

  test('promtool test rules: each alert fires when it should and only then', async () => {
    await rulesFile('rules.yaml', { set: ['prometheusRule.enabled=true'] });
    copyFileSync(join(FIXTURES, 'alerts.promtest.yaml'), join(dir, 'alerts.promtest.yaml'));
    const r = await run('promtool', ['test', 'rules', join(dir, 'alerts.promtest.yaml')]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });
});
