// Finding a tool the runner shells out to: the caller's explicit path, else
// an environment variable the image sets, else the name on PATH.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first executable `name` on env.PATH; undefined when there is none. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `option`, else env[envVar], else `name` on PATH; undefined when none. */
export function resolveTool(
  name: string,
  envVar: string,
  opts: { option?: string; env?: NodeJS.ProcessEnv } = {},
): string | undefined {
  const env = opts.env ?? process.env;
  return opts.option || env[envVar] || onPath(name, env);
}
