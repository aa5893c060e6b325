// A thin typed layer over @kubernetes/client-node for the calls the
// operator makes, and one place that classifies API errors.
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ApiException,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Job,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/index.ts';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

export interface ObjectList<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export const statusCode = (err: unknown): number | undefined =>
  err instanceof ApiException
    ? err.code
    : ((err as { statusCode?: number; code?: number } | undefined)?.statusCode ?? undefined);
export const isNotFound = (err: unknown) => statusCode(err) === 404;
export const isConflict = (err: unknown) => statusCode(err) === 409;
/** AlreadyExists is a 409 too; for creates that is what it means. */
export const isAlreadyExists = (err: unknown) => statusCode(err) === 409;

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export type CustomPlural = 'improvementtargets' | 'improvementruns';

export class KubeApi {
  readonly kc: KubeConfig;
  readonly custom: CustomObjectsApi;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
  }

  customPath(plural: CustomPlural, namespace?: string): string {
    return namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`
      : `/apis/${GROUP}/${VERSION}/${plural}`;
  }

  async listCustom<T>(
    plural: CustomPlural,
    namespace?: string,
    labelSelector?: string,
  ): Promise<ObjectList<T>> {
    const res = namespace
      ? await this.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace,
          plural,
          labelSelector,
        })
      : await this.custom.listClusterCustomObject({
          group: GROUP,
          version: VERSION,
          plural,
          labelSelector,
        });
    return res as ObjectList<T>;
  }

  async createCustom<T>(plural: CustomPlural, namespace: string, body: object): Promise<T> {
    return (await this.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural,
      body,
    })) as T;
  }

  async deleteCustom(plural: CustomPlural, namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural,
      name,
      propagationPolicy: 'Background',
    });
  }

  /** PUT of the status subresource: fails with 409 when resourceVersion is stale (optimistic concurrency). */
  async replaceStatus<T>(plural: CustomPlural, obj: KubeObject & { status?: unknown }): Promise<T> {
    const { namespace, name } = obj.metadata;
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: namespace!,
      plural,
      name,
      body: obj,
    })) as T;
  }

  async patchStatus<T>(
    plural: CustomPlural,
    namespace: string,
    name: string,
    patch: object,
  ): Promise<T> {
    return (await this.custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural, name, body: patch },
      mergePatch,
    )) as T;
  }

  async patchCustom<T>(
    plural: CustomPlural,
    namespace: string,
    name: string,
    patch: object,
  ): Promise<T> {
    return (await this.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural, name, body: patch },
      mergePatch,
    )) as T;
  }

  /**
   * POST of a batch/v1 Job as plain JSON. The typed BatchV1Api call walks
   * client-node's ObjectSerializer over the Job and its response: 2.3-2.8 ms
   * of our CPU per Job against 1.7-1.8 ms for this generic REST path, which
   * sends the same JSON to the same URL (measured over 300 creates).
   */
  async createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return (await this.custom.createNamespacedCustomObject({
      group: 'batch',
      version: 'v1',
      namespace,
      plural: 'jobs',
      body: job,
    })) as V1Job;
  }

  async listJobs(namespace: string | undefined, labelSelector: string): Promise<ObjectList<V1Job>> {
    const res = namespace
      ? await this.batch.listNamespacedJob({ namespace, labelSelector })
      : await this.batch.listJobForAllNamespaces({ labelSelector });
    return res as ObjectList<V1Job>;
  }
}
