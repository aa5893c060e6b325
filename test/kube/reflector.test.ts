// The reflector's cache against the real API server: its secondary indexes
// follow adds, changes, deletes and relists (so a reconcile reads a target's
// runs without scanning every run), and its transform keeps out what no
// controller reads (managedFields, kubectl's last-applied copy).
import { afterEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { listPath, type ObjectList } from '../../src/kube/api.ts';
import { KubeRest } from '../../src/kube/rest.ts';
import { Reflector } from '../../src/kube/reflector.ts';
import { kubeConfig, kubectlOk, useNamespace } from '../support/kube.ts';
import { waitFor } from '../support/wait.ts';

const ns = useNamespace('reflector');
const rest = () => new KubeRest(kubeConfig());

interface ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: unknown[];
  };
}

const path = () => `/api/v1/namespaces/${ns()}/configmaps`;
let reflector: Reflector<ConfigMap> | undefined;
afterEach(() => reflector?.stop());

function start(resyncMs?: number): Reflector<ConfigMap> {
  const r = new Reflector<ConfigMap>({
    name: 'configmaps',
    kc: kubeConfig(),
    logger: pino({ level: 'silent' }),
    namespaces: [ns()],
    list: (_ns, page) => rest().get<ObjectList<ConfigMap>>(listPath(path(), page)),
    pageSize: 2, // several pages even for a handful of objects
    watchPath: () => path(),
    labelSelector: 'reflector-test=yes',
    resyncMs,
    indexers: { owner: (cm) => (cm.metadata.labels?.owner ? [cm.metadata.labels.owner] : []) },
  });
  reflector = r;
  return r;
}

const cm = (name: string, owner?: string): ConfigMap => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels: { 'reflector-test': 'yes', ...(owner ? { owner } : {}) } },
});
const names = (r: Reflector<ConfigMap>, owner: string) =>
  r
    .byIndex('owner', owner)
    .map((o) => o.metadata.name)
    .sort();

describe('Reflector', () => {
  test('an index follows adds, relabels, deletes and a relist', async () => {
    await rest().post(path(), cm('listed-a', 'a'));
    await rest().post(path(), cm('listed-b', 'b'));
    await rest().post(path(), cm('listed-c', 'c'));
    await rest().post(path(), { ...cm('not-mine'), metadata: { name: 'not-mine' } });
    const r = start(1500);
    await r.start();
    // Two pages of two: every labelled object, and none without the label.
    expect(r.size).toBe(3);
    expect(r.get(`${ns()}/not-mine`)).toBeUndefined();
    expect(names(r, 'a')).toEqual(['listed-a']);

    await rest().post(path(), cm('watched-a', 'a'));
    await rest().post(path(), cm('unowned'));
    await waitFor(() => names(r, 'a').length === 2, { what: 'the watched add in the index' });
    expect(names(r, 'a')).toEqual(['listed-a', 'watched-a']);

    // Moving an object to another value takes it out of the old one.
    await rest().patch(`${path()}/listed-a`, { metadata: { labels: { owner: 'b' } } });
    await waitFor(() => names(r, 'b').length === 2, { what: 'the relabel' });
    expect(names(r, 'a')).toEqual(['watched-a']);
    expect(names(r, 'b')).toEqual(['listed-a', 'listed-b']);

    await rest().delete(`${path()}/watched-a`, { apiVersion: 'v1', kind: 'DeleteOptions' });
    await waitFor(() => names(r, 'a').length === 0, { what: 'the delete' });
    expect(r.byIndex('owner', 'nobody')).toEqual([]);

    // A relist that replaces every entry leaves the index as it was.
    const lists = r.stats.lists;
    await waitFor(() => r.stats.lists > lists, { timeoutMs: 10_000, what: 'a resync' });
    expect(names(r, 'b')).toEqual(['listed-a', 'listed-b']);
    expect(r.size).toBe(4);
    expect(() => r.byIndex('missing', 'x')).toThrow(/no index missing/);
  });

  test('cached objects carry no managedFields and no last-applied copy', async () => {
    // kubectl apply (client-side) writes the whole object into an annotation.
    await kubectlOk(['apply', '-n', ns(), '-f', '-'], {
      input: JSON.stringify({
        ...cm('applied', 'a'),
        metadata: { ...cm('applied', 'a').metadata, annotations: { kept: 'yes' } },
        data: { big: 'x'.repeat(4096) },
      }),
    });
    const onServer = await rest().get<ConfigMap>(`${path()}/applied`);
    expect(onServer.metadata.managedFields?.length).toBeGreaterThan(0);
    expect(Object.keys(onServer.metadata.annotations ?? {})).toContain(
      'kubectl.kubernetes.io/last-applied-configuration',
    );

    const r = start();
    await r.start();
    const listed = r.get(`${ns()}/applied`)!;
    expect(listed.metadata.managedFields).toBeUndefined();
    expect(listed.metadata.annotations).toEqual({ kept: 'yes' });

    // And what arrives through the watch, handed to the handlers, is the same.
    const seen: ConfigMap[] = [];
    r.on((_t, o) => seen.push(o));
    await rest().patch(`${path()}/applied`, { metadata: { labels: { owner: 'b' } } });
    const watched = await waitFor(() =>
      seen.find((o) => o.metadata.name === 'applied' && o.metadata.labels?.owner === 'b'),
    );
    expect(watched.metadata.managedFields).toBeUndefined();
    expect(watched.metadata.annotations).toEqual({ kept: 'yes' });
    expect(r.get(`${ns()}/applied`)?.metadata.managedFields).toBeUndefined();
  });
});
