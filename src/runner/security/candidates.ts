// Advisories as candidates: every finding with a published fix, in a
// lockfile whose package manager the runner knows how to drive, is a P0
// security candidate whose fix is named by the advisory (see fix.ts).
import { basename } from 'node:path';
import type { Candidate } from '../types.ts';
import type { AdvisoryFinding } from './osv.ts';

/** What a P0 advisory candidate asks for: one package, from one version to another. */
export interface AdvisoryFix {
  manager: 'npm' | 'go';
  /** The lockfile or go.mod, repository-relative. */
  source: string;
  name: string;
  from: string;
  to: string;
  ids: string[];
}

/** The package manager that can apply a fix to this finding's source file, if any. */
export function managerOf(f: AdvisoryFinding): AdvisoryFix['manager'] | undefined {
  const file = basename(f.source);
  if (f.ecosystem === 'npm' && file === 'package-lock.json') return 'npm';
  // go.mod lists the toolchain and the standard library too: those are not modules to get.
  if (f.ecosystem === 'Go' && file === 'go.mod' && f.name.includes('.')) return 'go';
  return undefined;
}

export function advisoryCandidates(findings: AdvisoryFinding[]): Candidate[] {
  const out: Candidate[] = [];
  for (const f of findings) {
    const manager = managerOf(f);
    if (!manager || !f.fixed) continue;
    const to = manager === 'go' && !f.fixed.startsWith('v') ? `v${f.fixed}` : f.fixed;
    const from = manager === 'go' && !f.version.startsWith('v') ? `v${f.version}` : f.version;
    out.push({
      id: `advisory:${f.source}:${f.name}`,
      type: 'security',
      priority: 'P0',
      title: `Upgrade ${f.name} ${from} to ${to} (${f.ids.join(', ')})`,
      detail: `${f.source} pins ${f.name} ${from}, which has ${f.severity} advisory ${f.ids.join(', ')}: ${f.summary}. ${to} is the smallest version that fixes it.`,
      files: [f.source],
      advisory: { manager, source: f.source, name: f.name, from, to, ids: f.ids },
    });
  }
  return out;
}
