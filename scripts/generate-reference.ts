// Writes the configuration reference into README.md from src/crds.
// `--check` exits 1 when the README differs (src/crds/reference.test.ts fails too).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withReference } from '../src/crds/reference.ts';

const file = join(import.meta.dirname, '..', 'README.md');
const current = readFileSync(file, 'utf8');
const next = withReference(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    console.error('README.md configuration reference is out of date: run npm run generate');
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(file, next);
  console.log('wrote the configuration reference in README.md');
}
