// The two CustomResourceDefinitions, built from the TypeBox schemas. The
// generator (scripts/generate-crds.ts) writes these to config/crd, and the
// Helm chart takes its crds/ from there: one source, no hand copies.
import type { TSchema } from 'typebox';
import { ImprovementTargetSpec, ImprovementTargetStatus } from './improvement-target.ts';
import { ImprovementRunSpec, ImprovementRunStatus } from './improvement-run.ts';

export const GROUP = 'opencode.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const CATEGORY = 'improvements';

export const TARGET = {
  kind: 'ImprovementTarget',
  plural: 'improvementtargets',
  singular: 'improvementtarget',
  shortName: 'it',
} as const;
export const RUN = {
  kind: 'ImprovementRun',
  plural: 'improvementruns',
  singular: 'improvementrun',
  shortName: 'ir',
} as const;

export const LABEL_TARGET = `${GROUP}/target`;
export const ANNOTATION_RUN_REQUESTED_AT = `${GROUP}/run-requested-at`;
/** A new value closes an open circuit breaker (what `kubectl improve resume` writes). */
export const ANNOTATION_CIRCUIT_RESET = `${GROUP}/circuit-reset`;

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

type Json = Record<string, unknown>;

const isEmptyObject = (v: unknown) =>
  !!v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;

/**
 * Plain OpenAPI v3 from a TypeBox schema. A property with a `default` is not
 * `required`: the API server fills it in, and it validates the default
 * itself (so `default: {}` must not require the fields it will default).
 */
export function structural(schema: TSchema): Json {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [k, v] of Object.entries(node)) out[k] = walk(v);
    const props = out.properties as Record<string, Json> | undefined;
    // Spell out `default: {}` with the children's defaults: the API server
    // validates a default as given, before nested defaults would apply.
    if (props && isEmptyObject(out.default)) {
      const filled: Json = {};
      for (const [name, child] of Object.entries(props))
        if (child.default !== undefined) filled[name] = child.default;
      out.default = filled;
    }
    if (props && Array.isArray(out.required)) {
      const required = (out.required as string[]).filter(
        (name) => props[name]?.default === undefined,
      );
      if (required.length) out.required = required;
      else delete out.required;
    }
    return out;
  };
  return walk(JSON.parse(JSON.stringify(schema))) as Json;
}

function crd(
  names: { kind: string; plural: string; singular: string; shortName: string },
  description: string,
  spec: TSchema,
  status: TSchema,
  columns: PrinterColumn[],
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: [names.shortName],
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description,
              required: ['spec'],
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: structural(spec),
                status: structural(status),
              },
            },
          },
        },
      ],
    },
  };
}

export const improvementTargetCrd = crd(
  TARGET,
  'ImprovementTarget: one git repository kept under continuous, test-gated improvement.',
  ImprovementTargetSpec,
  ImprovementTargetStatus,
  [
    { name: 'Repository', type: 'string', jsonPath: '.spec.repository.url' },
    { name: 'Schedule', type: 'string', jsonPath: '.spec.schedule' },
    { name: 'Suspended', type: 'boolean', jsonPath: '.spec.suspend' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Last Run', type: 'date', jsonPath: '.status.lastRun.completionTime' },
    { name: 'Last Result', type: 'string', jsonPath: '.status.lastRun.result' },
    // A string, not a date: kubectl renders future dates as <invalid>.
    { name: 'Next Run', type: 'string', jsonPath: '.status.nextScheduleTime' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    {
      name: 'Message',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].message',
      priority: 1,
    },
  ],
);

export const improvementRunCrd = crd(
  RUN,
  'ImprovementRun: one run against an ImprovementTarget; owns the Job that does the work.',
  ImprovementRunSpec,
  ImprovementRunStatus,
  [
    { name: 'Target', type: 'string', jsonPath: '.spec.targetRef.name' },
    { name: 'Trigger', type: 'string', jsonPath: '.spec.trigger' },
    { name: 'Type', type: 'string', jsonPath: '.status.improvement.type' },
    { name: 'Priority', type: 'string', jsonPath: '.status.improvement.priority' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'PR', type: 'string', jsonPath: '.status.pullRequest.url' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Reason', type: 'string', jsonPath: '.status.failure.reason', priority: 1 },
  ],
);

export const crds = [improvementTargetCrd, improvementRunCrd];
