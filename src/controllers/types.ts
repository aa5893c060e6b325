import type { KubeObject } from '../kube/api.ts';
import type {
  ImprovementRunSpec,
  ImprovementRunStatus,
  ImprovementTargetSpec,
  ImprovementTargetStatus,
} from '../crds/index.ts';

export interface ImprovementTarget extends KubeObject {
  spec: ImprovementTargetSpec;
  status?: ImprovementTargetStatus;
}

export interface ImprovementRun extends KubeObject {
  spec: ImprovementRunSpec;
  status?: ImprovementRunStatus;
}

export const TERMINAL_PHASES = ['Succeeded', 'NoChange', 'Failed'] as const;
export type TerminalPhase = (typeof TERMINAL_PHASES)[number];

export const isTerminal = (run: ImprovementRun): boolean =>
  (TERMINAL_PHASES as readonly string[]).includes(run.status?.phase ?? '');

export const targetKey = (namespace: string, name: string) => `target:${namespace}/${name}`;
export const runKey = (namespace: string, name: string) => `run:${namespace}/${name}`;
