// The real test-container loop, run by /bin/sh as a child process against a
// temp dir: what the Job's test container does, minus the container.
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  envFile,
  requestStop,
  runRemote,
  startHeartbeat,
  submitRequest,
  testLoopCommand,
} from './test-container-protocol.ts';

const root = mkdtempSync(join(tmpdir(), 'oc-remote-'));
const loops: ChildProcess[] = [];
afterAll(() => {
  for (const l of loops) if (l.exitCode === null) l.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

function startLoop(bench: string) {
  const [file, ...args] = testLoopCommand(bench);
  const child = spawn(file!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  loops.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { child, exited };
}

function fresh(name: string) {
  const bench = join(root, name);
  const work = join(bench, 'tree');
  mkdirSync(work, { recursive: true });
  return { bench, work };
}

describe('the test container loop (real /bin/sh)', () => {
  test('runs a request in its directory with its env; output and exit code come back', async () => {
    const { bench, work } = fresh('basic');
    const loop = startLoop(bench);
    const r = await runRemote(bench, {
      dir: work,
      command: 'echo "in $(pwd) $GREETING"; echo err >&2; exit 3',
      timeoutSeconds: 20,
      env: { GREETING: 'it\'s $HOME `x` "q"' },
    });
    expect(r).toMatchObject({ exitCode: 3, timedOut: false, oomKilled: false });
    expect(readFileSync(r.outputFile, 'utf8')).toBe(`in ${work} it's $HOME \`x\` "q"\nerr\n`);
    // The request itself is gone once answered.
    expect(readdirSync(join(bench, 'requests')).filter((f) => !f.startsWith(r.id))).toEqual([]);

    await requestStop(bench);
    expect(await loop.exited).toBe(0);
  });

  test('a timeout kills the command and everything it started', async () => {
    const { bench, work } = fresh('timeout');
    const loop = startLoop(bench);
    const started = Date.now();
    // A duration no other process on the machine sleeps (another suite may run this test at once).
    const sleep = `sleep 37.${process.pid}`;
    const r = await runRemote(bench, {
      dir: work,
      command: `(${sleep}; touch late) & sleep 30; echo never`,
      timeoutSeconds: 1,
      env: {},
    });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readFileSync(r.outputFile, 'utf8')).not.toContain('never');
    await requestStop(bench);
    expect(await loop.exited).toBe(0);
    expect(existsSync(join(work, 'late'))).toBe(false);
    // The background job went with the group (setsid puts the command at its head).
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toContain(sleep);
  });

  test('serves requests one after another, and a stop file ends the loop', async () => {
    const { bench, work } = fresh('many');
    const loop = startLoop(bench);
    const a = await runRemote(bench, {
      dir: work,
      command: 'echo a > a',
      timeoutSeconds: 5,
      env: {},
    });
    const b = await runRemote(bench, { dir: work, command: 'cat a', timeoutSeconds: 5, env: {} });
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    expect(readFileSync(b.outputFile, 'utf8')).toBe('a\n');
    await requestStop(bench);
    expect(await loop.exited).toBe(0);
  });

  test('the loop exits when the runner stopped touching its alive file', async () => {
    const { bench } = fresh('orphan');
    writeFileSync(join(bench, 'alive'), '');
    const old = new Date(Date.now() - 3 * 60_000);
    utimesSync(join(bench, 'alive'), old, old);
    const loop = startLoop(bench);
    // It checks every two idle seconds.
    expect(await loop.exited).toBe(0);
    expect(existsSync(join(bench, 'stop'))).toBe(false);
  }, 10_000);

  test('a fresh alive file keeps it serving', async () => {
    const { bench, work } = fresh('alive');
    const stopBeat = startHeartbeat(bench, () => undefined);
    const loop = startLoop(bench);
    await new Promise((r) => setTimeout(r, 3_000));
    const r = await runRemote(bench, { dir: work, command: 'true', timeoutSeconds: 5, env: {} });
    expect(r.exitCode).toBe(0);
    stopBeat();
    await requestStop(bench);
    expect(await loop.exited).toBe(0);
  }, 10_000);

  test('with no loop the runner gives up after the timeout and its grace, and withdraws the request', async () => {
    const { bench, work } = fresh('nobody');
    const r = await runRemote(
      bench,
      { dir: work, command: 'true', timeoutSeconds: 1, env: {} },
      { graceSeconds: -5.5, pollMs: 50 },
    );
    expect(r).toMatchObject({ exitCode: null, timedOut: true });
    expect(r.problem).toMatch(/did not answer/);
    expect(readdirSync(join(bench, 'requests'))).toEqual([]);
  });

  test('a request is written whole: the loop never sees a half-written one', async () => {
    const { bench, work } = fresh('atomic');
    const id = await submitRequest(bench, {
      dir: work,
      command: 'true',
      timeoutSeconds: 1,
      env: {},
    });
    const entries = readdirSync(join(bench, 'requests'));
    expect(entries).toEqual([`${id}.req`]);
    expect(readdirSync(join(bench, 'requests', `${id}.req`)).sort()).toEqual([
      'command',
      'dir',
      'env',
      'timeout',
    ]);
  });

  test('SIGTERM ends the loop at once with 143, even while a command runs', async () => {
    const { bench, work } = fresh('term');
    const loop = startLoop(bench);
    await submitRequest(bench, { dir: work, command: 'sleep 30', timeoutSeconds: 60, env: {} });
    const runDir = () => readdirSync(join(bench, 'requests')).some((e) => e.endsWith('.run'));
    for (let i = 0; i < 100 && !runDir(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(runDir()).toBe(true);
    const sent = Date.now();
    loop.child.kill('SIGTERM');
    expect(await loop.exited).toBe(143);
    expect(Date.now() - sent).toBeLessThan(5000);
  });

  test('env names are checked and values quoted', () => {
    expect(envFile({ A: "x'y" })).toBe(`export A='x'\\''y'\n`);
    expect(() => envFile({ 'A;rm': 'x' })).toThrow(/bad env name/);
  });
});
