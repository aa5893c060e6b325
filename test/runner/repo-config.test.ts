// The repository's .opencode/config.yaml against a real bare remote: read
// from main, it narrows the run's policy and the run's status says where
// each value came from; one that tries to widen the ImprovementTarget ends
// the run with a message that names the field, and nothing is pushed; the
// same file on the work branch (which the runner writes) is not taken.
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOnce } from '../../src/runner/index.ts';
import {
  DOC_EDIT,
  capturedLogger,
  git,
  planFor,
  sandbox,
  targetSpec,
  type Sandbox,
  useOllamaDouble,
} from './support.ts';

const double = useOllamaDouble();
let sb: Sandbox;
afterEach(() => sb?.cleanup());

/** A maintainer commits .opencode/config.yaml to branch and pushes it (a symlink to `link`). */
function commitConfig(branch: string, yaml: string, link?: string): void {
  const dir = sb.humanClone();
  if (branch !== 'main') git(dir, ['checkout', '--quiet', '-B', branch]);
  mkdirSync(join(dir, '.opencode'), { recursive: true });
  if (link) symlinkSync(link, join(dir, '.opencode', 'config.yaml'));
  else writeFileSync(join(dir, '.opencode', 'config.yaml'), yaml);
  git(dir, ['add', '-A']);
  git(dir, [
    '-c',
    'user.name=M',
    '-c',
    'user.email=m@example.com',
    'commit',
    '--quiet',
    '-m',
    'config',
  ]);
  git(dir, ['push', '--quiet', 'origin', `HEAD:${branch}`]);
}

const run = (over: Record<string, unknown> = {}) => {
  const { logger } = capturedLogger();
  return runOnce(
    {
      target: {
        name: 'demo',
        spec: targetSpec(sb.url, { model: { host: double().url }, ...over }),
      },
      run: { name: 'demo-1', spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
      workspace: sb.workspace,
    },
    { logger, ollamaHost: double().url },
  );
};

describe('.opencode/config.yaml', () => {
  it('narrows the policy, and the outcome says where each value came from', async () => {
    sb = sandbox();
    commitConfig(
      'main',
      [
        'policy:',
        '  allowedTypes: [security, performance]',
        '  maxFilesChanged: 2',
        '  requireApproval: [P1]',
        '',
      ].join('\n'),
    );
    const { outcome, report } = await run({ policy: { maxFilesChanged: 5, rampUp: false } });
    // The TODO (bugfix) and documentation candidates this repository has are no longer allowed.
    expect(outcome).toMatchObject({ phase: 'NoChange', noChangeReason: 'PolicyBlocked' });
    expect(report.blocked.map((b) => [b.candidate.type, b.why])).toEqual([
      ['bugfix', 'type bugfix is not in allowedTypes'],
      ['documentation', 'type documentation is not in allowedTypes'],
    ]);
    expect(outcome.policy?.configFile).toEqual({
      path: '.opencode/config.yaml',
      commit: sb.sha('main'),
    });
    const value = (field: string) => outcome.policy?.values.find((v) => v.field === field);
    expect(value('policy.allowedTypes')).toEqual({
      field: 'policy.allowedTypes',
      value: 'performance, security', // in the target's order
      source: 'repository',
    });
    expect(value('policy.maxFilesChanged')).toMatchObject({ value: '2', source: 'repository' });
    expect(value('policy.maxLinesChanged')).toMatchObject({ value: '400', source: 'target' });
    expect(value('tests.command')).toMatchObject({ value: 'node --test', source: 'target' });
    expect(outcome.policy?.requireApproval).toEqual(['P1']);
  });

  it('that tries to widen the target ends the run naming the field, and pushes nothing', async () => {
    sb = sandbox();
    commitConfig('main', 'policy:\n  maxFilesChanged: 50\n');
    const { outcome } = await run();
    expect(outcome.phase).toBe('Failed');
    expect(outcome.failure).toEqual({
      reason: 'InvalidRepositoryConfig',
      message:
        ".opencode/config.yaml: policy.maxFilesChanged: 50 is more than the ImprovementTarget's 10; a repository may narrow what the ImprovementTarget allows, never widen it",
    });
    expect(sb.sha('develop')).toBeUndefined();
  });

  it('that is malformed ends the run naming the field', async () => {
    sb = sandbox();
    commitConfig('main', 'policy:\n  maxFilesChaned: 2\n');
    const { outcome } = await run();
    expect(outcome.failure).toEqual({
      reason: 'InvalidRepositoryConfig',
      message: '.opencode/config.yaml: policy.maxFilesChaned: is not a known field',
    });
  });

  it('that is a symlink is not followed', async () => {
    sb = sandbox();
    commitConfig('main', '', '/etc/passwd');
    const { outcome } = await run();
    expect(outcome.failure?.reason).toBe('InvalidRepositoryConfig');
    expect(outcome.failure?.message).toMatch(
      /^\.opencode\/config\.yaml: git ls-tree failed: \.opencode\/config\.yaml at [0-9a-f]{40} is not a regular file$/,
    );
  });

  it('on the work branch only is not the maintainers’ word: the run goes on under the target’s policy', async () => {
    sb = sandbox('node-basic', { withWorkBranch: true });
    commitConfig('develop', 'policy:\n  allowedTypes: [tests]\n');
    double().script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { outcome } = await run();
    expect(outcome.phase).toBe('Succeeded');
    expect(outcome.policy?.configFile).toBeUndefined();
    expect(outcome.policy?.values.find((v) => v.field === 'policy.allowedTypes')?.source).toBe(
      'target',
    );
  });
});
