export * from './definitions.ts';
export * from './improvement-target.ts';
export * from './improvement-run.ts';
export type { Condition } from './schema-helpers.ts';
