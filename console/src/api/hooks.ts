/** React hooks over the API: a JSON resource with reload and optional polling, and SSE streams. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from './client';
import { streamSse, type SseMessage } from './stream';

/** A resource's state: its data once loaded, the last error, and whether a load is under way. */
export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** GETs `path` (nothing when null), again on reload() and every `pollMs` when given. */
export function useResource<T>(path: string | null, opts: { pollMs?: number } = {}): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const shown = useRef<string | null>(null);

  useEffect(() => {
    if (path === null) {
      setData(undefined);
      setLoading(false);
      return undefined;
    }
    if (shown.current !== path) {
      // another resource: do not show the previous one's data meanwhile
      shown.current = path;
      setData(undefined);
    }
    const abort = new AbortController();
    setLoading(true);
    api<T>('GET', path, undefined, abort.signal).then(
      (d) => {
        if (abort.signal.aborted) return; // a newer load (a reload, another path) answers instead
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setError(err);
        setLoading(false);
      },
    );
    return () => abort.abort();
  }, [path, tick]);

  useEffect(() => {
    if (!opts.pollMs || path === null) return undefined;
    const timer = setInterval(reload, opts.pollMs);
    return () => clearInterval(timer);
  }, [opts.pollMs, path, reload]);

  return { data, error, loading, reload };
}

/**
 * Follows an SSE endpoint while mounted (nothing when path is null); reconnects after 2 s when the
 * stream breaks, unless `once` (a stream that ends by itself, like a finished release's events).
 */
export function useSse(
  path: string | null,
  onMessage: (m: SseMessage) => void,
  opts: { once?: boolean } = {},
): { error: unknown; connected: boolean } {
  const [error, setError] = useState<unknown>(undefined);
  const [connected, setConnected] = useState(false);
  const handler = useRef(onMessage);
  handler.current = onMessage;

  useEffect(() => {
    if (path === null) return undefined;
    const abort = new AbortController();
    const run = async (): Promise<void> => {
      while (!abort.signal.aborted) {
        try {
          setConnected(true);
          await streamSse(path, (m) => handler.current(m), abort.signal);
          setError(undefined);
          if (opts.once) return;
        } catch (err) {
          if (abort.signal.aborted) return;
          setError(err);
        } finally {
          setConnected(false);
        }
        await new Promise((r) => setTimeout(r, 2000));
      }
    };
    void run();
    return () => abort.abort();
  }, [path, opts.once]);

  return { error, connected };
}
