// `kubectl improve`: the commander program. Every subcommand writes only
// what a user could write by hand with `kubectl patch --type=merge`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ANNOTATION_CIRCUIT_RESET, ANNOTATION_RUN_REQUESTED_AT } from '../crds/index.ts';
import { PluginError } from './errors.ts';
import { PluginClient, type GlobalOptions } from './kube.ts';
import { requestRollback, rollbackSpec } from './rollback.ts';
import { requestRun } from './run.ts';
import { formatStatus, OUTPUT_FORMATS, statusReport, type OutputFormat } from './status.ts';
import { setSuspended } from './suspend.ts';

export interface PluginIo {
  out: (text: string) => void;
  err: (text: string) => void;
  now: () => Date;
}

const defaultIo: PluginIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  now: () => new Date(),
};

/** src/cli and dist/cli both sit two levels below the package root. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
};

export function improveCommand(io: PluginIo = defaultIo): Command {
  const program = new Command('kubectl improve')
    .description(
      'Steer ImprovementTargets of opencode-operator: suspend, resume, run now, roll back, and see why a target is or is not acting.',
    )
    .version(packageVersion(), '--version', 'print the plugin version')
    .helpOption('-h, --help', 'show help')
    .option(
      '-n, --namespace <namespace>',
      "namespace; default: the context's namespace, else default",
    )
    .option('--context <name>', 'kubeconfig context to use; default: the current context')
    .option('--kubeconfig <path>', 'kubeconfig file; default: $KUBECONFIG, else ~/.kube/config')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Each subcommand is a merge patch you could also write by hand, e.g.
  kubectl improve suspend api-server
  = kubectl patch improvementtarget api-server --type=merge -p '{"spec":{"suspend":true}}'
  kubectl improve run api-server
  = kubectl annotate improvementtarget api-server --overwrite ${ANNOTATION_RUN_REQUESTED_AT}="$(date -u +%FT%TZ)"
  kubectl improve rollback api-server --commit 4f2a9c1
  = kubectl patch improvementtarget api-server --type=merge \\
      -p '{"spec":{"rollback":{"id":"<new id>","commit":"4f2a9c1","run":null,"resetWorkBranch":null}}}'`,
    );

  const client = (cmd: Command) => new PluginClient(cmd.optsWithGlobals<GlobalOptions>());

  program
    .command('suspend')
    .description('stop scheduled runs (spec.suspend: true); a run already started finishes')
    .argument('<target>', 'ImprovementTarget name')
    .action(async (target: string, _o, cmd: Command) => {
      io.out(`${await setSuspended(client(cmd), target, true)}\n`);
    });

  program
    .command('resume')
    .description(
      `resume scheduled runs (spec.suspend: false) and close an open circuit breaker (annotation ${ANNOTATION_CIRCUIT_RESET}: <now>)`,
    )
    .argument('<target>', 'ImprovementTarget name')
    .action(async (target: string, _o, cmd: Command) => {
      io.out(`${await setSuspended(client(cmd), target, false)}\n`);
    });

  program
    .command('run')
    .description(
      `start one run now, also while suspended (annotation ${ANNOTATION_RUN_REQUESTED_AT}: <now, RFC 3339>)`,
    )
    .argument('<target>', 'ImprovementTarget name')
    .action(async (target: string, _o, cmd: Command) => {
      io.out(`${await requestRun(client(cmd), target, io.now())}\n`);
    });

  program
    .command('rollback')
    .description(
      'undo improvements through spec.rollback (a fresh id and exactly one of --commit, --run, --reset)',
    )
    .argument('<target>', 'ImprovementTarget name')
    .option('--commit <sha>', 'revert this commit on the work branch')
    .option('--run <run-name>', 'revert everything this ImprovementRun committed')
    .option('--reset', 'reset the work branch to main (force-with-lease) and close the open PR')
    .action(
      async (
        target: string,
        o: { commit?: string; run?: string; reset?: boolean },
        cmd: Command,
      ) => {
        // Flags are checked before any kubeconfig or network work.
        const spec = rollbackSpec(o, io.now());
        io.out(`${await requestRollback(client(cmd), target, spec)}\n`);
      },
    );

  program
    .command('status')
    .description('show the target, its recent runs, and why it is or is not acting')
    .argument('<target>', 'ImprovementTarget name')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(OUTPUT_FORMATS)
        .default('text' as OutputFormat),
    )
    .addOption(
      new Option('--runs <n>', 'how many recent runs to show').default(10).argParser(positive),
    )
    .action(async (target: string, o: { output: OutputFormat; runs: number }, cmd: Command) => {
      const now = io.now();
      const report = await statusReport(client(cmd), target, o.runs, now);
      io.out(formatStatus(report, o.output, now));
    });

  return program;
}

/** Runs the plugin; resolves to the exit code. Errors are printed as one line, never a stack. */
export async function runPlugin(argv: string[], io: PluginIo = defaultIo): Promise<number> {
  const program = improveCommand(io).exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    // commander already printed its own message (usage errors, --help, --version).
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 1;
    const message =
      err instanceof PluginError
        ? err.message
        : `unexpected: ${String(err instanceof Error ? err.message : err).split('\n')[0]}`;
    io.err(`error: ${message}\n`);
    return err instanceof PluginError ? err.exitCode : 1;
  }
}
