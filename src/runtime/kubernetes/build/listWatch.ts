/**
 * List-then-watch of a collection, as an informer does it: the objects are listed, then watched from
 * the list's resource version; a watch the server ends is opened again from the last version seen,
 * and a watch refused as too old (410 Gone: the history was compacted) or broken by an error is
 * replaced by a fresh list. The caller sees every list whole (`onList`) and every event between.
 */
import type { KubernetesObject as ClientObject } from '@kubernetes/client-node';
import type { KubeClients } from '../client.js';

/** One object as the watch and the list give it. */
export interface Listed {
  metadata?: { name?: string; resourceVersion?: string; uid?: string };
}

export interface ListWatchOptions<T extends Listed> {
  apiVersion: string;
  kind: string;
  /** The collection's path, e.g. `/api/v1/namespaces/shop/pods`. */
  path: string;
  namespace: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Every list, whole (the first, and each after a 410 or a broken watch). */
  onList: (items: T[]) => void;
  onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T) => void;
  /** A list that failed for good (after the API clients' own retries). */
  onError: (err: unknown) => void;
  /** Pause before listing again after a 410 or a broken watch. */
  pauseMs: number;
}

/** Starts list-then-watch; the returned function stops it. */
export function listWatch<T extends Listed>(clients: KubeClients, o: ListWatchOptions<T>): () => void {
  let stopped = false;
  let current: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let version: string | undefined;
  const later = (fn: () => void): void => {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(fn, o.pauseMs);
  };
  const selectors = {
    ...(o.labelSelector ? { labelSelector: o.labelSelector } : {}),
    ...(o.fieldSelector ? { fieldSelector: o.fieldSelector } : {}),
  };
  const watch = (): void => {
    if (stopped) return;
    let gone = false;
    let ended = false;
    let mine: AbortController | undefined;
    clients.watch
      .watch(
        o.path,
        { ...selectors, ...(version ? { resourceVersion: version } : {}) },
        (type: string, object: T & { code?: number }) => {
          if (stopped) return;
          if (type === 'ERROR') {
            gone = true; // 410 Expired (or another error the server ends the watch with): list again
            return;
          }
          if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return;
          version = object.metadata?.resourceVersion ?? version;
          o.onEvent(type, object);
        },
        (err: unknown) => {
          // Aborting the ended watch's controller lets go of what it holds (its listener on the runtime's closing).
          ended = true;
          mine?.abort();
          if (current === mine) current = undefined;
          if (stopped) return;
          if (gone || err) later(list);
          else watch(); // the server ended a healthy watch (its timeout): go on from where it was
        },
      )
      .then((c) => {
        mine = c;
        if (stopped || ended) c.abort();
        else current = c;
      })
      .catch(() => later(list));
  };
  const list = (): void => {
    if (stopped) return;
    clients.objects
      .list(o.apiVersion, o.kind, o.namespace, undefined, undefined, undefined, o.fieldSelector, o.labelSelector)
      .then((l) => {
        if (stopped) return;
        version = l.metadata?.resourceVersion;
        o.onList(l.items as unknown as T[]);
        watch();
      })
      .catch((err: unknown) => {
        if (!stopped) o.onError(err);
      });
  };
  list();
  return () => {
    stopped = true;
    clearTimeout(timer);
    current?.abort();
  };
}

/** `apiVersion`/`kind`/`name` of an object to read or delete through the generic API. */
export function objectRef(apiVersion: string, kind: string, namespace: string, name: string): ClientObject {
  return { apiVersion, kind, metadata: { name, namespace } };
}
