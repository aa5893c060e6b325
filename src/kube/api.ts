// A thin typed layer over @kubernetes/client-node for the calls the
// operator makes, and one place that classifies API errors.
import type { KubeConfig } from '@kubernetes/client-node';
import {
  ApiException,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crds/index.ts';
import { KubeRest } from './rest.ts';

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
  metadata?: { resourceVersion?: string; continue?: string };
}

/** One page of a list: at most `limit` items, from where `continue` left off. */
export interface ListPage {
  limit: number;
  continue?: string;
  labelSelector?: string;
}

/** A list path with its query (lists go through the lean path: no per-item model classes). */
export function listPath(path: string, page: ListPage): string {
  const q = new URLSearchParams({ limit: String(page.limit) });
  if (page.continue) q.set('continue', page.continue);
  if (page.labelSelector) q.set('labelSelector', page.labelSelector);
  return `${path}?${q}`;
}

export const statusCode = (err: unknown): number | undefined =>
  err instanceof ApiException
    ? err.code
    : ((err as { statusCode?: number; code?: number } | undefined)?.statusCode ?? undefined);
export const isNotFound = (err: unknown) => statusCode(err) === 404;
export const isConflict = (err: unknown) => statusCode(err) === 409;
/** AlreadyExists is a 409 too; for creates that is what it means. */
export const isAlreadyExists = (err: unknown) => statusCode(err) === 409;

export type CustomPlural = 'improvementtargets' | 'improvementruns';

export class KubeApi {
  readonly kc: KubeConfig;
  readonly custom: CustomObjectsApi;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly coordination: CoordinationV1Api;
  readonly rest: KubeRest;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.coordination = kc.makeApiClient(CoordinationV1Api);
    this.rest = new KubeRest(kc);
  }

  customPath(plural: CustomPlural, namespace?: string): string {
    return namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}`
      : `/apis/${GROUP}/${VERSION}/${plural}`;
  }

  /** One page of custom objects (the reflectors page through them, as client-go's do). */
  listCustom<T>(plural: CustomPlural, namespace: string | undefined, page: ListPage) {
    return this.rest.get<ObjectList<T>>(listPath(this.customPath(plural, namespace), page));
  }

  /** Writes go through the lean JSON path (rest.ts): they are the hot path of a burst of slots. */
  async createCustom<T>(plural: CustomPlural, namespace: string, body: object): Promise<T> {
    return this.rest.post<T>(this.customPath(plural, namespace), body);
  }

  async deleteCustom(plural: CustomPlural, namespace: string, name: string): Promise<void> {
    await this.rest.delete(`${this.customPath(plural, namespace)}/${name}`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Background',
    });
  }

  /** PUT of the status subresource: fails with 409 when resourceVersion is stale (optimistic concurrency). */
  async replaceStatus<T>(plural: CustomPlural, obj: KubeObject & { status?: unknown }): Promise<T> {
    const { namespace, name } = obj.metadata;
    return this.rest.put<T>(`${this.customPath(plural, namespace)}/${name}/status`, obj);
  }

  async patchStatus<T>(
    plural: CustomPlural,
    namespace: string,
    name: string,
    patch: object,
  ): Promise<T> {
    return this.rest.patch<T>(`${this.customPath(plural, namespace)}/${name}/status`, patch);
  }

  async patchCustom<T>(
    plural: CustomPlural,
    namespace: string,
    name: string,
    patch: object,
  ): Promise<T> {
    return this.rest.patch<T>(`${this.customPath(plural, namespace)}/${name}`, patch);
  }

  async createJob(namespace: string, job: V1Job): Promise<V1Job> {
    return this.rest.post<V1Job>(`/apis/batch/v1/namespaces/${namespace}/jobs`, job);
  }

  /** One page of Jobs. */
  listJobs(namespace: string | undefined, page: ListPage): Promise<ObjectList<V1Job>> {
    const path = namespace ? `/apis/batch/v1/namespaces/${namespace}/jobs` : '/apis/batch/v1/jobs';
    return this.rest.get<ObjectList<V1Job>>(listPath(path, page));
  }

  /** One page of pods. */
  listPods(namespace: string | undefined, page: ListPage): Promise<ObjectList<V1Pod>> {
    const path = namespace ? `/api/v1/namespaces/${namespace}/pods` : '/api/v1/pods';
    return this.rest.get<ObjectList<V1Pod>>(listPath(path, page));
  }
}
