/**
 * Where the control plane sends its spans over OTLP/HTTP, read from the standard OpenTelemetry
 * exporter variables (https://opentelemetry.io/docs/specs/otel/protocol/exporter/) in its own
 * environment. None set: no export. A set but wrong value stops the control plane from starting
 * with an error naming the variable, rather than silently sending nowhere.
 */
import { ValidationError } from '../errors.js';

export const OtlpProtocol = { protobuf: 'http/protobuf', json: 'http/json' } as const;
export type OtlpProtocol = (typeof OtlpProtocol)[keyof typeof OtlpProtocol];

export interface OtlpExportConfig {
  /** The full traces URL, e.g. http://collector:4318/v1/traces. */
  url: string;
  protocol: OtlpProtocol;
  /** Extra request headers (an API key, a tenant). */
  headers: Record<string, string>;
  /** One request's timeout. */
  timeoutMs: number;
  /** Spans waiting to be sent at most; more are dropped and counted. */
  maxQueue: number;
  /** Spans in one request at most. */
  maxBatch: number;
  /** How long a batch that is not full waits for more spans. */
  delayMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function bad(variable: string, message: string): ValidationError {
  return new ValidationError(`invalid ${variable}`, [{ file: 'environment', path: variable, message }]);
}

/** The first of `names` that is set (not empty), with its name. */
function first(env: Env, ...names: string[]): [string, string] | undefined {
  for (const n of names) {
    const v = env[n]?.trim();
    if (v !== undefined && v !== '') return [n, v];
  }
  return undefined;
}

function url(variable: string, text: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw bad(variable, `"${text}" is not a URL (e.g. http://localhost:4318)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw bad(variable, `"${text}" is not an http:// or https:// URL (OTLP/HTTP; gRPC is not supported)`);
  return u;
}

/** `key1=value1,key2=value2`, values percent-encoded (the W3C Baggage format the spec names). */
export function parseOtlpHeaders(variable: string, text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item.trim() === '') continue;
    const eq = item.indexOf('=');
    const key = item.slice(0, eq).trim();
    if (eq < 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key))
      throw bad(variable, `"${item.trim()}" is not key=value with a header name as key`);
    let value: string;
    try {
      value = decodeURIComponent(item.slice(eq + 1).trim());
    } catch {
      throw bad(variable, `the value of ${key} is not percent-encoded text`);
    }
    Object.defineProperty(headers, key.toLowerCase(), { value, enumerable: true, writable: true });
  }
  return headers;
}

function positive(env: Env, variable: string, fallback: number, min: number): number {
  const v = env[variable]?.trim();
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min) throw bad(variable, `"${v}" is not a whole number of at least ${min}`);
  return Number(v);
}

/** The export configured in `env`, or undefined when no endpoint is set or OTEL_TRACES_EXPORTER=none. */
export function otlpExportConfig(env: Env): OtlpExportConfig | undefined {
  const exporter = env.OTEL_TRACES_EXPORTER?.trim();
  if (exporter === 'none') return undefined;
  if (exporter !== undefined && exporter !== '' && exporter !== 'otlp')
    throw bad('OTEL_TRACES_EXPORTER', `"${exporter}" is not supported: otlp or none`);
  let target: string;
  const traces = first(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces !== undefined) {
    // The signal's own endpoint is used as it is.
    target = url(traces[0], traces[1]).href;
  } else {
    const base = first(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    if (base === undefined) return undefined;
    const u = url(base[0], base[1]);
    // The generic endpoint gets the signal's path appended (v1/traces).
    u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/traces`;
    target = u.href;
  }
  const protocolVar = first(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL');
  let protocol: OtlpProtocol = OtlpProtocol.protobuf;
  if (protocolVar !== undefined) {
    if (protocolVar[1] !== OtlpProtocol.protobuf && protocolVar[1] !== OtlpProtocol.json)
      throw bad(protocolVar[0], `"${protocolVar[1]}" is not supported: http/protobuf (the default) or http/json`);
    protocol = protocolVar[1];
  }
  const headers: Record<string, string> = {};
  // Generic headers first; the signal's own override them key by key.
  for (const name of ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS']) {
    const text = env[name];
    if (text !== undefined) Object.assign(headers, parseOtlpHeaders(name, text));
  }
  const timeoutVar = first(env, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT');
  const timeoutMs = timeoutVar !== undefined ? positive(env, timeoutVar[0], 10_000, 1) : 10_000;
  const maxQueue = positive(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 20_000, 1);
  const maxBatch = positive(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1);
  if (maxBatch > maxQueue)
    throw bad('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', `${maxBatch} is more than OTEL_BSP_MAX_QUEUE_SIZE (${maxQueue})`);
  const delayMs = positive(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 0);
  return { url: target, protocol, headers, timeoutMs, maxQueue, maxBatch, delayMs };
}
