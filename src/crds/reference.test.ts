import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { renderReference, withReference } from './reference.ts';

describe('configuration reference', () => {
  test('README.md carries exactly what the CRD schema generates (run npm run generate)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    expect(readme).toBe(withReference(readme));
  });

  test('lists every spec field with its default and rules', () => {
    const ref = renderReference();
    expect(ref).toContain('| `spec.schedule` | string |  | required;');
    expect(ref).toMatch(/\| `spec\.branches\.work` \| string \| `"develop"` \|/);
    expect(ref).toMatch(
      /\| `spec\.concurrencyPolicy` \| string \| `"Forbid"` \| one of `Forbid`, `Replace`/,
    );
    expect(ref).toContain('rollback must name exactly one of commit, run or resetWorkBranch: true');
  });
});
