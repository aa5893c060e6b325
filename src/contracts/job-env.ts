// The contract between the operator (which builds the Job, or the local
// executor's child process) and the runner: environment variable names.
// Secret values arrive only through OPENCODE_FORGE_TOKEN and
// OPENCODE_MODEL_API_KEY, set from secretKeyRef; never in the JSON.
import type { ImprovementRunSpec, ImprovementTargetSpec, ImprovementType } from '../crds/index.ts';

export const JOB_ENV = {
  /**
   * JSON {namespace, name, uid, spec, consecutiveFailures, yields, backedOff}: the
   * ImprovementTarget, spec with defaults applied, the operator's count of failed runs
   * in a row when the run started, and its record of each improvement type.
   */
  target: 'OPENCODE_TARGET',
  /** JSON {name, uid, spec}: the ImprovementRun this Job is for. */
  run: 'OPENCODE_RUN',
  /** Forge token (from spec.repository.credentialsSecretRef). */
  forgeToken: 'OPENCODE_FORGE_TOKEN',
  /** API key for model provider openai (from spec.model.apiKeySecretRef). */
  modelApiKey: 'OPENCODE_MODEL_API_KEY',
  /** Writable scratch directory (an emptyDir in the Job); default /workspace. */
  workspace: 'OPENCODE_WORKSPACE',
  /**
   * Set when the Job has a test container: the directory on the shared volume
   * that container serves (src/contracts/test-container-protocol.ts); set-up and tests run there.
   */
  testBench: 'OPENCODE_TEST_BENCH',
  /**
   * One git config file of the deployer's (a mirror's insteadOf, a CA
   * bundle), read under the runner's hardening; in a Job it comes from the
   * operator's --runner-git-config-map.
   */
  gitConfig: 'OPENCODE_GIT_CONFIG',
  /**
   * A local OSV database for the dependency scan (the runner's --advisory-db);
   * in a Job it is the operator's --runner-advisory-db-claim, mounted read-only.
   */
  advisoryDb: 'OPENCODE_ADVISORY_DB',
  /** Overrides spec.model.host, e.g. for the demo's OLLAMA_HOST. */
  ollamaHost: 'OLLAMA_HOST',
} as const;

export interface JobTargetEnv {
  namespace: string;
  name: string;
  uid?: string;
  spec: ImprovementTargetSpec;
  /** The operator's count (status.consecutiveFailures), whatever the strategy; absent outside the operator. */
  consecutiveFailures?: number;
  /** Per improvement type: (kept - reverted) / attempts, from status.yields. */
  yields?: { type: ImprovementType; yield: number }[];
  /** Types that sit out this run (they failed or were reverted too often in a row), with why. */
  backedOff?: { type: ImprovementType; why: string }[];
  /**
   * Merged, unreverted improvements per type, from the operator's record.
   * Present (even empty) whenever the operator started the run: ramp-up then
   * counts these, and nothing the repository's files say.
   */
  earned?: { type: ImprovementType; merged: number }[];
}

export interface JobRunEnv {
  name: string;
  uid?: string;
  spec: ImprovementRunSpec;
}
