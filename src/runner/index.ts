// The runner program: wires the forge, the improver and the edit applier
// into the workflow, for Job mode (env contract, status on the cluster) and
// local mode (a repository path or URL, no cluster).
import { KubeConfig } from '@kubernetes/client-node';
import type { ImprovementTargetSpec } from '../crds/index.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { readJobEnv, type JobConfig } from './config.ts';
import { JOB_ENV } from '../contracts/job-env.ts';
import { requestStop, startHeartbeat } from '../contracts/test-container-protocol.ts';
import { applyEdits } from './edits/index.ts';
import { createForge } from '../forge/index.ts';
import type { Forge } from '../forge/types.ts';
import { createLlmImprover } from './improver/index.ts';
import { createLlmProvider } from './llm/index.ts';
import type { RunOutcome } from './outcome.ts';
import { outcomeLine, StatusWriter } from './report/status.ts';
import { ADVISORY_DB_ENV } from './security/osv.ts';
import type { Candidate, EditLimits, Improver } from './types.ts';
import { createBuiltinImprover } from './builtin/index.ts';
import { runWorkflow, type WorkflowResult } from './workflow/run.ts';
import type { WorkflowInput } from './workflow/context.ts';

export { runWorkflow, type WorkflowResult } from './workflow/run.ts';
export type { RunReport, WorkflowDeps, WorkflowInput } from './workflow/context.ts';
export { readJobEnv, resolveOptions, parseTargetSpec, RUN_OPTIONS } from './config.ts';
export { StatusWriter, outcomeStatus, outcomeLine } from './report/status.ts';

export async function createImprover(
  spec: ImprovementTargetSpec,
  opts: { logger: Logger; apiKey?: string; hostOverride?: string },
): Promise<Improver> {
  const policy = {
    maxFilesChanged: spec.policy.maxFilesChanged,
    maxLinesChanged: spec.policy.maxLinesChanged,
    protectedPaths: [...spec.policy.protectedPaths, `${spec.stateDir}/**`],
  };
  if (spec.model.provider === 'builtin') return builtinForCandidates(policy, opts.logger);
  const llm = createLlmProvider({
    provider: spec.model.provider,
    host: opts.hostOverride ?? spec.model.host,
    model: spec.model.name,
    apiKey: opts.apiKey,
    logger: opts.logger,
  });
  return createLlmImprover(llm, { numCtx: spec.model.contextTokens, policy, logger: opts.logger });
}

/**
 * The built-in rules scan the repository themselves; each run they may only
 * use the improvement types that policy (allowedTypes, ramp-up) left in the
 * candidate list.
 */
function builtinForCandidates(policy: EditLimits, logger: Logger): Improver {
  const make = (candidates: Candidate[]) =>
    createBuiltinImprover({
      policy,
      logger,
      allowedTypes: [...new Set(candidates.map((c) => c.type))],
    });
  return {
    provider: 'builtin',
    propose: (ctx, candidates) => make(candidates).propose(ctx, candidates),
    repair: (ctx, previous, tail) => make([previous.candidate]).repair(ctx, previous, tail),
  };
}

export function forgeFor(
  spec: ImprovementTargetSpec,
  token: string | undefined,
  logger: Logger,
): Forge {
  return createForge({
    provider: spec.repository.provider,
    repoUrl: spec.repository.url,
    apiUrl: spec.repository.apiUrl,
    token,
    logger,
  });
}

/** Runs with already-built collaborators (tests and the CLI share this). */
export async function runOnce(
  input: WorkflowInput,
  opts: {
    logger: Logger;
    forge?: Forge;
    improver?: Improver;
    apiKey?: string;
    ollamaHost?: string;
  },
): Promise<WorkflowResult> {
  const spec = input.target.spec;
  const forge = opts.forge ?? forgeFor(spec, input.token, opts.logger);
  const improver =
    opts.improver ??
    (await createImprover(spec, {
      logger: opts.logger,
      apiKey: opts.apiKey,
      hostOverride: opts.ollamaHost,
    }));
  return runWorkflow(input, { forge, improver, logger: opts.logger, applyEdits });
}

interface RunJobOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  kubeConfig?: KubeConfig;
  print?: (line: string) => void;
}

/**
 * Job mode: read the env contract, mark the run Running, run, write the
 * outcome to ImprovementRun.status and print it as one JSON line. Whatever
 * happens, the test container (when there is one) is told to stop, so the
 * Job completes.
 */
export async function runJob(opts: RunJobOptions): Promise<RunOutcome> {
  const bench = (opts.env ?? process.env)[JOB_ENV.testBench];
  const stopBeat = bench
    ? startHeartbeat(bench, (err) =>
        opts.logger.warn({ err: errorMessage(err) }, 'could not touch the alive file'),
      )
    : undefined;
  try {
    return await runJobInner(opts);
  } finally {
    stopBeat?.();
    if (bench)
      await requestStop(bench).catch((err: unknown) =>
        opts.logger.error({ err: errorMessage(err) }, 'could not stop the test container'),
      );
  }
}

async function runJobInner(opts: RunJobOptions): Promise<RunOutcome> {
  const print = opts.print ?? ((l: string) => process.stdout.write(`${l}\n`));
  let cfg: JobConfig;
  try {
    cfg = readJobEnv(opts.env ?? process.env);
  } catch (err) {
    const outcome: RunOutcome = {
      phase: 'Failed',
      failure: { reason: 'InvalidConfiguration', message: errorMessage(err) },
    };
    // Report on the run when at least its name and namespace can be read.
    const where = runCoordinates(opts.env ?? process.env);
    if (where)
      await new StatusWriter(opts.kubeConfig ?? loadInCluster(), where)
        .finished(outcome, new Date())
        .catch((e) =>
          opts.logger.error({ err: errorMessage(e) }, 'could not write the run status'),
        );
    print(outcomeLine(outcome));
    return outcome;
  }
  const kc = opts.kubeConfig ?? loadInCluster();
  const status = new StatusWriter(kc, { namespace: cfg.target.namespace, name: cfg.run.name });
  const log = opts.logger.child({ namespace: cfg.target.namespace, run: cfg.run.name });
  await status
    .started(new Date())
    .catch((err) => log.warn({ err: errorMessage(err) }, 'could not mark the run Running'));
  const { outcome } = await runOnce(
    {
      target: cfg.target,
      run: cfg.run,
      token: cfg.token,
      workspace: cfg.workspace,
      testBench: cfg.testBench,
      advisoryDb: (opts.env ?? process.env)[ADVISORY_DB_ENV] || undefined,
    },
    { logger: log, apiKey: cfg.modelApiKey, ollamaHost: cfg.ollamaHost },
  ).catch((err: unknown) => ({
    outcome: {
      phase: 'Failed',
      failure: { reason: 'Internal', message: errorMessage(err) },
    } as RunOutcome,
  }));
  try {
    await status.finished(outcome, new Date());
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'could not write the run status');
  }
  print(outcomeLine(outcome));
  return outcome;
}

function runCoordinates(env: NodeJS.ProcessEnv): { namespace: string; name: string } | undefined {
  try {
    const t = JSON.parse(env.OPENCODE_TARGET ?? '') as { namespace?: unknown };
    const r = JSON.parse(env.OPENCODE_RUN ?? '') as { name?: unknown };
    if (typeof t.namespace === 'string' && typeof r.name === 'string')
      return { namespace: t.namespace, name: r.name };
  } catch {
    // not even the coordinates are readable
  }
  return undefined;
}

function loadInCluster(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}
