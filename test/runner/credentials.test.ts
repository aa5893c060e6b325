// The forge token over a real smart-HTTP git remote that demands it: clone,
// push and the fast-forward of main authenticate through the env-scoped
// header, and the token appears in no file (the clone's .git included) and
// no log line.
import { afterEach, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createForge } from '../../src/forge/index.ts';
import { applyEdits } from '../../src/runner/edits/index.ts';
import { runWorkflow } from '../../src/runner/workflow/run.ts';
import { startOllamaDouble } from '../doubles/ollama/server.ts';
import { startHttpGit, type HttpGitServer } from './http-git.ts';
import { createImprover, outcomeLine } from '../../src/runner/index.ts';
import { DOC_EDIT, capturedLogger, planFor, sandbox, targetSpec, type Sandbox } from './support.ts';

const TOKEN = 'gho_HttpRemoteToken7788XYZ';
let sb: Sandbox;
let http: HttpGitServer | undefined;
afterEach(async () => {
  await http?.close();
  sb?.cleanup();
});

async function run(token: string | undefined) {
  sb = sandbox();
  http = await startHttpGit(sb.root, TOKEN);
  const ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
  try {
    ollama.script([planFor(/^docs:src\/math\.js$/), DOC_EDIT]);
    const { logger, lines } = capturedLogger();
    const spec = targetSpec(sb.url, { model: { host: ollama.url }, autoMerge: true });
    // The CRD admits https only; the test server speaks plain http on loopback.
    spec.repository.url = `${http.url}/remote.git`;
    const { outcome } = await runWorkflow(
      {
        target: { name: 'demo', spec },
        run: { name: 'r', spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
        workspace: sb.workspace,
        token,
      },
      {
        forge: createForge({ provider: 'git', repoUrl: spec.repository.url, logger }),
        improver: await createImprover(spec, { logger }),
        logger,
        applyEdits,
      },
      { keepWorkdir: true },
    );
    return { outcome, logs: lines() };
  } finally {
    await ollama.close();
  }
}

describe('token over an authenticated http remote', () => {
  it('clones, pushes and fast-forwards main with the token, which lands nowhere', async () => {
    const { outcome, logs } = await run(TOKEN);
    expect(outcome).toMatchObject({ phase: 'Succeeded', pullRequest: { merged: true } });
    expect(http!.requests.some((r) => r.path.endsWith('git-receive-pack'))).toBe(true);
    expect(http!.requests.every((r) => r.authorized)).toBe(true);
    expect(sb.show('main', 'src/math.js')).toContain('/** Adds two numbers. */');
    const encoded = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    for (const h of [logs, outcomeLine(outcome)]) {
      expect(h).not.toContain(TOKEN);
      expect(h).not.toContain(encoded);
    }
    // The clone is the one entry besides the shared dependency cache.
    const clone = join(
      sb.workspace,
      readdirSync(sb.workspace).find((e) => e !== '.cache')!,
    );
    expect(readFileSync(join(clone, '.git', 'config'), 'utf8')).toContain(
      `url = ${http!.url}/remote.git`,
    );
    const hits: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else {
          const text = readFileSync(p).toString('latin1');
          if (text.includes(TOKEN) || text.includes(encoded)) hits.push(p);
        }
      }
    };
    walk(sb.root);
    expect(hits).toEqual([]);
  });

  it('fails to clone without the token, with a clear reason', async () => {
    const { outcome } = await run(undefined);
    expect(outcome).toMatchObject({ phase: 'Failed', failure: { reason: 'CloneFailed' } });
    expect(http!.requests.every((r) => !r.authorized)).toBe(true);
  });
});
