// .opencode/config.yaml: what a repository's maintainers decide for
// themselves, next to their code (as renovate.json is). It can only narrow
// what the ImprovementTarget allows; the target stays the upper bound. Its
// field schemas are the target's own (one source for both), and its JSON
// schema (config/schema) is generated from this file.
import Type, { type Static } from 'typebox';
import { ExtraChecks, ImprovementTargetSpec } from './improvement-target.ts';

const TargetPolicy = ImprovementTargetSpec.properties.policy.properties;
const TargetTests = ImprovementTargetSpec.properties.tests.properties;
const Globs = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 256, description });
const Command = (description: string) =>
  Type.String({ minLength: 1, maxLength: 4096, description });
/** A limit: the target's own bounds, without its default (absent means "the target's value"). */
const Limit = (of: unknown, description: string) => {
  const { minimum, maximum } = of as { minimum?: number; maximum?: number };
  return Type.Integer({ minimum, maximum, description });
};
const maxItemsOf = (of: unknown) => (of as { maxItems?: number }).maxItems;

export const REPO_CONFIG_PATH = 'config.yaml'; // inside the state directory (.opencode)

export const RepoConfig = Type.Object(
  {
    version: Type.Optional(Type.Literal(1, { description: 'Format version; 1.' })),
    policy: Type.Optional(
      Type.Object(
        {
          allowedTypes: Type.Optional(
            Type.Array(TargetPolicy.allowedTypes.items, {
              minItems: 1,
              maxItems: maxItemsOf(TargetPolicy.allowedTypes),
              description:
                'Improvement types this repository accepts: a subset of the ImprovementTarget’s policy.allowedTypes.',
            }),
          ),
          requireApproval: Type.Optional(
            Type.Array(TargetPolicy.requireApproval.items, {
              maxItems: maxItemsOf(TargetPolicy.requireApproval),
              description:
                'More changes that wait for a human (types, or priorities Pn meaning Pn and more urgent), on top of the ImprovementTarget’s list.',
            }),
          ),
          maxFilesChanged: Type.Optional(
            Limit(TargetPolicy.maxFilesChanged, 'At most the ImprovementTarget’s value.'),
          ),
          maxLinesChanged: Type.Optional(
            Limit(TargetPolicy.maxLinesChanged, 'At most the ImprovementTarget’s value.'),
          ),
          maxFileBytes: Type.Optional(
            Limit(TargetPolicy.maxFileBytes, 'At most the ImprovementTarget’s value.'),
          ),
          maxLineLength: Type.Optional(
            Limit(TargetPolicy.maxLineLength, 'At most the ImprovementTarget’s value.'),
          ),
          protectedPaths: Type.Optional(
            Globs('More globs no improvement may change, on top of the ImprovementTarget’s.'),
          ),
          ignorePaths: Type.Optional(
            Globs(
              'Globs the runner neither analyses nor changes (vendored code, generated files, fixtures).',
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    tests: Type.Optional(
      Type.Object(
        {
          command: Type.Optional(
            Command(
              'The test command, when the ImprovementTarget sets none (instead of detecting one).',
            ),
          ),
          setupCommand: Type.Optional(
            Command(
              'The set-up command, when the ImprovementTarget sets none (instead of detecting one).',
            ),
          ),
          timeoutSeconds: Type.Optional(
            Limit(TargetTests.timeoutSeconds, 'At most the ImprovementTarget’s value.'),
          ),
          extraChecks: Type.Optional(
            Type.Array(ExtraChecks.items, {
              maxItems: 8,
              description:
                'More lint and type checks a change may not make worse, on top of the ImprovementTarget’s (or of the detected ones).',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    title: 'opencode-operator repository configuration (.opencode/config.yaml)',
  },
);
export type RepoConfig = Static<typeof RepoConfig>;
