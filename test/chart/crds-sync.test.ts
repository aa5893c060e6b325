// The chart's crds/ is a generated copy of config/crd: this fails when
// someone edits one without running scripts/sync-chart-crds.ts.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import {
  CHART_CRD_DIR,
  chartCrdDrift,
  chartCrdFiles,
  SOURCE_DIR,
  syncChartCrds,
} from '../../scripts/sync-chart-crds.ts';
import { repoRoot } from '../support/kube.ts';
import { run } from '../helm/support.ts';

const scratch = mkdtempSync(join(tmpdir(), 'chart-crds-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of config/crd and the chart's crds/ to break on purpose. */
function copyTree(): string {
  const root = mkdtempSync(join(scratch, 'tree-'));
  cpSync(join(repoRoot, SOURCE_DIR), join(root, SOURCE_DIR), { recursive: true });
  cpSync(join(repoRoot, CHART_CRD_DIR), join(root, CHART_CRD_DIR), { recursive: true });
  return root;
}

describe('chart CRDs', () => {
  test('charts/opencode-operator/crds equals config/crd (run node scripts/sync-chart-crds.ts)', () => {
    expect(chartCrdDrift()).toEqual([]);
    expect(Object.keys(chartCrdFiles()).sort()).toEqual([
      `${CHART_CRD_DIR}/improvementruns.opencode.dev.yaml`,
      `${CHART_CRD_DIR}/improvementtargets.opencode.dev.yaml`,
    ]);
  });

  test('the check catches an edited source, a hand edit, a missing and an extra file', () => {
    const root = copyTree();
    const src = join(root, SOURCE_DIR, 'improvementruns.opencode.dev.yaml');
    writeFileSync(src, `${readFileSync(src, 'utf8')}# changed\n`);
    const chartFile = join(root, CHART_CRD_DIR, 'improvementtargets.opencode.dev.yaml');
    writeFileSync(chartFile, readFileSync(chartFile, 'utf8').replace('Namespaced', 'Cluster'));
    writeFileSync(join(root, CHART_CRD_DIR, 'old.yaml'), 'kind: CustomResourceDefinition\n');
    expect(chartCrdDrift(root)).toEqual([
      `${CHART_CRD_DIR}/improvementruns.opencode.dev.yaml is out of date`,
      `${CHART_CRD_DIR}/improvementtargets.opencode.dev.yaml is out of date`,
      `${CHART_CRD_DIR}/old.yaml has no source`,
    ]);
    rmSync(chartFile);
    expect(chartCrdDrift(root)).toContain(
      `${CHART_CRD_DIR}/improvementtargets.opencode.dev.yaml is missing`,
    );
    syncChartCrds(root);
    expect(chartCrdDrift(root)).toEqual([]);
  });

  test('the script exits 1 in --check mode when the chart is stale, 0 when in sync', async () => {
    const node = process.execPath;
    const script = join(repoRoot, 'scripts/sync-chart-crds.ts');
    const ok = await run(node, [script, '--check']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const root = copyTree();
    const src = join(root, SOURCE_DIR, 'improvementruns.opencode.dev.yaml');
    writeFileSync(src, `${readFileSync(src, 'utf8')}# changed\n`);
    const stale = await run(node, [script, '--check', `--root=${root}`]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('improvementruns.opencode.dev.yaml is out of date');
    const fixed = await run(node, [script, `--root=${root}`]);
    expect(fixed.code).toBe(0);
    expect((await run(node, [script, '--check', `--root=${root}`])).code).toBe(0);
  });
});
