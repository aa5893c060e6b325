// The workflow with the Gitea double: PR opened and recorded, a bug-labelled
// issue acted on once ramp-up is off, merged when the checks are green.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { startGiteaDouble, type GiteaDouble } from '../doubles/gitea/server.ts';
import { startOllamaDouble, type OllamaDouble } from '../doubles/ollama/server.ts';
import { createForge } from '../../src/forge/index.ts';
import type { Forge } from '../../src/forge/types.ts';
import { applyEdits } from '../../src/runner/edits/index.ts';
import { createImprover } from '../../src/runner/index.ts';
import { readImprovements } from '../../src/runner/state/index.ts';
import { runWorkflow } from '../../src/runner/workflow/run.ts';
import { DOC_EDIT, capturedLogger, planFor, sandbox, targetSpec, type Sandbox } from './support.ts';

const TOKEN = 'gitea_RunnerToken5566abc';
let gitea: GiteaDouble;
let ollama: OllamaDouble;
let sb: Sandbox;
beforeAll(async () => {
  gitea = await startGiteaDouble({ token: TOKEN });
  ollama = await startOllamaDouble({ models: ['codellama:7b-code'] });
});
afterAll(async () => {
  await gitea.close();
  await ollama.close();
});
afterEach(() => {
  expect(gitea.violations).toEqual([]);
  sb?.cleanup();
});

describe('Gitea forge', () => {
  it('opens the work PR, records it, and merges when the checks are green', async () => {
    sb = sandbox();
    gitea.addRepo('acme', 'demo', { bareRepoPath: sb.bare });
    const bug = gitea.addIssue('acme', 'demo', {
      title: 'add() needs a doc comment, it confuses callers',
      labels: ['opencode-bug'],
    });
    ollama.script([planFor(/^issue:/, 'Document add for callers'), DOC_EDIT]);
    const { logger } = capturedLogger();
    const spec = targetSpec(sb.url, {
      repository: { provider: 'gitea', apiUrl: gitea.url },
      model: { host: ollama.url },
      policy: { rampUp: false },
      autoMerge: true,
    });
    const real = createForge({
      provider: 'gitea',
      repoUrl: 'https://gitea.example.com/acme/demo.git',
      apiUrl: gitea.url,
      token: TOKEN,
      logger,
      tuning: { retryBaseMs: 1, retries: 1 },
    });
    // main requires ci/test, and CI reports green for whatever head the gate asks about.
    gitea.protectBranch('acme', 'demo', 'main', ['ci/test']);
    const forge: Forge = Object.assign(Object.create(real) as Forge, {
      mergeFacts: async (n: number) => {
        gitea.setCommitStatus(
          'acme',
          'demo',
          (await real.getPullRequest(n)).headSha,
          'success',
          'ci/test',
        );
        return real.mergeFacts(n);
      },
    });
    const { outcome } = await runWorkflow(
      {
        target: { name: 'demo', spec },
        run: { name: 'g-1', spec: { targetRef: { name: 'demo' }, trigger: 'schedule' } },
        workspace: sb.workspace,
        token: TOKEN,
      },
      { forge, improver: await createImprover(spec, { logger }), logger, applyEdits },
    );
    expect(outcome).toMatchObject({
      phase: 'Succeeded',
      improvement: { issue: bug, priority: 'P1', type: 'bugfix' },
      pullRequest: { merged: true },
    });
    const [pr] = gitea.pulls('acme', 'demo');
    expect(pr).toMatchObject({ head: 'develop', base: 'main', merged: true });
    expect(pr!.body).toContain(`Closes #${bug}`);
    expect(pr!.body).toContain('## Test result');
    const entry = readImprovements(sb.show('develop', '.opencode/IMPROVEMENTS.md') ?? '')[0];
    expect(entry).toMatchObject({ pr: pr!.number, type: 'bugfix' });
    expect(sb.show('main', 'src/math.js')).toContain('/** Adds two numbers. */');
  });
});
