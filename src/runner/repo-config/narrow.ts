// The effective spec of one run: the ImprovementTarget's spec narrowed by
// the repository's .opencode/config.yaml. A repository may take away (fewer
// types, smaller limits, more protected or ignored paths, more approval), never
// add; the target stays the upper bound. Every value it sets is recorded with
// where it came from, for the run's status.
import type { ImprovementTargetSpec } from '../../crds/index.ts';
import type { RepoConfig } from '../../crds/repo-config.ts';
import { StalledError } from '../../util/errors.ts';

export type PolicySource = 'target' | 'repository';

export interface EffectiveValue {
  field: string;
  value: string;
  source: PolicySource;
}

export interface Narrowed {
  spec: ImprovementTargetSpec;
  values: EffectiveValue[];
  /** Globs the runner neither analyses nor changes. */
  ignorePaths: string[];
}

/** A repository config the run cannot use; the message names the file and the field. */
export class RepoConfigError extends StalledError {
  constructor(file: string, field: string, message: string) {
    super('InvalidRepositoryConfig', `${file}: ${field ? `${field}: ` : ''}${message}`);
    this.name = 'RepoConfigError';
  }
}

const LIMITS = ['maxFilesChanged', 'maxLinesChanged', 'maxFileBytes', 'maxLineLength'] as const;

export function narrowSpec(
  target: ImprovementTargetSpec,
  config: RepoConfig | undefined,
  file: string,
): Narrowed {
  const spec = structuredClone(target);
  const values: EffectiveValue[] = [];
  const record = (field: string, value: unknown, source: PolicySource) =>
    values.push({ field, value: Array.isArray(value) ? value.join(', ') : String(value), source });
  const refuse = (field: string, message: string): never => {
    throw new RepoConfigError(
      file,
      field,
      `${message}; a repository may narrow what the ImprovementTarget allows, never widen it`,
    );
  };
  const p = config?.policy ?? {};

  if (p.allowedTypes) {
    const wider = p.allowedTypes.filter((t) => !target.policy.allowedTypes.includes(t));
    if (wider.length)
      refuse(
        'policy.allowedTypes',
        `${wider.join(', ')} ${wider.length > 1 ? 'are' : 'is'} not in the ImprovementTarget's policy.allowedTypes (${target.policy.allowedTypes.join(', ')})`,
      );
    spec.policy.allowedTypes = target.policy.allowedTypes.filter((t) =>
      p.allowedTypes!.includes(t),
    );
  }
  record('policy.allowedTypes', spec.policy.allowedTypes, p.allowedTypes ? 'repository' : 'target');

  for (const key of LIMITS) {
    const mine = p[key];
    if (mine !== undefined) {
      if (mine > target.policy[key])
        refuse(
          `policy.${key}`,
          `${mine} is more than the ImprovementTarget's ${target.policy[key]}`,
        );
      spec.policy[key] = mine;
    }
    record(`policy.${key}`, spec.policy[key], mine !== undefined ? 'repository' : 'target');
  }

  if (p.protectedPaths?.length)
    spec.policy.protectedPaths = [
      ...new Set([...target.policy.protectedPaths, ...p.protectedPaths]),
    ];
  record(
    'policy.protectedPaths',
    spec.policy.protectedPaths,
    p.protectedPaths?.length ? 'repository' : 'target',
  );

  if (p.requireApproval?.length)
    spec.policy.requireApproval = [
      ...new Set([...(target.policy.requireApproval ?? []), ...p.requireApproval]),
    ];
  if (spec.policy.requireApproval?.length)
    record(
      'policy.requireApproval',
      spec.policy.requireApproval,
      p.requireApproval?.length ? 'repository' : 'target',
    );

  const ignorePaths = p.ignorePaths ?? [];
  if (ignorePaths.length) record('policy.ignorePaths', ignorePaths, 'repository');

  // Commands: the target's, when it sets them; else the repository's; else detected.
  const t = config?.tests ?? {};
  for (const key of ['command', 'setupCommand'] as const) {
    if (target.tests[key] === undefined && t[key] !== undefined) {
      spec.tests[key] = t[key];
      record(`tests.${key}`, t[key], 'repository');
    } else if (target.tests[key] !== undefined) record(`tests.${key}`, target.tests[key], 'target');
  }
  // More checks only gate more: the repository's add to the target's (a name the target uses stays the target's).
  if (t.extraChecks?.length) {
    const mine = target.tests.extraChecks ?? [];
    const names = new Set(mine.map((c) => c.name));
    spec.tests.extraChecks = [...mine, ...t.extraChecks.filter((c) => !names.has(c.name))].slice(
      0,
      8,
    );
  }
  if (spec.tests.extraChecks)
    record(
      'tests.extraChecks',
      spec.tests.extraChecks.map((c) => c.name),
      t.extraChecks?.length ? 'repository' : 'target',
    );
  if (t.timeoutSeconds !== undefined) {
    if (t.timeoutSeconds > target.tests.timeoutSeconds)
      refuse(
        'tests.timeoutSeconds',
        `${t.timeoutSeconds} is more than the ImprovementTarget's ${target.tests.timeoutSeconds}`,
      );
    spec.tests.timeoutSeconds = t.timeoutSeconds;
  }
  record(
    'tests.timeoutSeconds',
    spec.tests.timeoutSeconds,
    t.timeoutSeconds !== undefined ? 'repository' : 'target',
  );

  return { spec, values, ignorePaths };
}
