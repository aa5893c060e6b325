// The Secret check a target's validation makes, against the real API server:
// found, missing, missing key; a complete Secret is trusted for
// SECRET_VALID_MS of clock time and checked again after; a missing one is
// never cached, so creating it is seen at the next check.
import { describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeApi } from '../../src/kube/api.ts';
import { SECRET_VALID_MS, SecretChecks } from '../../src/controllers/secret-checks.ts';
import { kubeConfig, useNamespace } from '../support/kube.ts';
import { waitFor } from '../support/wait.ts';

const ns = useNamespace('secrets');
const core = () => kubeConfig().makeApiClient(CoreV1Api);
const t0 = new Date('2026-12-01T08:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('SecretChecks', () => {
  test('missing, missing key, then found; a found Secret holds for its validity only', async () => {
    const checks = new SecretChecks(new KubeApi(kubeConfig()));
    expect(await checks.check(ns(), 'token', 'token', t0)).toBe('missing');

    await core().createNamespacedSecret({
      namespace: ns(),
      body: { metadata: { name: 'token' }, stringData: { other: 'x' } },
    });
    // Not cached while missing: the new Secret is seen at once (the watch cache catches up within ms).
    await waitFor(async () => (await checks.check(ns(), 'token', 'token', t0)) === 'no-key', {
      what: 'no-key',
    });

    await core().replaceNamespacedSecret({
      name: 'token',
      namespace: ns(),
      body: { metadata: { name: 'token' }, stringData: { token: 's3cret' } },
    });
    await waitFor(async () => (await checks.check(ns(), 'token', 'token', t0)) === 'ok', {
      what: 'ok',
    });

    await core().deleteNamespacedSecret({ name: 'token', namespace: ns() });
    await waitFor(
      async () =>
        (await new SecretChecks(new KubeApi(kubeConfig())).check(ns(), 'token', 'token', t0)) ===
        'missing',
      { what: 'the deletion to reach the watch cache' },
    );
    // Trusted within its validity, checked again after it.
    expect(await checks.check(ns(), 'token', 'token', at(SECRET_VALID_MS - 1000))).toBe('ok');
    expect(await checks.check(ns(), 'token', 'token', at(SECRET_VALID_MS + 1000))).toBe('missing');
  });
});
