// The plugin's view of the cluster: kubeconfig, context and namespace
// resolved as kubectl resolves them, and the few calls the subcommands make.
import { existsSync } from 'node:fs';
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { GROUP, LABEL_TARGET, RUN, TARGET, VERSION } from '../crds/index.ts';
import type { ImprovementRun, ImprovementTarget } from '../controllers/types.ts';
import { PluginError, toPluginError, type Subject } from './errors.ts';

export interface GlobalOptions {
  namespace?: string;
  context?: string;
  kubeconfig?: string;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

function loadKubeConfig(o: GlobalOptions): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (o.kubeconfig) {
      if (!existsSync(o.kubeconfig))
        throw new PluginError(`kubeconfig "${o.kubeconfig}" does not exist`);
      kc.loadFromFile(o.kubeconfig);
    } else kc.loadFromDefault();
  } catch (err) {
    if (err instanceof PluginError) throw err;
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new PluginError(`cannot load kubeconfig: ${detail}`, { cause: err });
  }
  if (o.context) {
    if (!kc.getContextObject(o.context))
      throw new PluginError(`context "${o.context}" not found in kubeconfig`);
    kc.setCurrentContext(o.context);
  }
  if (!kc.getCurrentCluster())
    throw new PluginError(
      'no cluster configured: set --kubeconfig, $KUBECONFIG or ~/.kube/config, or pass --context',
    );
  return kc;
}

/**
 * As client-go: a 429 (or 5xx) that carries Retry-After is retried after that
 * delay. A fresh API server answers "storage is (re)initializing" this way.
 */
export async function withRetryAfter<T>(call: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      const retryAfter = err instanceof ApiException ? err.headers?.['retry-after'] : undefined;
      const retriable = err instanceof ApiException && (err.code === 429 || err.code >= 500);
      if (!retriable || retryAfter === undefined || i >= attempts) throw err;
      const seconds = Math.min(Math.max(Number(retryAfter) || 1, 0.1), 5);
      await new Promise((r) => setTimeout(r, seconds * 1000));
    }
  }
}

/** A connection to one namespace of one cluster, with errors already explained. */
export class PluginClient {
  readonly namespace: string;
  readonly server: string;
  private readonly custom: CustomObjectsApi;

  constructor(o: GlobalOptions) {
    const kc = loadKubeConfig(o);
    // As kubectl: -n, else the context's namespace, else default.
    this.namespace =
      o.namespace || kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
    this.server = kc.getCurrentCluster()?.server ?? 'unknown';
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  private subject(kind: Subject['kind'], name?: string): Subject {
    return { kind, name, namespace: this.namespace, server: this.server };
  }

  async getTarget(name: string): Promise<ImprovementTarget> {
    try {
      return (await withRetryAfter(() =>
        this.custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: this.namespace,
          plural: TARGET.plural,
          name,
        }),
      )) as ImprovementTarget;
    } catch (err) {
      throw toPluginError(err, this.subject('improvementtarget', name));
    }
  }

  /** A JSON merge patch (RFC 7386) on the target: what `kubectl patch --type=merge` sends. */
  async patchTarget(name: string, body: object): Promise<ImprovementTarget> {
    try {
      return (await withRetryAfter(() =>
        this.custom.patchNamespacedCustomObject(
          {
            group: GROUP,
            version: VERSION,
            namespace: this.namespace,
            plural: TARGET.plural,
            name,
            body,
          },
          mergePatch,
        ),
      )) as ImprovementTarget;
    } catch (err) {
      throw toPluginError(err, this.subject('improvementtarget', name));
    }
  }

  async listRuns(target: string): Promise<ImprovementRun[]> {
    try {
      const res = (await withRetryAfter(() =>
        this.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: this.namespace,
          plural: RUN.plural,
          labelSelector: `${LABEL_TARGET}=${target}`,
        }),
      )) as { items: ImprovementRun[] };
      return res.items;
    } catch (err) {
      throw toPluginError(err, this.subject('improvementrun'));
    }
  }
}
