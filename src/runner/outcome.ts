// What a run ends with. The runner writes it into ImprovementRun.status
// (its only write to the cluster) and prints it as one JSON line on stdout;
// the operator aggregates it into the target status, Events and metrics.
import type { ImprovementRunStatus } from '../crds/index.ts';
import { ExternalServiceError, OperatorError } from '../util/errors.ts';
import { secrets } from '../util/logger.ts';

export type OutcomePhase = 'Succeeded' | 'NoChange' | 'Failed';

/** Stable, documented failure reasons (CamelCase). */
export const FAILURE_REASONS = {
  TestsFailed:
    'The change made the tests fail; it was reverted and the failure logged in STATE.md.',
  ChecksWorse:
    'The change made an extra check (spec.tests.extraChecks: lint, type check) report more findings than the unchanged tree, or fail where it passed; it was reverted and the failure logged in STATE.md.',
  CloneFailed: 'The repository could not be cloned or fetched.',
  SetupFailed:
    "The set-up step (spec.tests.setupCommand or the detected install) failed on the unchanged branch: the repository's install is broken here.",
  TestEnvironmentBroken:
    'The test command could not run at all (exit 127/126, a program not found): the test environment lacks something.',
  TestsOOMKilled:
    'The test container ran out of memory (on the unchanged branch, or killed whole): raise spec.tests.resources.limits.memory.',
  SecretInDiff:
    "The change contained a credential (one of the run's own secrets or a known token format); nothing was pushed.",
  PushFailed: 'The push was refused or failed after retries.',
  ForgeError: 'The forge API (GitHub, Gitea) failed.',
  ModelNotFound: 'The configured model does not exist on the LLM server.',
  LLMUnavailable: 'The LLM server could not be reached or failed.',
  ContextTooLarge: 'The prompt did not fit the model context (num_ctx); nothing was sent.',
  InvalidConfiguration: 'The runner configuration (env, target spec) is invalid.',
  InvalidRepositoryConfig:
    "The repository's .opencode/config.yaml is malformed, or tries to widen what the ImprovementTarget allows; the message names the field.",
  RollbackTargetNotFound: 'The commit or run named by spec.rollback does not exist.',
  RollbackFailed: 'The rollback could not be applied cleanly.',
  DeadlineExceeded: 'The Job ran past activeDeadlineSeconds.',
  RunnerOOMKilled:
    'The runner container ran out of memory: raise spec.runner.resources.limits.memory.',
  ImageUnavailable:
    "A container's image cannot be had (not on the node with pull policy Never, or its pull keeps failing).",
  SecretMissing: 'A Secret the pod reads was gone when it started.',
  ContainerConfigError: 'A container could not be created from its configuration.',
  TestContainerFailed:
    'The test container ended with an error while the runner still needed it (its image lacks /bin/sh, or its loop was killed).',
  PodDeleted: 'The pod was deleted before the run reported an outcome.',
  JobFailed: 'The Job failed without reporting an outcome (a crash, or another reason).',
  Internal: 'An unexpected error; see the runner log.',
} as const;
export type FailureReason = keyof typeof FAILURE_REASONS;

/** NoChange reasons: the run decided, correctly, to change nothing. */
export const NO_CHANGE_REASONS = {
  NothingToDo: 'No candidate improvement was found.',
  PolicyBlocked:
    'Every candidate was excluded by policy (allowedTypes, rampUp, maxOpenPullRequests).',
  MalformedModelOutput: 'The model output could not be applied safely; nothing was committed.',
  EditRejected:
    'The edit broke a rule (path, protected file, scope of its type, size, changed or skipped existing tests).',
  CoverageNotRaised: 'A tests improvement that did not raise coverage was discarded.',
  TestsWeakened:
    'With the change the tests ran fewer tests than before, or none: the change was discarded.',
  DryRun: 'Dry run: nothing was committed or pushed.',
} as const;
export type NoChangeReason = keyof typeof NO_CHANGE_REASONS;

export type RunOutcome = Pick<
  ImprovementRunStatus,
  | 'improvement'
  | 'tests'
  | 'branch'
  | 'commit'
  | 'pullRequest'
  | 'failure'
  | 'questionIssue'
  | 'policy'
  | 'quality'
  | 'security'
  | 'risk'
> & {
  phase: OutcomePhase;
  /** Work-branch coverage after the run (percent), for the target's coverage trend. */
  coverage?: number;
  /** For NoChange: why. */
  noChangeReason?: NoChangeReason;
  message?: string;
};

/** A Failed outcome; the message is redacted and bounded for status. */
export function failedOutcome(reason: FailureReason, message: string, branch?: string): RunOutcome {
  return {
    phase: 'Failed',
    ...(branch ? { branch } : {}),
    failure: { reason, message: secrets.redact(message).slice(0, 4096) },
  };
}

/**
 * Maps an error to a documented failure reason: its own when it carries
 * one, the service's for an upstream failure, else `otherwise` (a rollback
 * reports its git failures as RollbackFailed) or Internal.
 */
export function reasonOf(err: unknown, otherwise?: (err: unknown) => FailureReason | undefined) {
  const r = err instanceof OperatorError ? err.reason : undefined;
  if (r && r in FAILURE_REASONS) return r as FailureReason;
  if (err instanceof ExternalServiceError)
    return /ollama|openai|llm|model/i.test(err.service) ? 'LLMUnavailable' : 'ForgeError';
  if (err instanceof OperatorError && /forge|github|gitea/i.test(err.reason)) return 'ForgeError';
  return otherwise?.(err) ?? 'Internal';
}
