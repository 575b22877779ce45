/**
 * Sends the spans the control plane collects to an OpenTelemetry collector over OTLP/HTTP
 * (docs/traces.md). `offer` only appends to a bounded queue, so exporting never holds up collection
 * or storage: a full queue drops the newest spans and counts them. A background loop sends batches
 * of up to `maxBatch` spans, one request at a time, as soon as a batch is full or `delayMs` after
 * the first span waited; an answer the OTLP spec calls retryable (429, 502, 503, 504, or no answer)
 * is retried with exponential backoff and jitter (Retry-After honoured), up to `maxAttempts` tries;
 * then, or on any other answer, the batch counts as failed. Counted for `/metrics`.
 */
import type { Logger } from 'pino';
import type { GatewaySpan } from '../model/trace.js';
import type { OtlpExportConfig } from './otlpConfig.js';
import { OtlpResources, encodeOtlp, rejectedSpans } from './otlpSpans.js';

export interface OtlpExporterStats {
  /** Spans the collector accepted. */
  exported: number;
  /** Spans given up: a refused request, retries exhausted, or rejected by the collector (partial success). */
  failed: number;
  /** Spans dropped because the export queue was full. */
  dropped: number;
  /** Spans waiting to be sent. */
  queued: number;
}

export interface OtlpExporter {
  /** Queues spans for export; never waits. */
  offer(spans: readonly GatewaySpan[]): void;
  /** Sends what is queued now (retries included); resolves when the queue has been worked off once. */
  flush(): Promise<void>;
  stats(): OtlpExporterStats;
  /** Stops the loop after one last try at what is queued (no retries, a short timeout). */
  stop(): Promise<void>;
}

export interface OtlpExporterOptions {
  config: OtlpExportConfig;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** The first retry's wait; each next one doubles, up to `maxBackoffMs`. Default 1 s. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Tries per batch, the first included. Default 5. */
  maxAttempts?: number;
}

const RETRYABLE = new Set([429, 502, 503, 504]);

type Outcome = { ok: true; rejected: number } | { ok: false; retry: boolean; reason: string; afterMs?: number };

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export function startOtlpExporter(o: OtlpExporterOptions): OtlpExporter {
  const { config } = o;
  const initialBackoffMs = o.initialBackoffMs ?? 1000;
  const maxBackoffMs = o.maxBackoffMs ?? 30_000;
  const maxAttempts = o.maxAttempts ?? 5;
  const resources = new OtlpResources();
  const queue: GatewaySpan[] = [];
  const totals = { exported: 0, failed: 0, dropped: 0 };
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let lastFailure: string | undefined;

  const post = async (spans: readonly GatewaySpan[], timeoutMs: number): Promise<Outcome> => {
    const { body, contentType } = encodeOtlp(spans, config.protocol, resources);
    let res: Response;
    try {
      res = await fetch(config.url, {
        method: 'POST',
        headers: { ...config.headers, 'content-type': contentType },
        // the serializers' arrays are backed by plain ArrayBuffers (fetch's types want that said)
        body: body as Uint8Array<ArrayBuffer>,
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { ok: false, retry: true, reason: `${(err as Error).message}${cause ? ` (${cause})` : ''}` };
    }
    const answer = new Uint8Array(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
    if (res.ok) return { ok: true, rejected: Math.min(spans.length, rejectedSpans(config.protocol, answer)) };
    const afterMs = retryAfterMs(res.headers.get('retry-after'));
    return {
      ok: false,
      retry: RETRYABLE.has(res.status),
      reason: `HTTP ${res.status}`,
      ...(afterMs !== undefined ? { afterMs } : {}),
    };
  };

  /** Waits `ms`, or less when stopped. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        wake = undefined;
        resolve();
      };
    });

  const sendBatch = async (batch: GatewaySpan[]): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const last = stopped || attempt >= maxAttempts;
      const got = await post(batch, stopped ? Math.min(config.timeoutMs, 2000) : config.timeoutMs);
      if (got.ok) {
        totals.exported += batch.length - got.rejected;
        totals.failed += got.rejected;
        if (got.rejected > 0) o.logger?.warn({ rejected: got.rejected }, 'the OTLP collector rejected spans');
        if (lastFailure !== undefined) o.logger?.info({ url: config.url }, 'exporting spans works again');
        lastFailure = undefined;
        return;
      }
      if (!got.retry || last) {
        totals.failed += batch.length;
        // Logged once per kind of failure, not per batch.
        if (got.reason !== lastFailure)
          o.logger?.warn(
            { url: config.url, reason: got.reason, spans: batch.length, attempts: attempt },
            'exporting spans over OTLP failed; the batch is given up',
          );
        lastFailure = got.reason;
        return;
      }
      const backoff = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (attempt - 1));
      const jittered = backoff * (0.8 + Math.random() * 0.4);
      await pause(Math.min(maxBackoffMs, Math.max(jittered, got.afterMs ?? 0)));
    }
  };

  /** Sends full batches; with `all`, what is left too. */
  const drain = async (all: boolean): Promise<void> => {
    while (queue.length >= config.maxBatch || (all && queue.length > 0))
      await sendBatch(queue.splice(0, config.maxBatch));
  };

  const run = (all: boolean): Promise<void> =>
    (running ??= drain(all)
      .catch((err: unknown) => o.logger?.warn({ err }, 'exporting spans over OTLP failed'))
      .finally(() => {
        running = undefined;
        schedule();
      }));

  /** A full batch goes at once; a partial one `delayMs` after it started waiting. */
  function schedule(): void {
    if (stopped || running !== undefined || queue.length === 0) return;
    if (queue.length >= config.maxBatch) {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      void run(false);
      return;
    }
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      void run(true);
    }, config.delayMs);
    timer.unref();
  }

  return {
    offer(spans) {
      if (stopped) return;
      const room = config.maxQueue - queue.length;
      const taken = spans.length <= room ? spans : spans.slice(0, Math.max(0, room));
      for (const s of taken) queue.push(s);
      if (taken.length < spans.length) totals.dropped += spans.length - taken.length;
      schedule();
    },
    async flush() {
      // Until the queue is empty and nothing is on its way (spans offered meanwhile included).
      for (;;) {
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        if (running !== undefined) await running;
        else if (queue.length > 0 && !stopped) await run(true);
        else return;
      }
    },
    stats: () => ({ ...totals, queued: queue.length }),
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      wake?.();
      await running;
      // One last try at what is left, no retries.
      await drain(true).catch(() => undefined);
    },
  };
}
