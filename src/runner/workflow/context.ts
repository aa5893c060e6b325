// What a run is given (target, run, token, workspace, collaborators) and the
// state its steps share. Instances only: runs are independent.
import type {
  ImprovementRunSpec,
  ImprovementRunStatus,
  ImprovementTargetSpec,
} from '../../crds/index.ts';
import type { JobTargetEnv } from '../../contracts/job-env.ts';
import type { Logger } from '../../util/logger.ts';
import type { Forge } from '../../forge/types.ts';
import type { GitClient } from '../git/git-client.ts';
import type { StateStore } from '../state/index.ts';
import type { TestBench } from '../sandbox/bench.ts';
import type { SecurityReport } from '../security/osv.ts';
import type { ExtraCheck } from '../testing/commands.ts';
import type { CheckRun, RunTestsOptions, TestRun } from '../testing/run-tests.ts';
import type {
  ApplyResult,
  Candidate,
  EditBlock,
  EditPolicy,
  Improver,
  Proposal,
} from '../types.ts';

export interface WorkflowDeps {
  forge: Forge;
  improver: Improver;
  logger: Logger;
  applyEdits: (repoDir: string, blocks: EditBlock[], policy: EditPolicy) => Promise<ApplyResult>;
  runTests?: (dir: string, command: string, opts: RunTestsOptions) => Promise<TestRun>;
  now?: () => Date;
}

export interface WorkflowInput {
  /** consecutiveFailures: the operator's count before this run, when it started the run. */
  target: {
    namespace?: string;
    name: string;
    spec: ImprovementTargetSpec;
    consecutiveFailures?: number;
    /** The operator's yield per type, and the types sitting out this run. */
    yields?: JobTargetEnv['yields'];
    backedOff?: JobTargetEnv['backedOff'];
    /** The operator's merged, unreverted improvements per type (ramp-up counts these when set). */
    earned?: JobTargetEnv['earned'];
  };
  run: { name: string; spec: ImprovementRunSpec };
  token?: string;
  /** Scratch directory; the clone goes into a fresh subdirectory. */
  workspace: string;
  /**
   * The test container's bench directory (Job mode): set-up and tests run in
   * that container. Absent: they run as local child processes.
   */
  testBench?: string;
  dryRun?: boolean;
  /** A local OSV database for the dependency scan (absent: osv.dev). */
  advisoryDb?: string;
  /** Token budget of the repo map given to the model. */
  repoMapTokens?: number;
}

/** What a dry run (or any run) found and chose, for the CLI to print. */
export interface RunReport {
  candidates: Candidate[];
  blocked: { candidate: Candidate; why: string }[];
  rampLevel?: number;
  chosen?: Proposal;
  diff?: string;
  testCommand?: string;
  setupCommand?: string;
  /** How the repository's code was kept apart from the runner. */
  isolation?: string;
}

export interface RunContext {
  input: WorkflowInput;
  deps: WorkflowDeps;
  /** The target's spec narrowed by the repository's config (see repo-config/). */
  spec: ImprovementTargetSpec;
  /** Globs the repository asks the runner neither to analyse nor to change. */
  ignorePaths: string[];
  /** The policy this run applies and where each value came from, for its status. */
  policy?: ImprovementRunStatus['policy'];
  log: Logger;
  git: GitClient;
  dir: string;
  state: StateStore;
  /** The branch commits go to (work branch, or autonomous/<slug> once chosen). */
  branch: string;
  /** The remote branch tip we started from (undefined: the branch is new). */
  remoteTip?: string;
  /** Local commits not yet pushed. */
  pendingCommits: number;
  testCommand?: string;
  setupCommand?: string;
  /** Lint and type checks (spec, repository config, or detected). */
  extraChecks?: ExtraCheck[];
  /** The checks as they ran on the unchanged tree: the ones that gate this run. */
  baselineChecks?: CheckRun[];
  /** Where set-up and tests run (exists once a test command is known). */
  bench?: TestBench;
  baseline?: TestRun;
  /** The dependency scan of the work branch (after the change, once one is kept). */
  security?: SecurityReport;
  report: RunReport;
  today: string;
}
