// A list-watch cache that keeps working. client-node's informer has known
// pitfalls (watches that end silently, 410 Gone not always relisting, no
// restart after some errors, no periodic resync); this reflector handles
// each one: relist on 410, reconnect with capped exponential backoff after
// any error, relist periodically, and a watchdog that restarts a watch that
// has gone quiet (bookmarks keep a healthy one talking).
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../util/logger.ts';
import type { KubeObject, ListPage, ObjectList } from './api.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type Handler<T> = (type: EventType, obj: T) => void;

export interface ReflectorOptions<T extends KubeObject> {
  name: string;
  kc: KubeConfig;
  logger: Logger;
  /** Namespaces to watch; undefined means all. */
  namespaces?: string[];
  /** One page of the list (the reflector pages through it: one page in memory at a time). */
  list(namespace: string | undefined, page: ListPage): Promise<ObjectList<T>>;
  /** Items per list page; default 500, as client-go's reflector. */
  pageSize?: number;
  watchPath(namespace?: string): string;
  labelSelector?: string;
  /** Full relist interval (a resync: every object is handed to the handlers again). */
  resyncMs?: number;
  /** Server-side watch timeout; the server closes the watch and we resume from the last version. */
  watchTimeoutSeconds?: number;
  /** Restart a watch that has delivered nothing, not even a bookmark, for this long. */
  silenceMs?: number;
  maxBackoffMs?: number;
  /**
   * Secondary indexes: name → the index values an object files under. Read
   * with byIndex, so a reconcile finds a target's runs without a scan.
   */
  indexers?: Record<string, (o: T) => string[]>;
  /**
   * Applied to every object before it is stored and handed on (client-go's
   * SetTransform). Defaults to stripCacheNoise.
   */
  transform?: (o: T) => T;
}

/** Annotations the operator never reads that can be large (a whole copy of the object). */
const UNREAD_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration'];

/**
 * Drops what no controller here reads and what dominates an object's size:
 * managedFields (often larger than the spec) and kubectl's last-applied copy.
 */
export function stripCacheNoise<T extends KubeObject>(o: T): T {
  const meta = o.metadata as KubeObject['metadata'] & {
    managedFields?: unknown;
    annotations?: Record<string, string>;
  };
  delete meta.managedFields;
  if (meta.annotations) {
    for (const a of UNREAD_ANNOTATIONS) delete meta.annotations[a];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  return o;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

class GoneError extends Error {}

export const objectKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Reflector<T extends KubeObject> {
  private readonly opts: Required<
    Pick<ReflectorOptions<T>, 'resyncMs' | 'watchTimeoutSeconds' | 'silenceMs' | 'maxBackoffMs'>
  > &
    ReflectorOptions<T>;
  private readonly store = new Map<string, T>();
  /** index name → index value → object keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private readonly handlers: Handler<T>[] = [];
  private readonly recoveryHandlers: (() => void)[] = [];
  private readonly stopper = new AbortController();
  private syncedScopes = 0;
  private loops: Promise<void>[] = [];
  /** Counters for tests and metrics: relists, watch restarts, errors. */
  readonly stats = { lists: 0, watches: 0, errors: 0, gone: 0, silentRestarts: 0 };

  constructor(opts: ReflectorOptions<T>) {
    this.opts = {
      resyncMs: 10 * 60_000,
      watchTimeoutSeconds: 300,
      silenceMs: 90_000,
      // Low: the API server itself is what failed, and the operator is
      // blind until it lists again (a 30 s cap left it so after an outage).
      maxBackoffMs: 5_000,
      ...opts,
    };
    for (const name of Object.keys(opts.indexers ?? {})) this.indices.set(name, new Map());
  }

  on(handler: Handler<T>): void {
    this.handlers.push(handler);
  }

  /** Called after a list succeeds following failures (the API server is back). */
  onRecover(handler: () => void): void {
    this.recoveryHandlers.push(handler);
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(filter?: (o: T) => boolean): T[] {
    const all = [...this.store.values()];
    return filter ? all.filter(filter) : all;
  }

  /** The objects filed under value in the named index (see ReflectorOptions.indexers). */
  byIndex(index: string, value: string): T[] {
    const idx = this.indices.get(index);
    if (!idx) throw new Error(`reflector ${this.opts.name} has no index ${index}`);
    return [...(idx.get(value) ?? [])].map((k) => this.store.get(k)!);
  }

  get size(): number {
    return this.store.size;
  }

  private put(key: string, obj: T): void {
    this.unindex(key);
    this.store.set(key, obj);
    for (const [name, fn] of Object.entries(this.opts.indexers ?? {})) {
      const idx = this.indices.get(name)!;
      for (const value of fn(obj)) {
        let keys = idx.get(value);
        if (!keys) idx.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private remove(key: string): void {
    this.unindex(key);
    this.store.delete(key);
  }

  private unindex(key: string): void {
    const old = this.store.get(key);
    if (!old) return;
    for (const [name, fn] of Object.entries(this.opts.indexers ?? {})) {
      const idx = this.indices.get(name)!;
      for (const value of fn(old)) {
        const keys = idx.get(value);
        keys?.delete(key);
        if (keys?.size === 0) idx.delete(value);
      }
    }
  }

  private prepare(obj: T): T {
    return (this.opts.transform ?? stripCacheNoise)(obj);
  }

  /**
   * Stores an object we just wrote, unless the cache has already moved past
   * the version the write replaced (then the watch has newer news).
   */
  replaceIfUnchanged(obj: T, previousVersion: string | undefined): void {
    const key = objectKey(obj);
    if (this.store.get(key)?.metadata.resourceVersion === previousVersion)
      this.put(key, this.prepare(obj));
  }

  get synced(): boolean {
    return this.syncedScopes >= (this.opts.namespaces?.length ?? 1);
  }

  /** Starts the loops; resolves once every scope has listed successfully. */
  async start(): Promise<void> {
    const scopes = this.opts.namespaces ?? [undefined];
    this.loops = scopes.map((ns) => this.loop(ns));
    while (!this.synced && !this.stopper.signal.aborted) await sleep(20, this.stopper.signal);
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await Promise.allSettled(this.loops);
  }

  private emit(type: EventType, obj: T): void {
    for (const h of this.handlers) {
      try {
        h(type, obj);
      } catch (err) {
        this.opts.logger.error({ err, reflector: this.opts.name }, 'event handler failed');
      }
    }
  }

  private async loop(ns?: string): Promise<void> {
    let failures = 0;
    let firstSync = true;
    const log = this.opts.logger.child({ reflector: this.opts.name, namespace: ns ?? '*' });
    while (!this.stopper.signal.aborted) {
      try {
        let rv = await this.relist(ns);
        if (firstSync) {
          firstSync = false;
          this.syncedScopes++;
        }
        if (failures > 0) {
          log.info({ failures }, 'list/watch recovered');
          for (const h of this.recoveryHandlers) h();
        }
        failures = 0;
        const resyncAt = Date.now() + this.opts.resyncMs;
        while (!this.stopper.signal.aborted && Date.now() < resyncAt) {
          rv = await this.watchOnce(ns, rv, resyncAt - Date.now());
          failures = 0;
        }
      } catch (err) {
        if (this.stopper.signal.aborted) break;
        if (err instanceof GoneError) {
          this.stats.gone++;
          log.info('watch expired (410 Gone); relisting');
          continue;
        }
        this.stats.errors++;
        failures++;
        const delay =
          Math.min(this.opts.maxBackoffMs, 200 * 2 ** Math.min(failures, 10)) *
          (0.5 + Math.random() / 2);
        log.warn({ err: String(err), retryInMs: Math.round(delay) }, 'list/watch failed; retrying');
        await sleep(delay, this.stopper.signal);
      }
    }
  }

  /**
   * Lists page by page and reconciles the store with the result: resync for
   * existing keys, deletes for vanished ones. The pages are one consistent
   * snapshot (the server's continue token); an expired token is a 410, and the
   * loop lists again from the start.
   */
  private async relist(ns?: string): Promise<string> {
    this.stats.lists++;
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv = '';
    do {
      const res = await this.opts.list(ns, {
        limit: this.opts.pageSize ?? 500,
        continue: cont,
        labelSelector: this.opts.labelSelector,
      });
      for (const raw of res.items) {
        const item = this.prepare(raw);
        const key = objectKey(item);
        seen.add(key);
        const had = this.store.has(key);
        this.put(key, item);
        this.emit(had ? 'MODIFIED' : 'ADDED', item);
      }
      cont = res.metadata?.continue || undefined;
      rv = res.metadata?.resourceVersion ?? rv;
    } while (cont && !this.stopper.signal.aborted);
    for (const [key, obj] of this.store) {
      if ((ns === undefined || obj.metadata.namespace === ns) && !seen.has(key)) {
        this.remove(key);
        this.emit('DELETED', obj);
      }
    }
    return rv;
  }

  /** One watch from rv; resolves with the last resourceVersion seen when it ends normally. */
  private watchOnce(ns: string | undefined, rv: string, maxMs: number): Promise<string> {
    this.stats.watches++;
    return new Promise<string>((resolve, reject) => {
      let lastRv = rv;
      let finished = false;
      let abortCtl: AbortController | undefined;
      let silence: NodeJS.Timeout | undefined;
      const finish = (err?: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(silence);
        clearTimeout(deadline);
        this.stopper.signal.removeEventListener('abort', onStop);
        abortCtl?.abort();
        if (err) reject(err);
        else resolve(lastRv);
      };
      const armWatchdog = () => {
        clearTimeout(silence);
        silence = setTimeout(() => {
          this.stats.silentRestarts++;
          finish();
        }, this.opts.silenceMs);
      };
      const onStop = () => finish();
      this.stopper.signal.addEventListener('abort', onStop, { once: true });
      const deadline = setTimeout(() => finish(), Math.max(maxMs, 1000));
      armWatchdog();
      const timeoutSeconds = Math.round(this.opts.watchTimeoutSeconds * (1 + Math.random()));
      new Watch(this.opts.kc)
        .watch(
          this.opts.watchPath(ns),
          {
            resourceVersion: rv,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector: this.opts.labelSelector,
          },
          (type: string, raw: T & { code?: number }) => {
            armWatchdog();
            if (type === 'ERROR') {
              finish(
                raw.code === 410
                  ? new GoneError('gone')
                  : new Error(`watch error: ${JSON.stringify(raw)}`),
              );
              return;
            }
            const next = raw?.metadata?.resourceVersion;
            if (next) lastRv = next;
            if (type === 'BOOKMARK') return;
            const obj = this.prepare(raw);
            const key = objectKey(obj);
            if (type === 'DELETED') this.remove(key);
            else this.put(key, obj);
            this.emit(type as EventType, obj);
          },
          (err: unknown) => {
            const code = (err as { statusCode?: number } | null)?.statusCode;
            if (code === 410) finish(new GoneError('gone'));
            else if (err && !['AbortError', 'TimeoutError'].includes((err as Error).name))
              finish(err);
            else finish();
          },
        )
        .then((ctl) => {
          abortCtl = ctl;
          if (finished) ctl.abort();
        })
        .catch((err) => finish(err));
    });
  }
}
