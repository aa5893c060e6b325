// Places a namespace's pending pods on a real node, as a scheduler would:
// the runner's pods name no scheduler of the node's own (RealNode keeps its
// scheduler to pods that name it, so no other suite's pod lands there).
import type { CoreV1Api } from '@kubernetes/client-node';

export interface PodBinder {
  /** Pods whose name starts with one of these stay unbound until removed from it. */
  hold: Set<string>;
  stop(): void;
}

export function bindPods(core: CoreV1Api, namespace: string, nodeName: string): PodBinder {
  const bound = new Set<string>();
  const hold = new Set<string>();
  const timer = setInterval(() => {
    void core.listNamespacedPod({ namespace }).then(
      async ({ items }) => {
        for (const p of items) {
          const name = p.metadata!.name!;
          if (p.spec?.nodeName || bound.has(name)) continue;
          if ([...hold].some((h) => name.startsWith(h))) continue;
          bound.add(name);
          await core
            .createNamespacedPodBinding({
              name,
              namespace,
              body: { metadata: { name }, target: { kind: 'Node', name: nodeName } },
            })
            .catch(() => bound.delete(name));
        }
      },
      () => undefined,
    );
  }, 500);
  return { hold, stop: () => clearInterval(timer) };
}
