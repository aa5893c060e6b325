// A local OSV database for the dependency scan: the advisories under
// test/fixtures/advisories, zipped per ecosystem into the layout osv-scanner
// reads offline (<db>/osv-scalibr/<ecosystem>/all.zip).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';

export const ADVISORIES = join(import.meta.dirname, '..', 'fixtures', 'advisories');

/** Writes the database under `dir` with the given ecosystems (default: all); returns dir. */
export function writeAdvisoryDb(dir: string, ecosystems?: string[]): string {
  const all = readdirSync(ADVISORIES, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name);
  for (const eco of ecosystems ?? all) {
    const files: Record<string, Uint8Array> = {};
    for (const f of readdirSync(join(ADVISORIES, eco)))
      files[f] = readFileSync(join(ADVISORIES, eco, f));
    const out = join(dir, 'osv-scalibr', eco);
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'all.zip'), zipSync(files));
  }
  return dir;
}
