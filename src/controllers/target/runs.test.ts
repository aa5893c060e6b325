import { describe, expect, it } from '@jest/globals';
import { buildRun } from './runs.ts';
import type { ImprovementTarget } from '../types.ts';

const target = {
  apiVersion: 'opencode.dev/v1alpha1',
  kind: 'ImprovementTarget',
  metadata: { name: 'api', namespace: 'team', uid: 'u-1' },
  spec: {},
} as unknown as ImprovementTarget;

describe('buildRun', () => {
  it('is owned by its target (the controller, blocking deletion) and labelled with its name', () => {
    const run = buildRun(
      target,
      'api-r1234abcd',
      { trigger: 'rollback', rollback: { id: 'x', commit: 'abcdef1' } },
      { 'opencode.dev/auto-revert': 'true' },
    );
    expect(run).toEqual({
      apiVersion: 'opencode.dev/v1alpha1',
      kind: 'ImprovementRun',
      metadata: {
        name: 'api-r1234abcd',
        namespace: 'team',
        labels: { 'opencode.dev/auto-revert': 'true', 'opencode.dev/target': 'api' },
        ownerReferences: [
          {
            apiVersion: 'opencode.dev/v1alpha1',
            kind: 'ImprovementTarget',
            name: 'api',
            uid: 'u-1',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        targetRef: { name: 'api' },
        trigger: 'rollback',
        rollback: { id: 'x', commit: 'abcdef1' },
      },
    });
  });

  it('the target label cannot be overridden by extra labels', () => {
    const run = buildRun(target, 'n', { trigger: 'manual' }, { 'opencode.dev/target': 'other' });
    expect(run.metadata.labels?.['opencode.dev/target']).toBe('api');
  });
});
