import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { renderCrdFiles } from './render.ts';

const root = join(import.meta.dirname, '..', '..');

describe('config/crd', () => {
  const files = renderCrdFiles();

  test.each(Object.keys(files))(
    '%s matches what src/crds generates (run npm run generate)',
    (rel) => {
      expect(readFileSync(join(root, rel), 'utf8')).toBe(files[rel]);
    },
  );

  test('schemas are structural: no TypeBox leftovers, no const or patternProperties', () => {
    const text = Object.entries(files)
      .filter(([rel]) => rel.startsWith('config/crd/'))
      .map(([, t]) => t)
      .join('\n');
    expect(text).not.toMatch(/\bconst:|patternProperties|~kind|\$id/);
  });

  test('optional sections are defaulted whole, so a minimal spec gets every nested default', () => {
    const crd = parse(files['config/crd/improvementtargets.opencode.dev.yaml']!);
    const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec;
    for (const key of [
      'branches',
      'model',
      'tests',
      'policy',
      'labels',
      'runner',
      'commitAuthor',
    ]) {
      const section = spec.properties[key];
      const childDefaults = Object.entries(
        section.properties as Record<string, { default?: unknown }>,
      )
        .filter(([, child]) => child.default !== undefined)
        .map(([name]) => name);
      expect([key, Object.keys(section.default).sort()]).toEqual([key, childDefaults.sort()]);
      expect(section.required ?? []).not.toEqual(expect.arrayContaining(childDefaults.slice(0, 1)));
    }
  });
});
