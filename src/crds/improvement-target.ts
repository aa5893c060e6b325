// ImprovementTarget: one repository under continuous improvement.
// This file is the single source of truth for its TypeScript type and its
// OpenAPI schema (config/crd is generated from it). Field names and meanings
// are the public API (README, Configuration reference): they do not change;
// additions are marked "extension".
import Type from 'typebox';
import {
  cel,
  Conditions,
  DateTime,
  MapOf,
  ObjectName,
  Opaque,
  Quantity,
  StringEnum,
  StringMap,
} from './schema-helpers.ts';

export const PROVIDERS = ['github', 'gitea', 'git'] as const;
export const STRATEGIES = ['develop', 'autonomous'] as const;
export const MERGE_METHODS = ['squash', 'merge', 'rebase'] as const;
export const CONCURRENCY_POLICIES = ['Forbid', 'Replace'] as const;
export const MODEL_PROVIDERS = ['ollama', 'openai', 'builtin'] as const;
/** Advisory severities: a CVSS base score's band, or the database's own word. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;

/** Vulnerable dependencies by severity (a package version counts once, at its worst advisory). */
export const SecurityFindings = Type.Object(
  Object.fromEntries(SEVERITIES.map((s) => [s, Type.Integer({ minimum: 0 })])) as Record<
    (typeof SEVERITIES)[number],
    Type.TInteger
  >,
);

export const IMPROVEMENT_TYPES = [
  'documentation',
  'style',
  'refactoring',
  'tests',
  'bugfix',
  'performance',
  'security',
  'dependencies',
  'feature',
] as const;
export const TARGET_PHASES = ['Idle', 'Running', 'Suspended', 'Stalled'] as const;
export const RUN_RESULTS = ['Succeeded', 'NoChange', 'Failed'] as const;
export const ROLLBACK_RESULTS = ['Succeeded', 'Failed'] as const;
export const CIRCUIT_REASONS = ['ConsecutiveFailures', 'AutoRevert'] as const;
export const NOTIFY_EVENTS = [
  'RunFailed',
  'RepeatedFailures',
  'QuestionIssueOpened',
  'CircuitOpen',
  'AutoRevert',
  'RollbackDone',
] as const;
export const NOTIFY_FORMATS = ['slack', 'generic'] as const;

/** Git branch names: a conservative subset of what git-check-ref-format allows. */
const BranchName = (def: string) =>
  Type.String({
    default: def,
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$',
    ...cel({
      rule: "!self.contains('..') && !self.endsWith('/') && !self.endsWith('.lock')",
      message: 'must be a valid git branch name',
    }),
  });

/** The five-field cron shape (values are checked by the operator) or an @-macro. */
export const SCHEDULE_PATTERN =
  '^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*?/,()-]+( +[0-9A-Za-z*?/,()-]+){4})$';
export const REPOSITORY_URL_PATTERN =
  '^(https://[^\\s/]+/\\S+|ssh://\\S+|git@[^\\s:]+:\\S+|file:///\\S*)$';

const SecretKeyRef = (defaultKey: string, description: string) =>
  Type.Object(
    {
      name: ObjectName({ description: 'Name of a Secret in the target namespace.' }),
      key: Type.String({
        default: defaultKey,
        minLength: 1,
        maxLength: 253,
        pattern: '^[-._a-zA-Z0-9]+$',
      }),
    },
    { description },
  );

export const Repository = Type.Object(
  {
    url: Type.String({
      maxLength: 2048,
      pattern: REPOSITORY_URL_PATTERN,
      description:
        'Clone URL: https://, ssh://, git@host:path or file:///path. Never put a token in it: use credentialsSecretRef.',
      ...cel({
        rule: "!self.matches('^https://[^/]*@')",
        message: 'must not carry credentials; use credentialsSecretRef',
      }),
    }),
    provider: StringEnum(PROVIDERS, {
      default: 'github',
      description:
        'Forge API used for pull requests and issues. git: a plain remote with no PR API.',
    }),
    apiUrl: Type.Optional(
      Type.String({
        maxLength: 2048,
        pattern: '^https?://\\S+$',
        description:
          'API base URL for GitHub Enterprise or Gitea. Defaults to the public GitHub API.',
      }),
    ),
    credentialsSecretRef: Type.Optional(
      SecretKeyRef(
        'token',
        'Secret key holding the forge token used to clone, push and open pull requests.',
      ),
    ),
  },
  cel({
    rule: "self.provider != 'gitea' || has(self.apiUrl)",
    message: 'provider gitea needs apiUrl',
    fieldPath: '.apiUrl',
    reason: 'FieldValueRequired',
  }),
);

export const Branches = Type.Object(
  {
    main: BranchName('main'),
    work: BranchName('develop'),
    strategy: StringEnum(STRATEGIES, {
      default: 'develop',
      description:
        'develop: commit to the work branch, one PR work->main. autonomous: one autonomous/<slug> branch and PR per improvement.',
    }),
  },
  {
    default: {},
    ...cel({
      rule: 'self.main != self.work',
      message: 'work must differ from main: the operator never commits to main',
      fieldPath: '.work',
    }),
  },
);

export const Model = Type.Object(
  {
    provider: StringEnum(MODEL_PROVIDERS, {
      default: 'ollama',
      description:
        'ollama, openai (any OpenAI-compatible endpoint), or builtin (deterministic rules, no model).',
    }),
    host: Type.String({
      default: 'http://ollama.ollama.svc:11434',
      maxLength: 2048,
      pattern: '^https?://\\S+$',
    }),
    name: Type.String({ default: 'codellama:7b-code', minLength: 1, maxLength: 256 }),
    contextTokens: Type.Integer({
      default: 8192,
      minimum: 1024,
      maximum: 1048576,
      description:
        'extension: context window sent as num_ctx; prompts that do not fit are refused.',
    }),
    apiKeySecretRef: Type.Optional(
      SecretKeyRef('apiKey', 'extension: Secret key holding the API key for provider openai.'),
    ),
  },
  { default: {} },
);

/** Node LTS on Debian: node, npm, git and /bin/sh, public, multi-arch. */
export const DEFAULT_TESTS_IMAGE = 'node:24-bookworm';

/** Lint and type checks that gate a change beside the tests (shared with the repository config). */
export const ExtraChecks = Type.Array(
  Type.Object({
    name: Type.String({ minLength: 1, maxLength: 63, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$' }),
    command: Type.String({ minLength: 1, maxLength: 4096 }),
  }),
  {
    maxItems: 8,
    description:
      "extension: lint and type checks run after set-up on the unchanged tree and on the change; a change may not raise any check's count of findings (lines in a file:line:col, tsc or eslint format). Detected when absent (eslint or biome where configured, tsc where there is a tsconfig, ruff or flake8 where configured, go vet); [] turns them off.",
  },
);

export const Tests = Type.Object(
  {
    command: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description: 'Test command; detected from the repository when absent.',
      }),
    ),
    timeoutSeconds: Type.Integer({ default: 900, minimum: 1, maximum: 86400 }),
    extraChecks: Type.Optional(ExtraChecks),
    setupCommand: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description:
          "extension: installs what the tests need (npm ci, pip install -e ., go mod download…) before every test run, in the same sandbox, with network access and without any of the runner's secrets. Detected from the repository when absent; set it to `true` to skip the step.",
      }),
    ),
    setupTimeoutSeconds: Type.Integer({
      default: 900,
      minimum: 1,
      maximum: 86400,
      description: 'extension: timeout of the set-up step.',
    }),
    image: Type.String({
      default: DEFAULT_TESTS_IMAGE,
      minLength: 1,
      maxLength: 1024,
      description:
        "extension: image of the Job's test container, where set-up and tests run (it holds no token and no secret). It needs /bin/sh and the repository's toolchain. The default, the public Node image on Debian, has node, npm, git and a shell, so Node and TypeScript repositories work out of the box (the operator's own image has Node but no npm). See the README for Python, Go, Rust and Java. Not used in local mode.",
    }),
    imagePullPolicy: Type.Optional(StringEnum(['Always', 'IfNotPresent', 'Never'] as const)),
    resources: Type.Optional(
      Type.Object(
        {
          limits: Type.Optional(MapOf(Quantity())),
          requests: Type.Optional(MapOf(Quantity())),
        },
        { description: "extension: the test container's resources, apart from the runner's." },
      ),
    ),
  },
  { default: {} },
);

export const Policy = Type.Object(
  {
    allowedTypes: Type.Array(StringEnum(IMPROVEMENT_TYPES), {
      default: [...IMPROVEMENT_TYPES],
      minItems: 1,
      maxItems: IMPROVEMENT_TYPES.length,
      'x-kubernetes-list-type': 'set',
    }),
    requireApproval: Type.Optional(
      Type.Array(StringEnum([...IMPROVEMENT_TYPES, 'P0', 'P1', 'P2', 'P3'] as const), {
        maxItems: IMPROVEMENT_TYPES.length + 4,
        'x-kubernetes-list-type': 'set',
        description:
          'extension: changes that wait for a human: improvement types (feature, dependencies, ...) or priorities, where Pn means Pn and more urgent. They open as a draft pull request labelled with labels.approval, and the merge gate takes them once a human approved it (a review that approves, and none asking for changes).',
      }),
    ),
    rampUp: Type.Boolean({
      default: true,
      description:
        'Gradual complexity, earned by merged, unreverted results: docs/style, then refactors, then tests, then fixes, then features.',
    }),
    maxFilesChanged: Type.Integer({ default: 10, minimum: 1, maximum: 1000 }),
    maxLinesChanged: Type.Integer({ default: 400, minimum: 1, maximum: 100000 }),
    protectedPaths: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
      default: ['.github/workflows/**'],
      maxItems: 256,
      description:
        'Globs no improvement may change, on top of the built-in ones (CI, repository governance, the test harness, the state files).',
    }),
    maxFileBytes: Type.Integer({
      default: 262144,
      minimum: 1,
      maximum: 16777216,
      description: 'extension: largest size, in bytes, of a file an improvement writes.',
    }),
    maxLineLength: Type.Integer({
      default: 500,
      minimum: 1,
      maximum: 1048576,
      description:
        'extension: longest line an improvement may add, unless the file already has longer ones.',
    }),
    maxOpenPullRequests: Type.Integer({ default: 1, minimum: 0, maximum: 100 }),
    maxConsecutiveFailures: Type.Integer({
      default: 3,
      minimum: 1,
      maximum: 100,
      description:
        'extension: after this many failed runs in a row the runner asks a human through a question issue, and the circuit breaker stops new runs until `kubectl improve resume`.',
    }),
    autoRevert: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        window: Type.String({
          default: '2h',
          pattern: '^([0-9]+(s|m|h))+$',
          description: "How long after a merge main's checks on the merge commit are watched.",
        }),
        maxPerDay: Type.Integer({
          default: 1,
          minimum: 0,
          maximum: 20,
          description: 'At most this many automatic reverts per target in 24 hours.',
        }),
      },
      {
        default: {},
        description:
          "extension: self-heal. When main's checks fail on the commit a bot's merge put there, and they had not failed on its parent, a rollback run reverts that commit through a pull request the merge gate merges; the circuit breaker then opens. A commit whose message carries NOAUTOREVERT=true is left alone; a human's commit is never watched.",
      },
    ),
    risk: Type.Object(
      {
        mainBelow: Type.Integer({
          default: 30,
          minimum: 0,
          maximum: 101,
          description: 'A change scoring below this opens its pull request against main.',
        }),
        approvalFrom: Type.Integer({
          default: 70,
          minimum: 0,
          maximum: 101,
          description:
            'A change scoring this or more opens against main as a draft that waits for a human, like policy.requireApproval; the rest opens against the work branch.',
        }),
      },
      {
        default: {},
        ...cel({
          rule: 'self.mainBelow <= self.approvalFrom',
          message: 'mainBelow must not exceed approvalFrom',
          fieldPath: '.mainBelow',
        }),
        description:
          "extension: risk-based routing, for strategy autonomous. Each change gets a risk score from 0 to 100 from its type, its size, the paths it touches and what it did to the tests (shown in the run's status.risk and in the pull request). Low risk goes to main, the middle to the work branch, high risk waits for approval.",
      },
    ),
  },
  { default: {} },
);

export const Labels = Type.Object(
  {
    priority: Type.String({ default: 'opencode-priority', minLength: 1, maxLength: 50 }),
    question: Type.String({ default: 'opencode-question', minLength: 1, maxLength: 50 }),
    approval: Type.String({ default: 'opencode-approval', minLength: 1, maxLength: 50 }),
    bug: Type.String({ default: 'opencode-bug', minLength: 1, maxLength: 50 }),
  },
  { default: {} },
);

export const Rollback = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128, description: 'Acted on once per new value.' }),
    commit: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{7,40}$',
        description: 'Revert this commit on the work branch.',
      }),
    ),
    run: Type.Optional(ObjectName({ description: 'Revert what this ImprovementRun committed.' })),
    resetWorkBranch: Type.Optional(
      Type.Boolean({
        description: 'Reset the work branch to main (force-with-lease) and close the open PR.',
      }),
    ),
  },
  cel({
    rule: '(has(self.commit) ? 1 : 0) + (has(self.run) ? 1 : 0) + (has(self.resetWorkBranch) && self.resetWorkBranch ? 1 : 0) == 1',
    message: 'rollback must name exactly one of commit, run or resetWorkBranch: true',
  }),
);

export const Runner = Type.Object(
  {
    image: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        description: "Runner image; default: the operator's own image.",
      }),
    ),
    imagePullPolicy: Type.Optional(StringEnum(['Always', 'IfNotPresent', 'Never'] as const)),
    resources: Type.Optional(
      Type.Object({
        limits: Type.Optional(MapOf(Quantity())),
        requests: Type.Optional(MapOf(Quantity())),
      }),
    ),
    activeDeadlineSeconds: Type.Integer({ default: 3600, minimum: 10, maximum: 86400 }),
    ttlSecondsAfterFinished: Type.Integer({
      default: 86400,
      minimum: 0,
      maximum: 2592000,
      description: 'extension: how long a finished Job and its pod are kept.',
    }),
    serviceAccountName: Type.Optional(
      Type.String({
        maxLength: 253,
        pattern: '^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      }),
    ),
    nodeSelector: Type.Optional(StringMap()),
    tolerations: Type.Optional(Type.Array(Opaque(), { maxItems: 64 })),
  },
  { default: {} },
);

export const Merge = Type.Object(
  {
    checkGracePeriod: Type.String({
      default: '3m',
      pattern: '^(0|([0-9]+(s|m|h))+)$',
      description:
        "extension: without required checks on main's protection rule, how long after a pull request's head appears the checks have to register before the reported ones decide (e.g. 3m). A head that changes starts it again.",
    }),
    requireChecks: Type.Boolean({
      default: true,
      description:
        'extension: when no check at all has reported by the end of the grace period, wait (true) or merge (false).',
    }),
  },
  {
    default: {},
    description:
      "extension: the merge gate. A pull request merges only when it is up to date with main and the checks that matter passed on its head: main's required checks when the forge names them, else every check that reported within the grace period.",
  },
);

export const Notify = Type.Object(
  {
    webhooks: Type.Array(
      Type.Object(
        {
          name: ObjectName({ description: 'Names the webhook in logs and metrics.' }),
          urlSecretRef: SecretKeyRef(
            'url',
            'Secret key holding the webhook URL (it often carries a token: it never appears in a log or a payload).',
          ),
          format: StringEnum(NOTIFY_FORMATS, {
            default: 'generic',
            description:
              'slack: a Slack-compatible {"text": ...} message. generic: JSON with id, event, severity, target, run and message, signed with HMAC-SHA256 (header X-Opencode-Signature-256: sha256=<hex>) when signingSecretRef is set.',
          }),
          signingSecretRef: Type.Optional(
            SecretKeyRef('key', 'Secret key holding the HMAC key for the generic format.'),
          ),
          events: Type.Optional(
            Type.Array(StringEnum(NOTIFY_EVENTS), {
              maxItems: NOTIFY_EVENTS.length,
              description: 'Send only these; default: all.',
            }),
          ),
        },
        cel({
          rule: "!has(self.signingSecretRef) || self.format == 'generic'",
          message: 'signingSecretRef signs the generic format only',
        }),
      ),
      { minItems: 1, maxItems: 8 },
    ),
  },
  {
    description:
      'extension: webhooks told when a run fails, failures repeat, a question issue opens, the circuit breaker opens, or a rollback is done. Delivery is at least once with retries; each payload carries a stable id (header X-Opencode-Event-Id) to drop duplicates by.',
  },
);

export const ImprovementTargetSpec = Type.Object({
  repository: Repository,
  branches: Branches,
  schedule: Type.String({
    maxLength: 256,
    pattern: SCHEDULE_PATTERN,
    description:
      "5-field cron, or @hourly, @daily, @weekly, @monthly, @yearly. extension: H in a field (H, H(a-b), H/n, H(a-b)/n) stands for a value chosen by a stable hash of the target's namespace and name, so a fleet on one line (H 8 * * *) spreads over the hour.",
  }),
  timeZone: Type.String({
    default: 'Etc/UTC',
    maxLength: 64,
    pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$',
    description: 'IANA time zone name for the schedule.',
  }),
  suspend: Type.Boolean({
    default: false,
    description: 'No new runs while true; a run already started finishes.',
  }),
  autoMerge: Type.Boolean({
    default: true,
    description: 'Merge the pull request to main once its checks pass.',
  }),
  mergeMethod: StringEnum(MERGE_METHODS, { default: 'squash' }),
  merge: Merge,
  notify: Type.Optional(Notify),
  concurrencyPolicy: StringEnum(CONCURRENCY_POLICIES, { default: 'Forbid' }),
  startingDeadlineSeconds: Type.Integer({
    default: 600,
    minimum: 0,
    maximum: 31536000,
    description: 'A slot missed by more than this is skipped, not run late.',
  }),
  successfulRunsHistoryLimit: Type.Integer({ default: 3, minimum: 0, maximum: 1000 }),
  failedRunsHistoryLimit: Type.Integer({ default: 3, minimum: 0, maximum: 1000 }),
  model: Model,
  tests: Tests,
  policy: Policy,
  labels: Labels,
  stateDir: Type.String({
    default: '.opencode',
    minLength: 1,
    maxLength: 255,
    pattern: '^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$',
    ...cel({
      rule: "!self.split('/').exists(p, p == '..' || p == '.' || p == '.git')",
      message: 'must be a relative path inside the repository, outside .git',
    }),
  }),
  commitAuthor: Type.Object(
    {
      name: Type.String({ default: 'opencode-bot', minLength: 1, maxLength: 256 }),
      email: Type.String({
        default: 'opencode-bot@users.noreply.opencode.dev',
        minLength: 3,
        maxLength: 256,
        pattern: '^[^\\s<>@]+@[^\\s<>@]+$',
      }),
    },
    { default: {}, description: 'extension: author of the commits the runner makes.' },
  ),
  forgeCheckInterval: Type.String({
    default: '5m',
    pattern: '^([0-9]+(s|m|h))+$',
    description:
      'extension: how often the operator asks the forge for new priority issues and merged pull requests (e.g. 5m, 1h30m). Unchanged answers cost no rate limit.',
  }),
  rollback: Type.Optional(Rollback),
  runner: Runner,
});

export const LastRun = Type.Object({
  name: Type.String(),
  result: Type.Optional(StringEnum(RUN_RESULTS)),
  improvementType: Type.Optional(StringEnum(IMPROVEMENT_TYPES)),
  pullRequestUrl: Type.Optional(Type.String()),
  commit: Type.Optional(Type.String()),
  completionTime: Type.Optional(DateTime()),
});

const Count = () => Type.Integer({ minimum: 0, default: 0 });

export const ImprovementTargetStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64' })),
  phase: Type.Optional(StringEnum(TARGET_PHASES)),
  conditions: Type.Optional(Conditions),
  lastScheduleTime: Type.Optional(DateTime()),
  nextScheduleTime: Type.Optional(DateTime()),
  lastSuccessfulTime: Type.Optional(DateTime()),
  activeRuns: Type.Optional(Type.Array(Type.String(), { maxItems: 16 })),
  lastRun: Type.Optional(LastRun),
  totals: Type.Optional(
    Type.Object({
      runs: Count(),
      succeeded: Count(),
      failed: Count(),
      noChange: Count(),
      merged: Count(),
      reverted: Count(),
    }),
  ),
  coverage: Type.Optional(
    Type.Object({ current: Type.Optional(Type.Number()), previous: Type.Optional(Type.Number()) }),
  ),
  yields: Type.Optional(
    Type.Array(
      Type.Object({
        type: StringEnum(IMPROVEMENT_TYPES),
        attempts: Count(),
        kept: Count(),
        failed: Count(),
        reverted: Count(),
        noChange: Count(),
        merged: Type.Optional(Count()),
        streak: Type.Integer({
          minimum: 0,
          description: 'Failed or reverted attempts in a row.',
        }),
        backoffUntilRun: Type.Optional(
          Type.Integer({
            minimum: 0,
            description: 'The type is not chosen while totals.runs is below this.',
          }),
        ),
      }),
      {
        maxItems: IMPROVEMENT_TYPES.length,
        description:
          "extension: each improvement type's record here (attempts, kept, failed, reverted, no change, merged into main). Ramp-up counts merged - reverted per type from this record, never from files in the repository. The runner ranks candidates of equal priority by yield, (kept - reverted) / attempts; a type whose last 3 attempts failed or were reverted sits out 2, 4, 8 … runs (at most 64).",
      },
    ),
  ),
  quality: Type.Optional(
    Type.Object(
      {
        current: Type.Optional(Type.Integer({ minimum: 0 })),
        previous: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      {
        description:
          'extension: findings of the extra checks (spec.tests.extraChecks) on the work branch, from the latest run that measured them, and the one before: the code-quality trend.',
      },
    ),
  ),
  security: Type.Optional(
    Type.Object(
      {
        findings: SecurityFindings,
        scanner: Type.String({ maxLength: 63 }),
        run: Type.String({ maxLength: 253 }),
      },
      {
        description:
          "extension: vulnerable dependencies of the work branch by severity, from the latest run whose dependency scan completed (that run's findings after its own change).",
      },
    ),
  ),
  openPullRequests: Type.Optional(Type.Integer({ minimum: 0 })),
  lastHandledRunRequest: Type.Optional(Type.String()),
  consecutiveFailures: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'extension: failed runs in a row; reset by a run that did not fail.',
    }),
  ),
  forge: Type.Optional(
    Type.Object(
      {
        lastCheckTime: Type.Optional(DateTime()),
        handledIssues: Type.Optional(
          Type.Array(Type.Integer({ minimum: 1 }), {
            maxItems: 64,
            description: 'Priority issues that already started a run (most recent).',
          }),
        ),
        waitingIssues: Type.Optional(
          Type.Array(Type.Integer({ minimum: 1 }), {
            maxItems: 16,
            description:
              'extension: priority issues seen open that have not started a run yet, oldest first; each waits for room under concurrencyPolicy.',
          }),
        ),
        message: Type.Optional(
          Type.String({
            maxLength: 1024,
            description: 'Why the last forge check failed, if it did.',
          }),
        ),
      },
      { description: "extension: the operator's view of the forge (priority issues, merges)." },
    ),
  ),
  countedRuns: Type.Optional(
    Type.Array(Type.String(), {
      // Every kept run, and its merge, at the largest history limits.
      maxItems: 4000,
      description:
        'extension: the existing runs already added to totals (and `merged:<run>` for their merges), so each is counted exactly once; a run leaves the list when it is deleted.',
    }),
  ),
  awaitingApproval: Type.Optional(
    Type.Array(
      Type.Object({
        run: Type.String(),
        pullRequest: Type.Integer({ minimum: 1 }),
        url: Type.Optional(Type.String()),
        since: Type.Optional(DateTime()),
      }),
      {
        maxItems: 16,
        description:
          'extension: pull requests waiting for a human to approve them (policy.requireApproval).',
      },
    ),
  ),
  autoReverts: Type.Optional(
    Type.Array(
      Type.Object({
        run: Type.String({ description: 'The run whose merge turned main red.' }),
        commit: Type.String({ maxLength: 64 }),
        rollbackRun: Type.String(),
        time: DateTime(),
      }),
      {
        maxItems: 32,
        description:
          'extension: automatic reverts (self-heal), newest last; the per-day cap counts them.',
      },
    ),
  ),
  circuit: Type.Optional(
    Type.Object(
      {
        open: Type.Boolean(),
        reason: Type.Optional(StringEnum(CIRCUIT_REASONS)),
        message: Type.Optional(Type.String({ maxLength: 1024 })),
        openedAt: Type.Optional(DateTime()),
        lastReset: Type.Optional(
          Type.String({
            maxLength: 256,
            description: 'The circuit-reset annotation value last acted on.',
          }),
        ),
      },
      {
        description:
          'extension: the circuit breaker. It opens after policy.maxConsecutiveFailures failed runs in a row and then no scheduled or priority-issue run starts; a new value of the opencode.dev/circuit-reset annotation (`kubectl improve resume`) closes it and starts the count again.',
      },
    ),
  ),
  rollback: Type.Optional(
    Type.Object({
      lastHandledId: Type.Optional(Type.String()),
      result: Type.Optional(StringEnum(ROLLBACK_RESULTS)),
      message: Type.Optional(Type.String({ maxLength: 4096 })),
      time: Type.Optional(DateTime()),
    }),
  ),
});

export type ImprovementTargetSpec = Type.Static<typeof ImprovementTargetSpec>;
export type ImprovementTargetStatus = Type.Static<typeof ImprovementTargetStatus>;
export type ImprovementType = (typeof IMPROVEMENT_TYPES)[number];
export type RunResult = (typeof RUN_RESULTS)[number];
