/**
 * A minimal client of Prometheus' HTTP API: instant queries (`POST /api/v1/query`) answering a
 * vector. Every failure — unreachable, a timeout, a 4xx/5xx (with Prometheus' own `error`), an
 * answer that is not the API's JSON — is an UnavailableError whose message says which and where,
 * so a release records why it has no numbers instead of failing on them.
 */
import { request } from 'undici';
import { UnavailableError } from '../../../errors.js';

/** One sample of an instant vector: its labels and value. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface PrometheusClientOptions {
  /** Base URL of Prometheus (a path prefix such as `/prometheus` is kept). */
  url: string;
  /** Per query: connect, headers and body (default 5000 ms). */
  timeoutMs?: number;
}

export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 5000;

interface ApiAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: { metric?: Record<string, string>; value?: [number, string] }[] };
}

/** Runs instant queries against one Prometheus. */
export class PrometheusClient {
  private readonly endpoint: string;
  private readonly timeoutMs: number;
  private readonly opts: PrometheusClientOptions;

  constructor(opts: PrometheusClientOptions) {
    this.opts = opts;
    const base = new URL(opts.url);
    base.pathname = `${base.pathname.replace(/\/+$/, '')}/api/v1/query`;
    this.endpoint = base.toString();
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_PROMETHEUS_TIMEOUT_MS;
  }

  /** The samples of `query` now. */
  async query(query: string, signal?: AbortSignal): Promise<Sample[]> {
    const where = `Prometheus at ${this.opts.url}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await request(this.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ query }).toString(),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      if (timeout.aborted)
        throw new UnavailableError(`${where} did not answer within ${this.timeoutMs} ms`, { cause: err });
      const code = (err as { code?: string }).code;
      const why = (err as Error).message || code || String(err);
      throw new UnavailableError(`${where} is unreachable: ${code && !why.includes(code) ? `${code} ` : ''}${why}`, {
        cause: err,
      });
    }
    let answer: ApiAnswer | undefined;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      answer = undefined;
    }
    if (status >= 400 || answer?.status === 'error') {
      const detail = answer?.error ? `: ${answer.errorType ? `${answer.errorType}: ` : ''}${answer.error}` : '';
      throw new UnavailableError(`${where} answered ${status}${detail || `: ${text.slice(0, 200).trim()}`}`);
    }
    const result = answer?.data?.result;
    if (answer?.status !== 'success' || answer.data?.resultType !== 'vector' || !Array.isArray(result))
      throw new UnavailableError(`${where} answered ${status} with something other than an instant vector`);
    return result.map((r) => ({ metric: r.metric ?? {}, value: Number(r.value?.[1]) }));
  }
}
