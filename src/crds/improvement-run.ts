// ImprovementRun: one run, created by the operator and owned by its target.
// Single source of truth for its TypeScript type and OpenAPI schema.
import Type from 'typebox';
import { cel, Conditions, DateTime, ObjectName, StringEnum } from './schema-helpers.ts';
import { IMPROVEMENT_TYPES, Rollback, SecurityFindings, SEVERITIES } from './improvement-target.ts';

export const TRIGGERS = ['schedule', 'manual', 'priority-issue', 'rollback'] as const;
export const RUN_PHASES = ['Pending', 'Running', 'Succeeded', 'NoChange', 'Failed'] as const;
export const PRIORITIES = ['P0', 'P1', 'P2', 'P3'] as const;
export const AFTER_MERGE_STATES = ['Pending', 'Green', 'Red', 'Unknown'] as const;
export const MERGE_GATE_STATES = [
  'AwaitingApproval',
  'Waiting',
  'Updating',
  'AutoMergeEnabled',
  'Blocked',
  'Merged',
] as const;

export const ImprovementRunSpec = Type.Object(
  {
    targetRef: Type.Object({ name: ObjectName() }),
    trigger: StringEnum(TRIGGERS),
    scheduledTime: Type.Optional(
      DateTime({ description: 'The slot (or request time) this run is for.' }),
    ),
    runRequest: Type.Optional(
      Type.String({
        maxLength: 1024,
        description: 'extension: the run-requested-at annotation value that caused a manual run.',
      }),
    ),
    issue: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'extension: the priority issue that caused a priority-issue run.',
      }),
    ),
    rollback: Type.Optional(Rollback),
  },
  cel(
    { rule: 'self == oldSelf', message: 'spec is immutable: create a new run instead' },
    {
      rule: "self.trigger != 'rollback' || has(self.rollback)",
      message: 'a rollback run needs spec.rollback',
      fieldPath: '.rollback',
      reason: 'FieldValueRequired',
    },
  ),
);

export const ImprovementRunStatus = Type.Object({
  phase: Type.Optional(StringEnum(RUN_PHASES)),
  jobName: Type.Optional(Type.String()),
  startTime: Type.Optional(DateTime()),
  completionTime: Type.Optional(DateTime()),
  improvement: Type.Optional(
    Type.Object({
      type: StringEnum(IMPROVEMENT_TYPES),
      priority: StringEnum(PRIORITIES),
      title: Type.String({ maxLength: 256 }),
      rationale: Type.Optional(Type.String({ maxLength: 4096 })),
      issue: Type.Optional(Type.Integer({ minimum: 1 })),
      filesChanged: Type.Optional(Type.Integer({ minimum: 0 })),
      linesChanged: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  ),
  tests: Type.Optional(
    Type.Object({
      command: Type.Optional(Type.String()),
      setupCommand: Type.Optional(
        Type.String({ description: 'extension: the set-up step that ran before the tests.' }),
      ),
      passed: Type.Optional(Type.Boolean()),
      executedBefore: Type.Optional(
        Type.Integer({
          minimum: 0,
          description:
            'extension: tests executed on the unchanged branch (parsed from its output).',
        }),
      ),
      executedAfter: Type.Optional(
        Type.Integer({
          minimum: 0,
          description: 'extension: tests executed with the change applied.',
        }),
      ),
      isolation: Type.Optional(
        Type.String({
          description:
            'extension: how the tests were kept apart from the runner (namespaces, or why none were available).',
        }),
      ),
      durationSeconds: Type.Optional(Type.Number({ minimum: 0 })),
      coverageBefore: Type.Optional(Type.Number()),
      coverageAfter: Type.Optional(Type.Number()),
      outputTail: Type.Optional(
        Type.String({
          maxLength: 8192,
          description: 'extension: the last lines of the test output.',
        }),
      ),
    }),
  ),
  branch: Type.Optional(Type.String()),
  commit: Type.Optional(Type.String()),
  pullRequest: Type.Optional(
    Type.Object({
      number: Type.Optional(Type.Integer({ minimum: 1 })),
      url: Type.Optional(Type.String()),
      merged: Type.Optional(Type.Boolean()),
      mergedAt: Type.Optional(
        Type.Unsafe<string | null>({ type: 'string', format: 'date-time', nullable: true }),
      ),
      mergeCommitSha: Type.Optional(Type.String({ maxLength: 64 })),
      afterMerge: Type.Optional(
        Type.Object(
          {
            state: StringEnum(AFTER_MERGE_STATES),
            message: Type.Optional(Type.String({ maxLength: 1024 })),
            checkedAt: Type.Optional(DateTime()),
          },
          {
            description:
              "extension: main's checks on the merge commit, watched for policy.autoRevert.window after the merge (self-heal). Red means they failed there.",
          },
        ),
      ),
      gate: Type.Optional(
        Type.Object(
          {
            state: StringEnum(MERGE_GATE_STATES),
            message: Type.Optional(Type.String({ maxLength: 1024 })),
            headSha: Type.Optional(Type.String({ maxLength: 64 })),
            headSeenAt: Type.Optional(DateTime()),
            lastTransitionTime: Type.Optional(DateTime()),
          },
          {
            description:
              "extension: where the merge gate stands for this pull request (AwaitingApproval, Waiting, Updating, AutoMergeEnabled, Blocked, Merged), and since when its head has been seen (the checks' grace period runs from then).",
          },
        ),
      ),
    }),
  ),
  quality: Type.Optional(
    Type.Object(
      {
        findingsBefore: Type.Integer({ minimum: 0 }),
        findings: Type.Integer({ minimum: 0 }),
        checks: Type.Array(
          Type.Object({
            name: Type.String({ maxLength: 63 }),
            command: Type.String({ maxLength: 4096 }),
            findingsBefore: Type.Integer({ minimum: 0 }),
            findings: Type.Optional(Type.Integer({ minimum: 0 })),
          }),
          { maxItems: 8 },
        ),
      },
      {
        description:
          "extension: the extra checks (lint, type check) that gated this run: their findings on the unchanged tree and on the change (findings is the committed tree's when the run succeeded, else the unchanged tree's).",
      },
    ),
  ),
  risk: Type.Optional(
    Type.Object(
      {
        score: Type.Integer({ minimum: 0, maximum: 100 }),
        route: StringEnum(['main', 'work', 'approval'] as const),
        reasons: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 12 }),
      },
      {
        description:
          "extension: strategy autonomous only. The change's risk score (0-100; its terms in reasons) and where policy.risk sent it: a pull request against main, against the work branch, or against main waiting for approval.",
      },
    ),
  ),
  security: Type.Optional(
    Type.Object(
      {
        scanner: Type.Optional(Type.String({ maxLength: 63 })),
        database: StringEnum(['osv.dev', 'local'] as const),
        note: Type.Optional(Type.String({ maxLength: 1024 })),
        findings: SecurityFindings,
        advisories: Type.Array(
          Type.Object({
            ids: Type.Array(Type.String({ maxLength: 128 }), { maxItems: 8 }),
            package: Type.String({ maxLength: 256 }),
            version: Type.String({ maxLength: 128 }),
            severity: StringEnum(SEVERITIES),
            fixed: Type.Optional(Type.String({ maxLength: 128 })),
            source: Type.String({ maxLength: 512 }),
          }),
          { maxItems: 16 },
        ),
      },
      {
        description:
          "extension: the dependency scan (osv-scanner against the OSV database, or a local copy: the runner's --advisory-db) of the work branch after this run: findings by severity and the worst advisories (at most 16). note says why a scan did not complete; the run carries on without it.",
      },
    ),
  ),
  policy: Type.Optional(
    Type.Object(
      {
        configFile: Type.Optional(
          Type.Object({
            path: Type.String({ maxLength: 256 }),
            commit: Type.String({ maxLength: 64 }),
          }),
        ),
        requireApproval: Type.Optional(
          Type.Array(Type.String({ maxLength: 32 }), {
            maxItems: 16,
            description: "The run's approval list; the operator's merge gate reads it.",
          }),
        ),
        values: Type.Array(
          Type.Object({
            field: Type.String({ maxLength: 64 }),
            value: Type.String({ maxLength: 1024 }),
            source: StringEnum(['target', 'repository'] as const),
          }),
          { maxItems: 32 },
        ),
      },
      {
        description:
          "extension: the policy this run applied: the ImprovementTarget's, narrowed by the repository's .opencode/config.yaml (read from the main branch at configFile.commit), each value with where it came from.",
      },
    ),
  ),
  questionIssue: Type.Optional(
    Type.Object(
      { number: Type.Integer({ minimum: 1 }), url: Type.String({ maxLength: 2048 }) },
      {
        description:
          'extension: the question issue this run opened or commented on to ask a human (after policy.maxConsecutiveFailures failures in a row).',
      },
    ),
  ),
  failure: Type.Optional(
    Type.Object({
      reason: Type.String({
        pattern: '^[A-Z][A-Za-z0-9]*$',
        description: 'Stable CamelCase reason.',
      }),
      message: Type.String({ maxLength: 4096 }),
    }),
  ),
  conditions: Type.Optional(Conditions),
});

export type ImprovementRunSpec = Type.Static<typeof ImprovementRunSpec>;
export type ImprovementRunStatus = Type.Static<typeof ImprovementRunStatus>;
export type Trigger = (typeof TRIGGERS)[number];
export type RunPhase = (typeof RUN_PHASES)[number];
export type Priority = (typeof PRIORITIES)[number];
