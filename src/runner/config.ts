// The runner's options as one typed table (name, description, env, default),
// and the Job-mode reader of the env contract (src/contracts/job-env.ts). Both
// validate at start-up and fail fast naming the option.
import { Value } from 'typebox/value';
import {
  IMPROVEMENT_TYPES,
  ImprovementRunSpec,
  ImprovementTargetSpec,
  type ImprovementType,
  type ImprovementRunSpec as RunSpec,
  type ImprovementTargetSpec as TargetSpec,
} from '../crds/index.ts';
import { StalledError } from '../util/errors.ts';
import { secrets } from '../util/logger.ts';
import { JOB_ENV, type JobRunEnv, type JobTargetEnv } from '../contracts/job-env.ts';
import { ADVISORY_DB_ENV } from './security/osv.ts';

export interface OptionDef {
  name: string;
  description: string;
  env?: string;
  default?: string;
  /** Validates a raw value; returns an error message or undefined. */
  check?: (v: string) => string | undefined;
}

const oneOf =
  (...values: string[]) =>
  (v: string) =>
    values.includes(v) ? undefined : `must be one of ${values.join(', ')}`;
const url = (v: string) => (/^https?:\/\/\S+$/.test(v) ? undefined : 'must be an http(s) URL');
const positiveInt = (v: string) =>
  /^[1-9]\d*$/.test(v) ? undefined : 'must be a positive integer';

/** Options of `opencode-runner run` (and env overrides of `job`). */
export const RUN_OPTIONS = {
  repo: { name: 'repo', description: 'Repository path or clone URL' },
  dryRun: {
    name: 'dry-run',
    description: 'Print what would be committed; commit and push nothing',
  },
  branchMain: {
    name: 'branch-main',
    description: 'Main branch',
    env: 'BRANCH_MAIN',
    default: 'main',
  },
  branchWork: {
    name: 'branch-work',
    description: 'Work branch',
    env: 'BRANCH_WORK',
    default: 'develop',
  },
  strategy: {
    name: 'strategy',
    description: 'develop (one PR work->main) or autonomous (a branch and PR per improvement)',
    default: 'develop',
    check: oneOf('develop', 'autonomous'),
  },
  provider: {
    name: 'provider',
    description: 'Forge: git (plain remote), github or gitea',
    default: 'git',
    check: oneOf('git', 'github', 'gitea'),
  },
  apiUrl: {
    name: 'api-url',
    description: 'Forge API base URL (GitHub Enterprise, Gitea)',
    check: url,
  },
  modelProvider: {
    name: 'model-provider',
    description: 'ollama, openai or builtin (rules, no model)',
    default: 'ollama',
    check: oneOf('ollama', 'openai', 'builtin'),
  },
  model: {
    name: 'model',
    description: 'Model name',
    env: 'OLLAMA_MODEL',
    default: 'codellama:7b-code',
  },
  ollamaHost: {
    name: 'ollama-host',
    description: 'Model server URL',
    env: 'OLLAMA_HOST',
    default: 'http://127.0.0.1:11434',
    check: url,
  },
  contextTokens: {
    name: 'context-tokens',
    description: 'Context window sent as num_ctx',
    default: '8192',
    check: positiveInt,
  },
  testCommand: { name: 'test-command', description: 'Test command (detected when absent)' },
  setupCommand: {
    name: 'setup-command',
    description: 'Set-up command run before the tests, e.g. npm ci (detected when absent)',
  },
  setupTimeout: {
    name: 'setup-timeout',
    description: 'Set-up timeout in seconds',
    default: '900',
    check: positiveInt,
  },
  testTimeout: {
    name: 'test-timeout',
    description: 'Test timeout in seconds',
    default: '900',
    check: positiveInt,
  },
  stateDir: {
    name: 'state-dir',
    description: 'State directory in the repository',
    default: '.opencode',
  },
  autoMerge: { name: 'auto-merge', description: 'Merge (or fast-forward main) when green' },
  noRampUp: { name: 'no-ramp-up', description: 'Allow every type from the first run' },
  advisoryDb: {
    name: 'advisory-db',
    description:
      'Folder of a local OSV advisory database (osv-scalibr/<ecosystem>/all.zip, as osv-scanner downloads it) for an offline dependency scan; absent: osv-scanner asks osv.dev',
    env: ADVISORY_DB_ENV,
  },
  workspace: {
    name: 'workspace',
    description: 'Scratch directory for the clone',
    env: JOB_ENV.workspace,
    default: '/tmp/opencode-workspace',
  },
} satisfies Record<string, OptionDef>;

export class ConfigError extends StalledError {
  constructor(option: string, message: string) {
    super('InvalidConfiguration', `${option}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Fills defaults and env values, then checks each option; throws naming the first bad one. */
export function resolveOptions(
  table: Record<string, OptionDef>,
  given: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, def] of Object.entries(table)) {
    const v = given[key] ?? (def.env ? env[def.env] : undefined) ?? def.default;
    const err = v !== undefined && def.check ? def.check(v) : undefined;
    if (err) throw new ConfigError(`--${def.name}${def.env ? ` (${def.env})` : ''}`, err);
    out[key] = v;
  }
  return out;
}

/** Applies the CRD defaults and validates a target spec; the error names the bad field. */
export function parseTargetSpec(raw: unknown, source: string): TargetSpec {
  const spec = Value.Default(ImprovementTargetSpec, structuredClone(raw ?? {}));
  if (!Value.Check(ImprovementTargetSpec, spec)) {
    const first = [...Value.Errors(ImprovementTargetSpec, spec)][0] as
      { instancePath?: string; path?: string; message: string } | undefined;
    const path = first?.instancePath ?? first?.path ?? '';
    throw new ConfigError(`${source}.spec${path.replace(/\//g, '.')}`, first?.message ?? 'invalid');
  }
  return spec as TargetSpec;
}

export interface JobConfig {
  target: JobTargetEnv;
  run: JobRunEnv;
  token?: string;
  modelApiKey?: string;
  workspace: string;
  /** The test container's bench directory, when the Job has one. */
  testBench?: string;
  ollamaHost?: string;
}

function parseJson(env: NodeJS.ProcessEnv, name: string): Record<string, unknown> {
  const raw = env[name];
  if (!raw) throw new ConfigError(name, 'is required');
  try {
    const v = JSON.parse(raw);
    if (!v || typeof v !== 'object') throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(name, `is not a JSON object (${(err as Error).message})`);
  }
}

const isType = (v: unknown): v is ImprovementType =>
  typeof v === 'string' && (IMPROVEMENT_TYPES as readonly string[]).includes(v);

/** The operator's per-type record, keeping only well-formed entries (it is advice, not a contract to fail on). */
function typeRecords(
  t: Record<string, unknown>,
): Pick<JobTargetEnv, 'yields' | 'backedOff' | 'earned'> {
  const list = (v: unknown) => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  const yields = list(t.yields).filter(
    (y) => isType(y?.type) && typeof y.yield === 'number' && y.yield >= 0 && y.yield <= 1,
  ) as JobTargetEnv['yields'];
  const backedOff = list(t.backedOff)
    .filter((b) => isType(b?.type) && typeof b.why === 'string')
    .map((b) => ({ type: b.type as ImprovementType, why: String(b.why).slice(0, 512) }));
  const earned = list(t.earned)
    .filter((e) => isType(e?.type) && Number.isInteger(e.merged) && (e.merged as number) >= 0)
    .map((e) => ({ type: e.type as ImprovementType, merged: e.merged as number }));
  return {
    ...(yields?.length ? { yields } : {}),
    ...(backedOff.length ? { backedOff } : {}),
    // Empty is a record too (nothing merged yet): only its absence means "no operator".
    ...(Array.isArray(t.earned) ? { earned } : {}),
  };
}

/** Reads the Job's env contract; secrets are registered for redaction before anything logs. */
export function readJobEnv(env: NodeJS.ProcessEnv = process.env): JobConfig {
  const token = env[JOB_ENV.forgeToken] || undefined;
  const modelApiKey = env[JOB_ENV.modelApiKey] || undefined;
  secrets.add(token);
  secrets.add(modelApiKey);
  const t = parseJson(env, JOB_ENV.target);
  const r = parseJson(env, JOB_ENV.run);
  for (const [obj, name, field] of [
    [t, JOB_ENV.target, 'namespace'],
    [t, JOB_ENV.target, 'name'],
    [r, JOB_ENV.run, 'name'],
  ] as const)
    if (typeof obj[field] !== 'string' || !obj[field])
      throw new ConfigError(`${name}.${field}`, 'is required');
  const spec = parseTargetSpec(t.spec, JOB_ENV.target);
  const runSpec = Value.Default(ImprovementRunSpec, structuredClone(r.spec ?? {}));
  if (!Value.Check(ImprovementRunSpec, runSpec)) {
    const first = [...Value.Errors(ImprovementRunSpec, runSpec)][0] as
      { message: string } | undefined;
    throw new ConfigError(`${JOB_ENV.run}.spec`, first?.message ?? 'invalid');
  }
  const host = env[JOB_ENV.ollamaHost];
  if (host && url(host)) throw new ConfigError(JOB_ENV.ollamaHost, url(host) ?? '');
  return {
    target: {
      namespace: t.namespace as string,
      name: t.name as string,
      spec,
      ...(typeof t.consecutiveFailures === 'number' && t.consecutiveFailures >= 0
        ? { consecutiveFailures: t.consecutiveFailures }
        : {}),
      ...typeRecords(t),
    },
    run: { name: r.name as string, spec: runSpec as RunSpec },
    token,
    modelApiKey,
    workspace: env[JOB_ENV.workspace] || '/workspace',
    testBench: env[JOB_ENV.testBench] || undefined,
    ollamaHost: host || undefined,
  };
}
