// How the plugin finds its cluster and namespace (as kubectl does), the
// errors users see when it cannot, and `kubectl improve` through our kubectl.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { stringify } from 'yaml';
import { GROUP, VERSION } from '../../src/crds/index.ts';
import { toPluginError } from '../../src/plugin/errors.ts';
import { installCrds, kubeConfig, kubectl, useNamespace } from '../support/kube.ts';
import { clients, createTarget, getTarget } from '../support/operator.ts';
import { node, plugin, pluginEntry } from './helpers.ts';

const ns = useNamespace('plugin-kc');
let dir = '';
let extra = '';
let server = '';

beforeAll(async () => {
  await installCrds();
  await createTarget(ns(), 'where', { schedule: '0 * * * *' });
  dir = mkdtempSync(join(tmpdir(), 'kubectl-improve-'));
  // Extra contexts only, merged through KUBECONFIG=<original>:<extra> as
  // kubectl merges: they reuse the original cluster and user by name, so no
  // credential is copied to another file.
  const kc = kubeConfig();
  const current = kc.getContextObject(kc.getCurrentContext());
  if (!current) throw new Error('the test kubeconfig has no current context');
  server = kc.getCurrentCluster()?.server ?? '';
  extra = join(dir, 'extra.kubeconfig');
  writeFileSync(
    extra,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [],
      // No credentials: the API server sees system:anonymous.
      users: [{ name: 'plugin-anonymous', user: {} }],
      contexts: [
        {
          name: 'plugin-ns',
          context: { cluster: current.cluster, user: current.user, namespace: ns() },
        },
        {
          name: 'plugin-anon',
          context: { cluster: current.cluster, user: 'plugin-anonymous', namespace: ns() },
        },
      ],
    }),
  );
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const merged = () => ({ KUBECONFIG: `${process.env.KUBECONFIG}${delimiter}${extra}` });

describe('namespace and context', () => {
  test('-n is honoured; without it the context has no namespace, so "default" is used', async () => {
    const withNs = await plugin(['status', 'where', '-n', ns()]);
    expect(withNs.code).toBe(0);
    expect(withNs.stdout).toMatch(/^Name: +where$/m);
    const without = await plugin(['status', 'where']);
    expect(without).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: improvementtarget "where" not found in namespace "default"\n',
    });
  });

  test("--context selects a context, and that context's namespace is the default", async () => {
    const r = await plugin(['--context', 'plugin-ns', 'suspend', 'where'], merged());
    expect(r).toMatchObject({
      code: 0,
      stdout: 'improvementtarget.opencode.dev/where suspended\n',
    });
    expect((await getTarget(ns(), 'where')).spec.suspend).toBe(true);
    // -n still wins over the context's namespace.
    const other = await plugin(
      ['--context', 'plugin-ns', '-n', 'kube-system', 'resume', 'where'],
      merged(),
    );
    expect(other.stderr).toBe(
      'error: improvementtarget "where" not found in namespace "kube-system"\n',
    );
    expect((await getTarget(ns(), 'where')).spec.suspend).toBe(true);
    // The same files without --context use the current context (no namespace).
    const current = await plugin(['resume', 'where'], merged());
    expect(current.stderr).toContain('in namespace "default"');
    const resumed = await plugin(['resume', 'where', '--context', 'plugin-ns'], merged());
    expect(resumed.code).toBe(0);
    expect((await getTarget(ns(), 'where')).spec.suspend).toBe(false);
  });

  test('an unknown context is a clear error', async () => {
    const r = await plugin(['--context', 'nope', 'status', 'where']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'error: context "nope" not found in kubeconfig\n',
    });
  });
});

describe('clear errors, exit code 1, never a stack trace', () => {
  test('a missing target', async () => {
    const subs: Array<[string, ...string[]]> = [
      ['status'],
      ['suspend'],
      ['resume'],
      ['run'],
      ['rollback', '--reset'],
    ];
    for (const [sub, ...flags] of subs) {
      const r = await plugin(['-n', ns(), sub, 'nope', ...flags]);
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr: `error: improvementtarget "nope" not found in namespace "${ns()}"\n`,
      });
    }
  });

  test('no cluster reachable', async () => {
    // A port that was just free: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const file = join(dir, 'down.kubeconfig');
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'down', cluster: { server: `https://127.0.0.1:${port}` } }],
        users: [{ name: 'nobody', user: {} }],
        contexts: [{ name: 'down', context: { cluster: 'down', user: 'nobody' } }],
        'current-context': 'down',
      }),
    );
    const r = await plugin(['--kubeconfig', file, 'status', 'where']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: no cluster reachable at https://127.0.0.1:${port}: ECONNREFUSED\n`,
    });
    const missing = await plugin(['--kubeconfig', join(dir, 'absent'), 'status', 'where']);
    expect(missing.stderr).toBe(`error: kubeconfig "${join(dir, 'absent')}" does not exist\n`);
  });

  test('forbidden by RBAC: the server says who may not do what, and nothing changes', async () => {
    const before = await getTarget(ns(), 'where');
    const r = await plugin(['--context', 'plugin-anon', 'suspend', 'where'], merged());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      /^error: forbidden: improvementtargets\.opencode\.dev "where" is forbidden: User "system:anonymous" cannot patch resource "improvementtargets" in API group "opencode\.dev" in the namespace "plugin-kc-[0-9a-f]+"\n$/,
    );
    expect((await getTarget(ns(), 'where')).metadata.resourceVersion).toBe(
      before.metadata.resourceVersion,
    );
  });

  test('CRDs not installed: the real 404 for an unserved resource is explained', async () => {
    // Removing the shared CRDs would break concurrent suites, so ask the
    // server for a resource it does not serve and classify its real answer.
    const err = await clients()
      .custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns(),
        plural: 'improvementwidgets',
        name: 'where',
      })
      .catch((e: unknown) => e);
    const e = toPluginError(err, {
      kind: 'improvementtarget',
      name: 'where',
      namespace: ns(),
      server,
    });
    expect(e.message).toBe(
      `the server at ${server} does not serve improvementtargets.opencode.dev: are the opencode-operator CRDs installed? (kubectl apply -f config/crd)`,
    );
    // While a missing object of a served resource is "not found".
    const missing = await clients()
      .custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns(),
        plural: 'improvementtargets',
        name: 'absent',
      })
      .catch((x: unknown) => x);
    expect(
      toPluginError(missing, { kind: 'improvementtarget', name: 'absent', namespace: ns(), server })
        .message,
    ).toBe(`improvementtarget "absent" not found in namespace "${ns()}"`);
  });

  test('bad usage is refused by the argument parser', async () => {
    const r = await plugin(['status']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: missing required argument 'target'");
    const u = await plugin(['frobnicate', 'x']);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain("error: unknown command 'frobnicate'");
  });
});

test('our kubectl finds kubectl-improve on PATH and runs it as `kubectl improve`', async () => {
  const bin = join(dir, 'bin');
  const wrapper = join(bin, 'kubectl-improve');
  mkdirSync(bin);
  writeFileSync(wrapper, `#!/bin/sh\nexec "${node}" "${pluginEntry}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  const env = { PATH: `${bin}${delimiter}${process.env.PATH}` };
  const list = await kubectl(['plugin', 'list'], { env });
  expect(list.stdout).toContain(wrapper);
  const r = await kubectl(['improve', '-n', ns(), 'status', 'where'], { env });
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^Name: +where$/m);
  expect(r.stdout).toMatch(new RegExp(`^Namespace: +${ns()}$`, 'm'));
  const help = await kubectl(['improve', '--help'], { env });
  expect(help.stdout).toContain('Usage: kubectl improve');
});
