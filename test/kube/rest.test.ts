// The lean request path (src/kube/rest.ts) against the real API server: the
// verbs the operator uses, errors classified as client-node's are (the
// reconcilers' isNotFound/isConflict/isAlreadyExists must keep working), and
// requests share pooled connections.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, test } from '@jest/globals';
import { isAlreadyExists, isConflict, isNotFound } from '../../src/kube/api.ts';
import { KubeHttpError, KubeRest } from '../../src/kube/rest.ts';
import { kubeConfig, useNamespace } from '../support/kube.ts';

const ns = useNamespace('rest');
const rest = () => new KubeRest(kubeConfig());
const cms = () => `/api/v1/namespaces/${ns()}/configmaps`;

interface ConfigMap {
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

const caught = async (p: Promise<unknown>): Promise<KubeHttpError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof KubeHttpError))
    throw new Error(`expected a KubeHttpError, got ${String(err)}`);
  return err;
};

describe('KubeRest', () => {
  test('create, get, merge patch, replace and delete', async () => {
    const r = rest();
    const created = await r.post<ConfigMap>(cms(), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'a' },
      data: { x: '1', y: '2' },
    });
    expect(created.metadata.resourceVersion).toBeTruthy();

    // Merge patch: a null removes a key, the others stay.
    const patched = await r.patch<ConfigMap>(`${cms()}/a`, { data: { x: null, z: '3' } });
    expect(patched.data).toEqual({ y: '2', z: '3' });

    const replaced = await r.put<ConfigMap>(`${cms()}/a`, { ...patched, data: { only: 'me' } });
    expect((await r.get<ConfigMap>(`${cms()}/a`)).data).toEqual({ only: 'me' });
    expect(replaced.metadata.resourceVersion).not.toBe(patched.metadata.resourceVersion);

    await r.delete(`${cms()}/a`, { apiVersion: 'v1', kind: 'DeleteOptions' });
    expect(isNotFound(await caught(r.get(`${cms()}/a`)))).toBe(true);
  });

  test('errors carry the status code and reason the reconcilers classify', async () => {
    const r = rest();
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' } };
    const first = await r.post<ConfigMap>(cms(), body);

    const missing = await caught(r.get(`${cms()}/nope`));
    expect(missing).toMatchObject({ statusCode: 404, reason: 'NotFound' });
    expect(missing.message).toContain('"nope" not found');

    const twice = await caught(r.post(cms(), body));
    expect(twice).toMatchObject({ statusCode: 409, reason: 'AlreadyExists' });
    expect(isAlreadyExists(twice)).toBe(true);

    await r.patch(`${cms()}/b`, { data: { bump: '1' } });
    const stale = await caught(r.put(`${cms()}/b`, { ...first, data: { late: 'write' } }));
    expect(stale).toMatchObject({ statusCode: 409, reason: 'Conflict' });
    expect(isConflict(stale)).toBe(true);

    const invalid = await caught(
      r.post(cms(), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Not_A_Name' } }),
    );
    expect(invalid).toMatchObject({ statusCode: 422, reason: 'Invalid' });
  });

  test('requests reuse pooled connections instead of a handshake each', async () => {
    const r = rest();
    await r.get(cms()); // the pool may already hold a connection; start from a warm one
    let connects = 0;
    const onConnect = () => connects++;
    subscribe('undici:client:connected', onConnect);
    try {
      for (let i = 0; i < 40; i++) await r.get(cms());
      await Promise.all(Array.from({ length: 8 }, () => r.get(cms())));
    } finally {
      unsubscribe('undici:client:connected', onConnect);
    }
    // Sequential requests ride one connection; 8 at once may open up to 8.
    expect(connects).toBeLessThanOrEqual(8);
  });
});
