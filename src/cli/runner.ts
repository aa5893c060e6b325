#!/usr/bin/env node
// opencode-runner: `job` is the Job's command (env contract, writes the run
// status); `run` works without a cluster on a local path or a clone URL and
// prints what it found, what it chose and the diff (with --dry-run, nothing
// is committed or pushed).
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { ConfigError, parseTargetSpec, resolveOptions, RUN_OPTIONS } from '../runner/config.ts';
import { JOB_ENV } from '../contracts/job-env.ts';
import { requestStop } from '../contracts/test-container-protocol.ts';
import { outcomeLine, runJob, runOnce, type RunReport } from '../runner/index.ts';
import type { RunOutcome } from '../runner/outcome.ts';
import { createLogger, secrets } from '../util/logger.ts';
import { errorMessage } from '../util/errors.ts';
import { pino } from 'pino';

// Logs go to stderr: stdout carries the report and the one outcome line.
const logger = createLogger({ name: 'opencode-runner', destination: pino.destination(2) });

function repoUrl(repo: string): string {
  if (/^(https?|ssh|file):\/\//.test(repo) || /^git@/.test(repo)) return repo;
  return pathToFileURL(isAbsolute(repo) ? repo : resolve(repo)).href;
}

export function formatReport(report: RunReport, outcome: RunOutcome): string {
  const lines: string[] = [];
  lines.push(
    `Found ${report.candidates.length} candidate(s)` +
      (report.testCommand ? ` (tests: ${report.testCommand})` : ' (no test command)') +
      ':',
  );
  for (const c of report.candidates.slice(0, 20))
    lines.push(`  ${c.priority} ${c.type.padEnd(13)} ${c.title}`);
  if (report.rampLevel !== undefined) lines.push(`Ramp-up level: ${report.rampLevel}`);
  for (const b of report.blocked.slice(0, 10)) lines.push(`  blocked: ${b.candidate.id}: ${b.why}`);
  if (report.chosen)
    lines.push(
      `Chose: ${report.chosen.priority} ${report.chosen.type}: ${report.chosen.title}`,
      `  ${report.chosen.rationale}`,
    );
  else lines.push('Chose: nothing');
  if (report.setupCommand) lines.push(`Set-up: ${report.setupCommand}`);
  if (report.isolation) lines.push(`Isolation: ${report.isolation}`);
  const sec = outcome.security;
  if (sec) {
    const found = Object.entries(sec.findings)
      .filter(([, n]) => n > 0)
      .map(([severity, n]) => `${n} ${severity}`);
    lines.push(
      sec.note
        ? `Dependencies: not scanned: ${sec.note}`
        : `Dependencies: ${found.length ? `vulnerable: ${found.join(', ')}` : 'no known vulnerability'} (${sec.scanner}, ${sec.database === 'local' ? 'local advisory database' : 'osv.dev'})`,
    );
  }
  if (report.diff) lines.push('Diff:', report.diff.trimEnd());
  lines.push(
    `Result: ${outcome.phase}${outcome.noChangeReason ? ` (${outcome.noChangeReason})` : ''}${outcome.failure ? ` (${outcome.failure.reason}: ${outcome.failure.message})` : ''}`,
  );
  return secrets.redact(lines.join('\n'));
}

interface RunFlags {
  repo: string;
  dryRun?: boolean;
  branchMain?: string;
  branchWork?: string;
  strategy?: string;
  provider?: string;
  apiUrl?: string;
  modelProvider?: string;
  model?: string;
  ollamaHost?: string;
  contextTokens?: string;
  testCommand?: string;
  testTimeout?: string;
  setupCommand?: string;
  setupTimeout?: string;
  stateDir?: string;
  autoMerge?: boolean;
  rampUp?: boolean;
  workspace?: string;
}

async function runCommand(flags: RunFlags): Promise<number> {
  const given: Record<string, string | undefined> = {
    ...Object.fromEntries(Object.entries(flags).filter(([, v]) => typeof v === 'string')),
  };
  const o = resolveOptions(RUN_OPTIONS, given);
  const token = process.env[JOB_ENV.forgeToken] || undefined;
  const apiKey = process.env[JOB_ENV.modelApiKey] || undefined;
  secrets.add(token);
  secrets.add(apiKey);
  const spec = parseTargetSpec(
    {
      repository: {
        url: repoUrl(flags.repo),
        provider: o.provider,
        ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}),
      },
      branches: { main: o.branchMain, work: o.branchWork, strategy: o.strategy },
      schedule: '@daily',
      autoMerge: !!flags.autoMerge,
      model: {
        provider: o.modelProvider,
        host: o.ollamaHost,
        name: o.model,
        contextTokens: Number(o.contextTokens),
      },
      tests: {
        ...(o.testCommand ? { command: o.testCommand } : {}),
        timeoutSeconds: Number(o.testTimeout),
        ...(o.setupCommand ? { setupCommand: o.setupCommand } : {}),
        setupTimeoutSeconds: Number(o.setupTimeout),
      },
      policy: { rampUp: flags.rampUp !== false },
      stateDir: o.stateDir,
    },
    'options',
  );
  const { outcome, report } = await runOnce(
    {
      target: { name: 'local', spec },
      run: {
        name: `local-${Date.now()}`,
        spec: { targetRef: { name: 'local' }, trigger: 'manual' },
      },
      token,
      workspace: o.workspace ?? '/tmp/opencode-workspace',
      dryRun: !!flags.dryRun,
      ...(o.advisoryDb ? { advisoryDb: o.advisoryDb } : {}),
    },
    { logger, apiKey },
  );
  process.stdout.write(`${formatReport(report, outcome)}\n${outcomeLine(outcome)}\n`);
  return outcome.phase === 'Failed' ? 1 : 0;
}

export function buildProgram(): Command {
  const program = new Command('opencode-runner')
    .description('Makes one test-gated improvement to a git repository per run.')
    .showHelpAfterError();
  program
    .command('job')
    .description(
      `Run as the ImprovementRun's Job: reads ${Object.values(JOB_ENV).join(', ')} from the environment, writes the run status and prints the outcome as one JSON line.`,
    )
    .action(async () => {
      // As a container's PID 1, node would ignore SIGTERM and wait for the
      // kubelet's SIGKILL. The pod is going (deleted, or the deadline came):
      // stop now, without an outcome; the operator records why the pod went.
      process.once('SIGTERM', () => {
        logger.warn('terminated: the pod is being stopped; the run reports no outcome');
        const bench = process.env[JOB_ENV.testBench];
        void (bench ? requestStop(bench) : Promise.resolve())
          .catch(() => undefined)
          .finally(() => process.exit(143));
      });
      const outcome = await runJob({ logger });
      process.exitCode = outcome.phase === 'Failed' ? 1 : 0;
    });
  const run = program
    .command('run')
    .description(
      'Run once against a repository without a cluster; prints what it found, what it chose and the diff.',
    )
    .requiredOption('--repo <path|url>', RUN_OPTIONS.repo.description)
    .option('--dry-run', RUN_OPTIONS.dryRun.description)
    .option('--no-ramp-up', RUN_OPTIONS.noRampUp.description)
    .option('--auto-merge', RUN_OPTIONS.autoMerge.description);
  for (const key of [
    'branchMain',
    'branchWork',
    'strategy',
    'provider',
    'apiUrl',
    'modelProvider',
    'model',
    'ollamaHost',
    'contextTokens',
    'testCommand',
    'testTimeout',
    'setupCommand',
    'setupTimeout',
    'stateDir',
    'advisoryDb',
    'workspace',
  ] as const) {
    const def = RUN_OPTIONS[key] as {
      name: string;
      description: string;
      env?: string;
      default?: string;
    };
    const extra = [def.env ? `env ${def.env}` : '', def.default ? `default ${def.default}` : '']
      .filter(Boolean)
      .join(', ');
    run.option(`--${def.name} <value>`, `${def.description}${extra ? ` (${extra})` : ''}`);
  }
  run.action(async (flags: RunFlags) => {
    try {
      process.exitCode = await runCommand(flags);
    } catch (err) {
      const reason = err instanceof ConfigError ? 'InvalidConfiguration' : 'Internal';
      process.stderr.write(`opencode-runner: ${secrets.redact(errorMessage(err))}\n`);
      process.stdout.write(
        `${outcomeLine({ phase: 'Failed', failure: { reason, message: errorMessage(err) } })}\n`,
      );
      process.exitCode = 2;
    }
  });
  return program;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildProgram().parseAsync(process.argv);
}
