/**
 * Header rewriting on the proxy's hot path: hop-by-hop headers dropped, forwarding headers set.
 * Works on Node's flat raw header arrays so no header object is built per request.
 */

/**
 * True for hop-by-hop headers (RFC 9110 §7.6.1) and `Proxy-*`: Connection, Keep-Alive,
 * Transfer-Encoding, TE, Upgrade, Trailer. Checks the length first so most names cost no lowercasing.
 */
export function isHopByHop(name: string): boolean {
  switch (name.length) {
    case 2:
      return name.toLowerCase() === 'te';
    case 7: {
      const n = name.toLowerCase();
      return n === 'upgrade' || n === 'trailer';
    }
    case 10: {
      const n = name.toLowerCase();
      return n === 'connection' || n === 'keep-alive';
    }
    case 17:
      return name.toLowerCase() === 'transfer-encoding';
    default:
      return (
        name.length > 6 && (name.charCodeAt(0) | 0x20) === 112 /* p */ && name.slice(0, 6).toLowerCase() === 'proxy-'
      );
  }
}

/** Lower-case header names listed in a Connection header's value, beyond keep-alive/close/upgrade. */
export function connectionTokens(value: string): string[] | undefined {
  let extra: string[] | undefined;
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === '' || t === 'keep-alive' || t === 'close' || t === 'upgrade') continue;
    (extra ??= []).push(t);
  }
  return extra;
}

/** What the proxy learns from a request's raw headers in one pass. */
export interface ForwardHeaders {
  /** Flat [name, value, ...] to send upstream. */
  headers: string[];
  /** The Host header as received (undefined if absent). */
  host: string | undefined;
  /** True if the request carries a body (Transfer-Encoding, or a non-zero Content-Length). */
  hasBody: boolean;
  /** The first `traceparent` as received (passed on unchanged unless tracing replaces it). */
  traceparent: string | undefined;
  /** Index in `headers` of that traceparent's value; -1 without one. */
  traceparentAt: number;
  /** True when `headers` has a `tracestate` (dropped by tracing when the trace is new). */
  tracestate: boolean;
}

/**
 * Builds the upstream request headers: hop-by-hop headers, `Expect` (Node answers 100-continue
 * itself), incoming X-Forwarded-Host/-Proto and X-Berth-Trace-Id dropped; Host kept;
 * X-Forwarded-For appended to; the first `traceparent` noted (a second one is dropped: the W3C
 * spec allows one).
 */
export function forwardHeaders(
  raw: readonly string[],
  remoteAddress: string | undefined,
  proto: 'http' | 'https' = 'http',
): ForwardHeaders {
  const headers: string[] = [];
  let host: string | undefined;
  let hasBody = false;
  let xff: string | undefined;
  let dropped: string[] | undefined;
  let traceparent: string | undefined;
  let traceparentAt = -1;
  let tracestate = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') {
          // Undici refuses a second Host header; the first one is what Node's parser reports too.
          if (host === undefined) {
            host = value;
            headers.push(name, value);
          }
          continue;
        }
        break;
      case 6:
        if (name.toLowerCase() === 'expect') continue;
        break;
      case 10: {
        const n = name.toLowerCase();
        if (n === 'connection') {
          dropped = connectionTokens(value);
          continue;
        }
        if (n === 'tracestate') tracestate = true;
        break;
      }
      case 11:
        if (name.toLowerCase() === 'traceparent') {
          if (traceparent !== undefined) continue;
          traceparent = value;
          traceparentAt = headers.length + 1;
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (value !== '0') hasBody = true;
        }
        break;
      case 15:
        if (name.toLowerCase() === 'x-forwarded-for') {
          xff = xff === undefined ? value : `${xff}, ${value}`;
          continue;
        }
        break;
      case 16:
        if (name.toLowerCase() === 'x-forwarded-host') continue;
        if (name.toLowerCase() === 'x-berth-trace-id') continue;
        break;
      case 17:
        if (name.toLowerCase() === 'x-forwarded-proto') continue;
        if (name.toLowerCase() === 'transfer-encoding') {
          hasBody = true;
          continue;
        }
        break;
    }
    if (isHopByHop(name)) continue;
    headers.push(name, value);
  }
  if (dropped !== undefined) {
    const remove = dropped;
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (!remove.includes(headers[i]!.toLowerCase())) continue;
      headers.splice(i, 2);
      // The noted traceparent moves down, or is gone when the Connection header named it.
      if (i + 1 === traceparentAt) {
        traceparent = undefined;
        traceparentAt = -1;
      } else if (i < traceparentAt) traceparentAt -= 2;
    }
  }
  const client = remoteAddress ?? 'unknown';
  headers.push('x-forwarded-for', xff === undefined ? client : `${xff}, ${client}`);
  if (host !== undefined) headers.push('x-forwarded-host', host);
  headers.push('x-forwarded-proto', proto);
  return { headers, host, hasBody, traceparent, traceparentAt, tracestate };
}

/** Converts undici's raw response headers to a flat string array without hop-by-hop headers. */
export function responseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    // latin1 keeps every byte as is, so non-ASCII values pass through unchanged.
    const name = raw[i]!.toString('latin1');
    if (isHopByHop(name)) continue;
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  return out;
}
