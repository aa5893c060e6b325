// One case per subcommand against the real API server: the object on the
// server is what a user would get from the equivalent `kubectl patch`.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { ANNOTATION_RUN_REQUESTED_AT } from '../../src/crds/index.ts';
import { installCrds, kubectlOk, useNamespace } from '../support/kube.ts';
import { createTarget, getTarget } from '../support/operator.ts';
import { sleep } from '../support/wait.ts';
import { condition, createRun, patchStatus, plugin } from './helpers.ts';

const ns = useNamespace('plugin');
beforeAll(installCrds);

const improve = (...args: string[]) => plugin(['-n', ns(), ...args]);

test('--help lists every subcommand, each subcommand has its own help, --version prints', async () => {
  const help = await plugin(['--help']);
  expect(help.code).toBe(0);
  for (const sub of ['suspend', 'resume', 'run', 'rollback', 'status'])
    expect(help.stdout).toMatch(new RegExp(`^  ${sub} .*<target>`, 'm'));
  for (const flag of ['--namespace', '--context', '--kubeconfig', '--version'])
    expect(help.stdout).toContain(flag);
  const rb = await plugin(['rollback', '-h']);
  expect(rb.code).toBe(0);
  for (const flag of ['--commit <sha>', '--run <run-name>', '--reset'])
    expect(rb.stdout).toContain(flag);
  const st = await plugin(['status', '--help']);
  expect(st.stdout).toContain('-o, --output <format>');
  const v = await plugin(['--version']);
  expect(v).toMatchObject({ code: 0, stdout: '0.1.0\n' });
});

test('suspend and resume toggle spec.suspend, as the merge patch by hand does', async () => {
  await createTarget(ns(), 'toggle', { schedule: '0 * * * *' });
  const s = await improve('suspend', 'toggle');
  expect(s).toMatchObject({ code: 0, stderr: '' });
  expect(s.stdout).toBe('improvementtarget.opencode.dev/toggle suspended\n');
  const suspended = await getTarget(ns(), 'toggle');
  expect(suspended.spec.suspend).toBe(true);

  // The same request by hand leaves the object where the plugin left it.
  await kubectlOk([
    'patch',
    '-n',
    ns(),
    'improvementtarget',
    'toggle',
    '--type=merge',
    '-p',
    '{"spec":{"suspend":true}}',
  ]);
  expect((await getTarget(ns(), 'toggle')).metadata.generation).toBe(suspended.metadata.generation);

  const r = await improve('resume', 'toggle');
  expect(r).toMatchObject({ code: 0, stdout: 'improvementtarget.opencode.dev/toggle resumed\n' });
  expect((await getTarget(ns(), 'toggle')).spec.suspend).toBe(false);
});

test('run sets the run-requested-at annotation to the current RFC 3339 time, new on each call', async () => {
  await createTarget(ns(), 'runnow', { schedule: '0 * * * *' });
  const before = Date.now();
  expect((await improve('run', 'runnow')).code).toBe(0);
  const first = (await getTarget(ns(), 'runnow')).metadata.annotations[ANNOTATION_RUN_REQUESTED_AT];
  expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  expect(Date.parse(first)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(first)).toBeLessThanOrEqual(Date.now());
  await sleep(5);
  const again = await improve('run', 'runnow');
  expect(again.stdout).toContain(`${ANNOTATION_RUN_REQUESTED_AT}=`);
  const second = (await getTarget(ns(), 'runnow')).metadata.annotations[
    ANNOTATION_RUN_REQUESTED_AT
  ];
  expect(second).not.toBe(first);
  expect(Date.parse(second)).toBeGreaterThan(Date.parse(first));
  expect((await getTarget(ns(), 'runnow')).spec.suspend).toBe(false); // nothing else touched
});

describe('rollback', () => {
  test('each mode sets spec.rollback with exactly that mode and a new id', async () => {
    await createTarget(ns(), 'rb', { schedule: '0 * * * *' });
    const ids = new Set<string>();
    const modes: Array<[string[], Record<string, unknown>]> = [
      [['--commit', '4f2a9c1'], { commit: '4f2a9c1' }],
      [['--run', 'rb-29384756'], { run: 'rb-29384756' }],
      [['--reset'], { resetWorkBranch: true }],
      [
        ['--commit', 'abcdef0123456789abcdef0123456789abcdef01'],
        { commit: 'abcdef0123456789abcdef0123456789abcdef01' },
      ],
    ];
    for (const [flags, expected] of modes) {
      const r = await improve('rollback', 'rb', ...flags);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const { id, ...rest } = (await getTarget(ns(), 'rb')).spec.rollback;
      // Only the chosen mode: the previous one is gone, not merged in.
      expect(rest).toEqual(expected);
      expect(id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
      expect(r.stdout).toContain(`id ${id}`);
      ids.add(id);
    }
    expect(ids.size).toBe(modes.length);
  });

  test('zero or two modes are refused with a clear error and nothing changes', async () => {
    await createTarget(ns(), 'rbbad', { schedule: '0 * * * *' });
    const before = await getTarget(ns(), 'rbbad');
    const none = await improve('rollback', 'rbbad');
    expect(none).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'error: rollback needs exactly one of --commit <sha>, --run <run-name> or --reset; got none\n',
    });
    const two = await improve('rollback', 'rbbad', '--commit', '4f2a9c1', '--reset');
    expect(two.code).toBe(1);
    expect(two.stderr).toBe(
      'error: rollback needs exactly one of --commit <sha>, --run <run-name> or --reset; got --commit and --reset\n',
    );
    const notSha = await improve('rollback', 'rbbad', '--commit', 'HEAD~1');
    expect(notSha.code).toBe(1);
    expect(notSha.stderr).toMatch(/^error: --commit "HEAD~1" is not a commit sha/);
    const after = await getTarget(ns(), 'rbbad');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.spec.rollback).toBeUndefined();
  });
});

describe('status', () => {
  test('a suspended target: its fields, and why it is not acting', async () => {
    await createTarget(ns(), 'st-susp', {
      schedule: '0 8,20 * * *',
      timeZone: 'Europe/Berlin',
      suspend: true,
    });
    const r = await improve('status', 'st-susp');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^Name: +st-susp$/m);
    expect(r.stdout).toMatch(new RegExp(`^Namespace: +${ns()}$`, 'm'));
    expect(r.stdout).toMatch(/^Repository: +https:\/\/github\.com\/acme\/demo\.git \(github\)$/m);
    expect(r.stdout).toMatch(/^Schedule: +0 8,20 \* \* \* \(Europe\/Berlin\)$/m);
    expect(r.stdout).toMatch(/^Suspended: +true$/m);
    expect(r.stdout).toMatch(
      /^Not acting: +suspended: no scheduled runs until resumed \(kubectl improve resume st-susp\)/m,
    );
    expect(r.stdout).toMatch(/^Recent runs:\n {2}<none>$/m);
  });

  test('a stalled target shows the Stalled message as the reason', async () => {
    await createTarget(ns(), 'st-stall', { schedule: '0 * * * *', timeZone: 'Mars/Olympus' });
    const message = 'spec.timeZone "Mars/Olympus" is not an IANA time zone; fix spec.timeZone';
    await patchStatus(ns(), 'improvementtargets', 'st-stall', {
      observedGeneration: 1,
      phase: 'Stalled',
      conditions: [
        condition('Ready', 'False', 'InvalidTimeZone', message),
        condition('Stalled', 'True', 'InvalidTimeZone', message),
      ],
    });
    // A pending run request does not hide the stall: a stalled target handles no requests.
    await improve('run', 'st-stall');
    const r = await improve('status', 'st-stall');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Phase: +Stalled$/m);
    expect(r.stdout).toContain(`Not acting:       stalled (InvalidTimeZone): ${message}\n`);
    expect(r.stdout).toMatch(
      new RegExp(
        `^  Stalled +True +InvalidTimeZone +${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`,
        'm',
      ),
    );
  });

  test('an idle target waits for its next slot; runs are listed newest first with their details', async () => {
    await createTarget(ns(), 'st-idle', { schedule: '0 * * * *' });
    const next = new Date(Date.now() + 2 * 3600_000 + 30 * 60_000)
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    await patchStatus(ns(), 'improvementtargets', 'st-idle', {
      observedGeneration: 1,
      phase: 'Idle',
      conditions: [condition('Ready', 'True', 'Scheduled', `next run ${next}`)],
      nextScheduleTime: next,
      lastRun: { name: 'st-idle-b', result: 'Failed', completionTime: '2026-01-01T00:00:00Z' },
      totals: { runs: 12, succeeded: 9, failed: 2, noChange: 1, merged: 7, reverted: 1 },
      coverage: { current: 72.4, previous: 67.1 },
      quality: { current: 3, previous: 5 },
      security: {
        findings: { critical: 1, high: 0, medium: 2, low: 0, unknown: 0 },
        scanner: 'osv-scanner 2.5.1',
        run: 'st-idle-b',
      },
      yields: [
        {
          type: 'tests',
          attempts: 5,
          kept: 1,
          failed: 4,
          reverted: 0,
          noChange: 0,
          streak: 4,
          backoffUntilRun: 14,
        },
        {
          type: 'documentation',
          attempts: 4,
          kept: 4,
          failed: 0,
          reverted: 1,
          noChange: 0,
          streak: 0,
        },
      ],
      openPullRequests: 1,
    });
    // Created a second apart so creation time, not name, decides the order.
    await createRun(ns(), 'st-idle-b', 'st-idle');
    await patchStatus(ns(), 'improvementruns', 'st-idle-b', {
      phase: 'Failed',
      failure: { reason: 'TestsFailed', message: '2 tests failed' },
    });
    await sleep(1100);
    await createRun(ns(), 'st-idle-a', 'st-idle', 'manual');
    await patchStatus(ns(), 'improvementruns', 'st-idle-a', {
      phase: 'Succeeded',
      improvement: { type: 'tests', priority: 'P2', title: 'cover parser' },
      pullRequest: { number: 42, url: 'https://github.com/acme/demo/pull/42' },
    });
    await createRun(ns(), 'other-run', 'someone-else');

    const r = await improve('status', 'st-idle');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^Not acting: +waiting for the next slot at ${next} \\(in 2h (29|30)m\\)$`, 'm'),
    );
    expect(r.stdout).toMatch(
      /^Totals: +runs 12, succeeded 9, failed 2, no change 1, merged 7, reverted 1$/m,
    );
    expect(r.stdout).toMatch(/^Coverage: +72\.4% \(previous 67\.1%\)$/m);
    expect(r.stdout).toMatch(/^Quality: +3 findings \(previous 5\)$/m);
    expect(r.stdout).toMatch(
      /^Security: +1 critical, 2 medium \(osv-scanner 2\.5\.1, run st-idle-b\)$/m,
    );
    expect(r.stdout).toMatch(
      /^Yield by type: +tests 1\/5 \(backing off until run 14\), documentation 3\/4$/m,
    );
    expect(r.stdout).toMatch(/^Open PRs: +1$/m);
    expect(r.stdout).toMatch(/^Last run: +st-idle-b {2}Failed {2}at 2026-01-01T00:00:00Z$/m);
    const runs = r.stdout.slice(r.stdout.indexOf('Recent runs:')).split('\n').slice(1, -1);
    expect(runs[0]).toMatch(/^ {2}NAME +TRIGGER +PHASE +TYPE +PRIORITY +PR +REASON +AGE$/);
    expect(runs[1]).toMatch(
      /^ {2}st-idle-a +manual +Succeeded +tests +P2 +https:\/\/github\.com\/acme\/demo\/pull\/42 +- +\d+s$/,
    );
    expect(runs[2]).toMatch(/^ {2}st-idle-b +schedule +Failed +- +- +- +TestsFailed +\d+s$/);
    expect(runs).toHaveLength(3); // the other target's run is not listed

    const json = await improve('status', 'st-idle', '-o', 'json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.target.metadata.name).toBe('st-idle');
    expect(report.target.status.nextScheduleTime).toBe(next);
    expect(report.runs.map((x: any) => x.metadata.name)).toEqual(['st-idle-a', 'st-idle-b']);
    expect(report.why).toMatchObject({ activity: 'waiting', acting: false });
    const yaml = parse((await improve('status', 'st-idle', '-o', 'yaml')).stdout);
    expect(yaml.runs[0].status.pullRequest.number).toBe(42);
    const one = JSON.parse(
      (await improve('status', 'st-idle', '--runs', '1', '-o', 'json')).stdout,
    );
    expect(one.runs.map((x: any) => x.metadata.name)).toEqual(['st-idle-a']);
  });

  test('an unknown output format is refused', async () => {
    const r = await improve('status', 'st-idle', '-o', 'xml');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("argument 'xml' is invalid");
  });
});
