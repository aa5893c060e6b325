import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseTargetSpec } from '../config.ts';
import { parseRepoConfig } from './load.ts';
import { narrowSpec, RepoConfigError } from './narrow.ts';

const FILE = '.opencode/config.yaml';
const target = (over: Record<string, unknown> = {}) =>
  parseTargetSpec(
    {
      repository: { url: 'https://github.com/acme/x.git' },
      schedule: '@daily',
      ...over,
    },
    'test',
  );
const narrow = (yaml: string, over: Record<string, unknown> = {}) =>
  narrowSpec(target(over), parseRepoConfig(yaml, FILE), FILE);
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RepoConfigError);
    return (err as RepoConfigError).message;
  }
  throw new Error('accepted');
};

describe('narrowSpec', () => {
  test('without a config the target decides everything', () => {
    const t = target();
    const n = narrowSpec(t, undefined, FILE);
    expect(n.spec).toEqual(t);
    expect(n.values.every((v) => v.source === 'target')).toBe(true);
    expect(n.ignorePaths).toEqual([]);
  });

  test('a narrowing config takes effect field by field; the target is not changed', () => {
    const t = target({ policy: { requireApproval: ['feature'] } });
    const before = structuredClone(t);
    const n = narrowSpec(
      t,
      parseRepoConfig(
        [
          'version: 1',
          'policy:',
          '  allowedTypes: [tests, documentation]',
          '  maxLinesChanged: 50',
          '  protectedPaths: ["migrations/**"]',
          '  ignorePaths: ["vendor/**"]',
          '  requireApproval: [P0]',
          'tests:',
          '  command: make test',
          '  timeoutSeconds: 300',
        ].join('\n'),
        FILE,
      ),
      FILE,
    );
    expect(t).toEqual(before);
    expect(n.spec.policy.allowedTypes).toEqual(['documentation', 'tests']);
    expect(n.spec.policy.maxLinesChanged).toBe(50);
    expect(n.spec.policy.maxFilesChanged).toBe(10);
    expect(n.spec.policy.protectedPaths).toEqual(['.github/workflows/**', 'migrations/**']);
    expect(n.spec.policy.requireApproval).toEqual(['feature', 'P0']);
    expect(n.spec.tests).toMatchObject({ command: 'make test', timeoutSeconds: 300 });
    expect(n.ignorePaths).toEqual(['vendor/**']);
    const source = Object.fromEntries(n.values.map((v) => [v.field, v.source]));
    expect(source).toMatchObject({
      'policy.allowedTypes': 'repository',
      'policy.maxLinesChanged': 'repository',
      'policy.maxFilesChanged': 'target',
      'policy.protectedPaths': 'repository',
      'policy.ignorePaths': 'repository',
      'policy.requireApproval': 'repository',
      'tests.command': 'repository',
      'tests.timeoutSeconds': 'repository',
    });
  });

  test("the target's test command wins over the repository's", () => {
    const n = narrow('tests:\n  command: make test\n', { tests: { command: 'npm test' } });
    expect(n.spec.tests.command).toBe('npm test');
    expect(n.values.find((v) => v.field === 'tests.command')).toEqual({
      field: 'tests.command',
      value: 'npm test',
      source: 'target',
    });
  });

  test('widening is refused, naming the field and the bound', () => {
    expect(
      refusal(() =>
        narrow('policy:\n  allowedTypes: [feature, tests]\n', {
          policy: { allowedTypes: ['tests'] },
        }),
      ),
    ).toBe(
      ".opencode/config.yaml: policy.allowedTypes: feature is not in the ImprovementTarget's policy.allowedTypes (tests); a repository may narrow what the ImprovementTarget allows, never widen it",
    );
    expect(refusal(() => narrow('policy:\n  maxFileBytes: 999999999\n'))).toMatch(
      /^\.opencode\/config\.yaml: policy\.maxFileBytes: /,
    );
    expect(refusal(() => narrow('policy:\n  maxLinesChanged: 401\n'))).toContain(
      "policy.maxLinesChanged: 401 is more than the ImprovementTarget's 400",
    );
    expect(refusal(() => narrow('tests:\n  timeoutSeconds: 901\n'))).toContain(
      "tests.timeoutSeconds: 901 is more than the ImprovementTarget's 900",
    );
  });
});

describe('parseRepoConfig', () => {
  test.each([
    ['policy: [', /not valid YAML/],
    ['a: &x [1]\nb: *x\n', /not usable YAML: Alias resolution is disabled/],
    ['policy:\n  maxFilesChanged: 0\n', /policy\.maxFilesChanged: must be >= 1/],
    ['tests:\n  comand: x\n', /tests\.comand: is not a known field/],
    ['version: 2\n', /^\.opencode\/config\.yaml: version: /],
    ['policy:\n  allowedTypes: [docs]\n', /policy\.allowedTypes\.0: /],
  ])('%j is refused', (yaml, message) => {
    expect(refusal(() => parseRepoConfig(yaml, FILE))).toMatch(message);
  });

  test('an empty file is an empty config', () => {
    expect(parseRepoConfig('', FILE)).toEqual({});
  });
});

describe('config/schema/repo-config.schema.json', () => {
  const schema = JSON.parse(
    readFileSync(
      join(import.meta.dirname, '../../../config/schema/repo-config.schema.json'),
      'utf8',
    ),
  );
  const validate = new Ajv2020({ strict: false }).compile(schema);

  test('a JSON-schema validator (what editors and CI use) agrees with the runner', () => {
    expect(
      validate({
        policy: { allowedTypes: ['tests'], maxFilesChanged: 3 },
        tests: { command: 'make test' },
      }),
    ).toBe(true);
    expect(validate({ policy: { maxFilesChanged: 0 } })).toBe(false);
    expect(validate({ polcy: {} })).toBe(false);
  });
});
