// The three state files in <repo>/<stateDir>: read them, create the missing
// ones on the first run, and write updates (only the bot-owned parts change).
import { mkdir, writeFile } from 'node:fs/promises';
import { readRepoFileForPrompt } from '../improver/untrusted.ts';
import { join } from 'node:path';
import { initialImprovements, readImprovements, type ImprovementEntry } from './improvements-md.ts';
import { initialPlan, readPlan, type PlanItem } from './plan-md.ts';
import { initialState, readState, type StateView } from './state-md.ts';

export * from './improvements-md.ts';
export * from './plan-md.ts';
export * from './state-md.ts';

export const STATE_FILES = {
  state: 'STATE.md',
  plan: 'PLAN.md',
  improvements: 'IMPROVEMENTS.md',
} as const;
export type StateFile = keyof typeof STATE_FILES;

export const INIT_COMMIT_MESSAGE = 'chore: Initialize OpenCode state tracking';

export interface StateSnapshot {
  state: StateView;
  plan: PlanItem[];
  improvements: ImprovementEntry[];
  raw: Record<StateFile, string>;
}

export class StateStore {
  readonly repoDir: string;
  readonly stateDir: string;

  constructor(repoDir: string, stateDir: string) {
    this.repoDir = repoDir;
    this.stateDir = stateDir;
  }

  /** Repo-relative path of one state file. */
  path(file: StateFile): string {
    return `${this.stateDir}/${STATE_FILES[file]}`;
  }

  /** Creates the files that are missing; returns the repo-relative paths it created. */
  async init(date: string): Promise<string[]> {
    await mkdir(join(this.repoDir, this.stateDir), { recursive: true });
    const initial: Record<StateFile, string> = {
      state: initialState(date),
      plan: initialPlan(),
      improvements: initialImprovements(),
    };
    const created: string[] = [];
    for (const file of Object.keys(STATE_FILES) as StateFile[]) {
      if ((await this.readRaw(file)) !== undefined) continue;
      await this.write(file, initial[file]);
      created.push(this.path(file));
    }
    return created;
  }

  async readRaw(file: StateFile): Promise<string | undefined> {
    try {
      // Never through a symlink: a committed STATE.md -> /var/run/secrets/… must not be read or written.
      return await readRepoFileForPrompt(this.repoDir, this.path(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(): Promise<StateSnapshot> {
    const raw = {
      state: (await this.readRaw('state')) ?? '',
      plan: (await this.readRaw('plan')) ?? '',
      improvements: (await this.readRaw('improvements')) ?? '',
    };
    return {
      state: readState(raw.state),
      plan: readPlan(raw.plan),
      improvements: readImprovements(raw.improvements),
      raw,
    };
  }

  async write(file: StateFile, text: string): Promise<void> {
    await writeFile(join(this.repoDir, this.path(file)), text, 'utf8');
  }

  /** Applies fn to one file's text and writes the result. */
  async update(file: StateFile, fn: (text: string) => string): Promise<void> {
    await this.write(file, fn((await this.readRaw(file)) ?? ''));
  }

  /** A short excerpt for the model: status, focus, open plan items. */
  static summary(s: StateSnapshot): string {
    const open = s.plan.filter((p) => !p.done).map((p) => `- ${p.text}`);
    return [
      `Status: ${s.state.status ?? 'unknown'}`,
      `Focus: ${s.state.focus || '-'}`,
      s.state.recentChanges.length ? `Recent: ${s.state.recentChanges.slice(0, 3).join('; ')}` : '',
      open.length ? `Plan:\n${open.slice(0, 8).join('\n')}` : '',
    ]
      .filter(Boolean)
      .join('\n');
  }
}
