// The demo, as a newcomer runs it, in a bounded mode: it must end with a new
// commit on the sample remote's work branch, a Succeeded run with its test
// result, and nothing left running or on disk.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect, test } from '@jest/globals';
import { repoRoot } from '../support/kube.ts';
import { realNodeUnsupported } from '../node/prepare.ts';

function processesMentioning(text: string): string[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .flatMap((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmd.includes(text) ? [cmd] : [];
      } catch {
        return [];
      }
    });
}

test('npm run demo -- --timeout 300 improves the sample repository end to end and cleans up', async () => {
  const env = { ...process.env };
  delete env.OLLAMA_HOST; // the built-in improver: no model needed
  delete env.KUBECONFIG; // the demo brings its own control plane
  const proc = spawn('npm', ['run', 'demo', '--', '--timeout', '300'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  expect({ code, tail: code === 0 ? '' : out.slice(-3000) }).toEqual({ code: 0, tail: '' });

  // It says which executor it used: Jobs on a real node wherever one can run.
  if (realNodeUnsupported()) expect(out).toContain('Executor: local, runners as child processes');
  else {
    expect(out).toContain('Executor: Jobs, whose pods run on a real node on this machine');
    const pods = out.slice(out.indexOf("==> The run's Job and its pod on the real node"));
    expect(pods).toMatch(
      /pod\/sample-app-\S+\s+0\/2\s+Completed\s+0\s+\S+\s+\S+\s+ocn-[0-9a-f]{6}/,
    );
  }

  // The run: Succeeded, with the tests that gated it.
  expect(out).toMatch(
    /improvementrun\.opencode\.dev\/sample-app-\S+\s+sample-app\s+manual\s+style\s+P3\s+Succeeded/,
  );
  expect(out).toMatch(/"passed": true/);
  expect(out).toContain('"command": "npm test"');
  // The work branch on the remote carries the improvement after the state-tracking commit.
  const branch = out.slice(out.indexOf('==> The work branch develop'));
  expect(branch).toMatch(/\(develop\) chore\(opencode\)/);
  expect(branch).toMatch(/[0-9a-f]{7} style\(/);
  expect(branch).toContain('chore: Initialize OpenCode state tracking');
  expect(out).toMatch(/==> \.opencode\/IMPROVEMENTS\.md[\s\S]*\*\*Type\*\*: style/);

  // Nothing left: the control plane's directory is gone and no process refers to it.
  const cpDir = /kubeconfig (\/tmp\/opencode-cp-[^/\s]+)\//.exec(out)?.[1];
  const remote = /working directory (\/tmp\/opencode-demo-[^/\s)]+)\)/.exec(out)?.[1];
  expect(cpDir && remote).toBeTruthy();
  expect(existsSync(cpDir!)).toBe(false);
  expect(existsSync(remote!)).toBe(false);
  expect(processesMentioning(cpDir!)).toEqual([]);
  expect(out).toContain('demo: done; everything it started has been stopped and removed.');
}, 320_000);
