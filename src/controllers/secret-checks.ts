// Checks that the Secrets a target refers to exist and hold their keys. The
// operator may only get Secrets (no list, no watch: least privilege), so a
// check is a GET; a Secret found complete is trusted for SECRET_VALID_MS.
// The schedule step wakes a target with Secrets PREPARE_MS before its slot,
// so that at the slot itself its run and Job go out without this round trip.
import { isNotFound, type KubeApi } from '../kube/api.ts';

export const SECRET_VALID_MS = 60_000;
/** How long before a slot a target with Secrets is checked, so that the slot finds the check fresh. */
export const PREPARE_MS = 10_000;
const MAX_ENTRIES = 10_000;

export type SecretCheck = 'ok' | 'missing' | 'no-key';

export class SecretChecks {
  private readonly api: KubeApi;
  /** `namespace/name/key` → until when the last successful check holds (clock time, ms). */
  private readonly valid = new Map<string, number>();

  constructor(api: KubeApi) {
    this.api = api;
  }

  async check(namespace: string, name: string, key: string, now: Date): Promise<SecretCheck> {
    const id = `${namespace}/${name}/${key}`;
    if ((this.valid.get(id) ?? 0) > now.getTime()) return 'ok';
    this.valid.delete(id);
    let secret: { data?: Record<string, string>; stringData?: Record<string, string> };
    try {
      // resourceVersion=0: served from the API server's watch cache, not a quorum read of etcd.
      secret = await this.api.rest.get(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}?resourceVersion=0`,
      );
    } catch (err) {
      if (isNotFound(err)) return 'missing';
      throw err;
    }
    if (!secret.data?.[key] && !secret.stringData?.[key]) return 'no-key';
    if (this.valid.size >= MAX_ENTRIES) this.valid.delete(this.valid.keys().next().value!);
    this.valid.set(id, now.getTime() + SECRET_VALID_MS);
    return 'ok';
  }
}
