/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) `traceparent`, as the gateway needs it
 * on its hot path: parse an incoming header (version 00 exactly; a higher version by its first four
 * fields; anything invalid is no parent, and the hop starts a new trace, as the spec says), make
 * random ids, and format the header sent upstream.
 *
 * Written here rather than taken from @opentelemetry/core (not installed; only @opentelemetry/api
 * is): its W3CTraceContextPropagator works through a Context and a getter/setter object per call,
 * allocations the proxy does not need for one header. Ids come from a pooled random buffer, so a
 * span id costs no crypto call per request.
 */
import { randomFillSync } from 'node:crypto';

/** A parsed `traceparent`: 32 and 16 lower-case hex digits, and the trace flags byte. */
export interface TraceParent {
  traceId: string;
  parentId: string;
  flags: number;
}

const HEADER_LENGTH = 55; // 2 + 1 + 32 + 1 + 16 + 1 + 2

/** True when `s[from, to)` is lower-case hex and not all zeros. */
function hexNotZero(s: string, from: number, to: number): boolean {
  let nonZero = false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (c !== 48) nonZero = true;
    } else if (c >= 97 && c <= 102) nonZero = true;
    else return false;
  }
  return nonZero;
}

function hexByte(s: string, at: number): number {
  const hi = s.charCodeAt(at);
  const lo = s.charCodeAt(at + 1);
  const h = hi >= 48 && hi <= 57 ? hi - 48 : hi >= 97 && hi <= 102 ? hi - 87 : -1;
  const l = lo >= 48 && lo <= 57 ? lo - 48 : lo >= 97 && lo <= 102 ? lo - 87 : -1;
  return h < 0 || l < 0 ? -1 : h * 16 + l;
}

/**
 * True when a `traceparent` value is valid: not wrong length or dashes, upper-case or non-hex
 * digits, version ff, an all-zero trace or parent id, nor (version 00) anything after the flags. A
 * later version is read by its first four fields if what follows starts with `-`. The fields of a
 * valid one are at fixed offsets (`traceIdOf`, `parentIdOf`, `flagsOf`), so the proxy reads them
 * without building an object.
 */
export function isValidTraceParent(value: string | undefined): value is string {
  if (value === undefined || value.length < HEADER_LENGTH) return false;
  const version = hexByte(value, 0);
  if (version < 0 || version === 0xff) return false;
  if (version === 0 ? value.length !== HEADER_LENGTH : value.length > HEADER_LENGTH && value[HEADER_LENGTH] !== '-')
    return false;
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return false;
  if (!hexNotZero(value, 3, 35) || !hexNotZero(value, 36, 52)) return false;
  return hexByte(value, 53) >= 0;
}

/** The trace id of a valid traceparent. */
export const traceIdOf = (valid: string): string => valid.slice(3, 35);
/** The parent id of a valid traceparent. */
export const parentIdOf = (valid: string): string => valid.slice(36, 52);
/** The trace flags of a valid traceparent. */
export const flagsOf = (valid: string): number => hexByte(valid, 53);

/** Parses a `traceparent` value; undefined when it is invalid (see isValidTraceParent). */
export function parseTraceParent(value: string | undefined): TraceParent | undefined {
  if (!isValidTraceParent(value)) return undefined;
  return { traceId: traceIdOf(value), parentId: parentIdOf(value), flags: flagsOf(value) };
}

/** The `traceparent` (version 00) of a span. */
export function formatTraceParent(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}`;
}

const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
/** The pool as hex, two digits a byte: ids are slices of it (one native call per 4 KiB of ids). */
let poolHex = '';
let poolAt = POOL_BYTES;

/** `bytes` random bytes as lower-case hex (never all zeros), from a pool refilled 4 KiB at a time. */
function randomHex(bytes: number): string {
  for (;;) {
    if (poolAt + bytes > POOL_BYTES) {
      randomFillSync(pool);
      poolHex = pool.toString('hex');
      poolAt = 0;
    }
    const from = poolAt * 2;
    poolAt += bytes;
    // All zeros is invalid in a traceparent; 2^-64 at worst, but then draw again.
    if (hexNotZero(poolHex, from, from + bytes * 2)) return poolHex.slice(from, from + bytes * 2);
  }
}

/** A new random trace id (16 bytes, 32 hex digits). */
export function newTraceId(): string {
  return randomHex(16);
}

/** A new random span id (8 bytes, 16 hex digits). */
export function newSpanId(): string {
  return randomHex(8);
}

/** The sampled bit of the trace flags. */
export const SAMPLED = 0x01;
