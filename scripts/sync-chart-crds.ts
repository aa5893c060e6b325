// Copies config/crd/*.yaml (generated from src/crds) into the Helm chart's
// crds/ folder, so the chart has no hand-made copy. `--check` exits 1 when
// the chart's CRDs differ from config/crd (test/chart/crds-sync.test.ts).
//
//   node scripts/sync-chart-crds.ts [--check] [--root=<repository root>]
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
export const SOURCE_DIR = 'config/crd';
export const CHART_CRD_DIR = 'charts/opencode-operator/crds';

/** The chart's crds/ files (relative path → text) as they must be. */
export function chartCrdFiles(repoRoot = root): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(repoRoot, SOURCE_DIR)).sort()) {
    if (!name.endsWith('.yaml')) continue;
    const text = readFileSync(join(repoRoot, SOURCE_DIR, name), 'utf8');
    out[`${CHART_CRD_DIR}/${name}`] =
      `# Copied from ${SOURCE_DIR}/${name} by scripts/sync-chart-crds.ts. Do not edit.\n${text}`;
  }
  return out;
}

/** Differences between the chart's crds/ and what it must be: stale, missing or extra files. */
export function chartCrdDrift(repoRoot = root): string[] {
  const want = chartCrdFiles(repoRoot);
  const problems: string[] = [];
  for (const [rel, text] of Object.entries(want)) {
    const file = join(repoRoot, rel);
    if (!existsSync(file)) problems.push(`${rel} is missing`);
    else if (readFileSync(file, 'utf8') !== text) problems.push(`${rel} is out of date`);
  }
  const dir = join(repoRoot, CHART_CRD_DIR);
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!(`${CHART_CRD_DIR}/${name}` in want))
      problems.push(`${CHART_CRD_DIR}/${name} has no source`);
  }
  return problems;
}

export function syncChartCrds(repoRoot = root): string[] {
  const want = chartCrdFiles(repoRoot);
  const dir = join(repoRoot, CHART_CRD_DIR);
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    if (!(`${CHART_CRD_DIR}/${name}` in want)) rmSync(join(dir, name));
  }
  for (const [rel, text] of Object.entries(want)) writeFileSync(join(repoRoot, rel), text);
  return Object.keys(want);
}

if (import.meta.main) {
  const rootArg = process.argv.find((a) => a.startsWith('--root='))?.slice('--root='.length);
  const at = rootArg ?? root;
  if (process.argv.includes('--check')) {
    const problems = chartCrdDrift(at);
    for (const p of problems) console.error(`${p}: run node scripts/sync-chart-crds.ts`);
    process.exit(problems.length ? 1 : 0);
  }
  for (const rel of syncChartCrds(at)) console.log(`wrote ${rel}`);
}
