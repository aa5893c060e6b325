// @kubernetes/client-node 2.x builds a new undici Agent for every request
// (KubeConfig.createDispatcher is not cached, unlike its https.Agent path),
// so each call pays a fresh TCP and TLS handshake and leaves an idle socket
// behind. We cache the dispatcher per TLS configuration: connections are
// reused, as client-go does, and closeConnections() can release them.
import { createHash } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';

interface Closable {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

type CreateDispatcher = (cluster: unknown, agentOptions: unknown) => Closable | undefined;

const caches = new WeakMap<KubeConfig, Map<string, Closable>>();

export function withConnectionReuse(kc: KubeConfig): KubeConfig {
  if (caches.has(kc)) return kc;
  const cache = new Map<string, Closable>();
  caches.set(kc, cache);
  const target = kc as unknown as { createDispatcher: CreateDispatcher };
  const original = target.createDispatcher.bind(kc);
  target.createDispatcher = (cluster, agentOptions) => {
    // The options hold the CA, client certificate and key: a change (rotation) gets a new pool.
    const opts = kc.createDispatcherOptions(cluster as never, agentOptions as never);
    const key = createHash('sha256').update(JSON.stringify(opts)).digest('hex');
    let d = cache.get(key);
    if (!d) {
      d = original(cluster, agentOptions);
      if (!d) return undefined;
      cache.set(key, d);
    }
    return d;
  };
  return kc;
}

/**
 * Drops the pooled connections of a KubeConfig wrapped by withConnectionReuse.
 * Destroy, not close: close() would wait for long-lived watch requests that
 * their owner has already abandoned.
 */
export async function closeConnections(kc: KubeConfig): Promise<void> {
  const cache = caches.get(kc);
  if (!cache) return;
  const all = [...cache.values()];
  cache.clear();
  await Promise.allSettled(all.map((d) => d.destroy()));
}
