// TODO/FIXME markers in tracked source files. FIXME reads as a known bug
// (bugfix), TODO as work to do (refactoring); both are P3 evidence unless the
// decision matrix finds something more pressing.
import { tryReadRepoFile } from '../improver/untrusted.ts';
import type { Candidate } from '../types.ts';
import { SOURCE_EXT } from './files.ts';

export interface TodoMarker {
  path: string;
  line: number;
  kind: 'TODO' | 'FIXME';
  text: string;
}

const MARKER = /\b(TODO|FIXME)\b[:(\s-]*(.*)$/;
const MAX_FILE_BYTES = 512 * 1024;

export async function scanTodos(dir: string, files: string[], limit = 50): Promise<TodoMarker[]> {
  const out: TodoMarker[] = [];
  for (const path of files) {
    if (!SOURCE_EXT.test(path) || path.endsWith('.md')) continue;
    // Never through a symlink, never out of the repository (see tryReadRepoFile).
    const text = await tryReadRepoFile(dir, path);
    if (text === undefined || text.length > MAX_FILE_BYTES) continue;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length && out.length < limit; i++) {
      const m = MARKER.exec(lines[i] ?? '');
      if (m)
        out.push({ path, line: i + 1, kind: m[1] as 'TODO' | 'FIXME', text: (m[2] ?? '').trim() });
    }
  }
  return out;
}

export function todoCandidates(markers: TodoMarker[]): Candidate[] {
  return markers.map((m) => ({
    id: `todo:${m.path}:${m.line}`,
    type: m.kind === 'FIXME' ? 'bugfix' : 'refactoring',
    priority: 'P3',
    title: `Resolve ${m.kind} in ${m.path}:${m.line}${m.text ? `: ${m.text.slice(0, 80)}` : ''}`,
    detail: `${m.path}:${m.line}: ${m.kind} ${m.text}`,
    files: [m.path],
  }));
}
