// Writes config/crd/*.yaml from src/crds. `--check` exits 1 when the
// committed files differ, so drift fails CI (test/crds/generated.test.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderCrdFiles } from '../src/crds/render.ts';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const [rel, text] of Object.entries(renderCrdFiles())) {
  const file = join(root, rel);
  if (check) {
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) {
      console.error(`${rel} is out of date: run npm run generate`);
      stale++;
    }
  } else {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
    console.log(`wrote ${rel}`);
  }
}
process.exit(stale ? 1 : 0);
