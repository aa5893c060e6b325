// Small builders for Kubernetes structural-schema idioms that plain JSON
// Schema (and TypeBox) spell differently: string enums, int-or-string,
// CEL rules, string maps and metav1.Condition.
import Type from 'typebox';
import type { TSchema } from 'typebox';

/** A CEL rule as accepted by `x-kubernetes-validations`. */
export interface CelRule {
  rule: string;
  message: string;
  /** Reports the error on a sub-path such as `.commit`, so the message names the field. */
  fieldPath?: string;
  reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export const cel = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });

/** Kubernetes has no `const`/`anyOf` of literals in structural schemas: a string enum is `enum`. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** intstr.IntOrString in the structural form controller-gen emits. */
export const IntOrString = (options: Record<string, unknown> = {}) =>
  Type.Unsafe<number | string>({
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
    ...options,
  });

/** resource.Quantity: a number or a string such as 500m or 1Gi. */
export const Quantity = () =>
  IntOrString({
    pattern:
      '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
  });

/** map[string]string. TypeBox's Record emits patternProperties, which structural schemas forbid. */
export const StringMap = (options: Record<string, unknown> = {}) =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string' },
    ...options,
  });

/** map[string]V in the structural form. */
export const MapOf = <T extends TSchema>(value: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<Record<string, Type.Static<T>>>({
    type: 'object',
    additionalProperties: value,
    ...options,
  });

export const DateTime = (options: Record<string, unknown> = {}) =>
  Type.String({ format: 'date-time', ...options });

/** An object whose fields Kubernetes keeps as given (pod-spec fragments we pass through). */
export const Opaque = (options: Record<string, unknown> = {}) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    ...options,
  });

/** metav1.Condition, with the same validation the upstream type carries. */
export const Condition = Type.Object({
  type: Type.String({
    maxLength: 316,
    pattern:
      '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
  }),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  observedGeneration: Type.Optional(Type.Integer({ format: 'int64', minimum: 0 })),
  lastTransitionTime: DateTime(),
  reason: Type.String({
    minLength: 1,
    maxLength: 1024,
    pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
  }),
  message: Type.String({ maxLength: 32768 }),
});
export type Condition = Type.Static<typeof Condition>;

export const Conditions = Type.Array(Condition, {
  maxItems: 16,
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
});

/** A DNS-1123 subdomain name such as a Kubernetes object name. */
export const ObjectName = (options: Record<string, unknown> = {}) =>
  Type.String({
    minLength: 1,
    maxLength: 253,
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    ...options,
  });

export type { TSchema };
