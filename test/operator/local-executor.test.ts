// The local executor (runners as child processes, for the demo and laptops)
// against the real API server: the token comes from the Secret the target
// names, and two launches of one run at once (the target's reconcile and the
// run's own both launch it) start one runner, never two racing on a branch.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { LocalExecutor } from '../../src/controllers/local-executor.ts';
import type { ImprovementRun, ImprovementTarget } from '../../src/controllers/types.ts';
import { JOB_ENV } from '../../src/contracts/job-env.ts';
import { createLogger } from '../../src/util/logger.ts';
import { kubeConfig, useNamespace } from '../support/kube.ts';
import { waitFor } from '../support/wait.ts';

const ns = useNamespace('local-exec');
const TOKEN = 'ghp_localExecutorToken0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'opencode-local-exec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in runner: appends one line per start to a file, reporting whether
// it received the token, then exits.
const script = [
  "const { appendFileSync } = require('node:fs');",
  `appendFileSync(process.argv[1], process.env.${JOB_ENV.forgeToken} === ${JSON.stringify(TOKEN)} ? 'token\\n' : 'no token\\n');`,
].join('\n');

test('concurrent launches of one run start one runner, with the token from the Secret', async () => {
  const core = kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({
    namespace: ns(),
    body: { metadata: { name: 'gh' }, stringData: { token: TOKEN } },
  });
  const starts = join(dir, 'starts');
  const executor = new LocalExecutor({
    core,
    logger: createLogger({ level: 'silent' }),
    // `job` is appended as the runner's argument; the script ignores it.
    runnerCommand: [process.execPath, '-e', script, starts],
  });
  const target = {
    metadata: { namespace: ns(), name: 'svc', uid: 'u1' },
    spec: {
      repository: {
        url: 'https://github.com/acme/svc.git',
        credentialsSecretRef: { name: 'gh', key: 'token' },
      },
    },
  } as unknown as ImprovementTarget;
  const run = {
    metadata: { namespace: ns(), name: 'svc-1', uid: 'r1' },
    spec: { targetRef: { name: 'svc' }, trigger: 'manual' },
  } as unknown as ImprovementRun;

  await Promise.all([executor.launch(target, run), executor.launch(target, run)]);
  await waitFor(() => executor.observe(run).state === 'succeeded', { what: 'runner exit' });
  await executor.launch(target, run); // a later reconcile: still the same runner
  expect(readFileSync(starts, 'utf8')).toBe('token\n');
});
