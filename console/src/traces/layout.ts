/**
 * The waterfall's geometry: each span in tree order (under its parent, siblings by start) with its
 * depth and its bar's place on the trace's time axis (offset and width, in % of the whole trace),
 * and the axis's ticks.
 */
import type { StoredSpan } from '../../../src/model/trace.js';
import { spanTree } from '../../../src/model/traceTree.js';

export interface WaterfallRow {
  span: StoredSpan;
  depth: number;
  /** From the trace's first span's start, ms. */
  offsetMs: number;
  leftPct: number;
  widthPct: number;
}

export interface Waterfall {
  rows: WaterfallRow[];
  startMs: number;
  totalMs: number;
  /** Tick positions in ms from the start (0, a quarter, … the end). */
  ticks: number[];
}

/** Bars are at least this wide (%), so a span of a microsecond still shows. */
const MIN_WIDTH_PCT = 0.5;

export function waterfall(spans: readonly StoredSpan[]): Waterfall {
  if (spans.length === 0) return { rows: [], startMs: 0, totalMs: 0, ticks: [] };
  const startMs = Math.min(...spans.map((s) => s.startMs));
  const totalMs = Math.max(...spans.map((s) => s.startMs + s.durationMs)) - startMs;
  const scale = totalMs > 0 ? 100 / totalMs : 0;
  const rows = spanTree(spans).map(({ span, depth }) => {
    const offsetMs = span.startMs - startMs;
    const leftPct = Math.min(100 - MIN_WIDTH_PCT, offsetMs * scale);
    return {
      span,
      depth,
      offsetMs,
      leftPct,
      widthPct: Math.min(100 - leftPct, Math.max(MIN_WIDTH_PCT, span.durationMs * scale)),
    };
  });
  return { rows, startMs, totalMs, ticks: [0, 1, 2, 3, 4].map((i) => (totalMs * i) / 4) };
}

/** `0.8 ms`, `12.3 ms`, `1.25 s`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** A span's bar colour: failed red, a client error orange, else green. */
export function statusColor(s: Pick<StoredSpan, 'status' | 'error'>): string {
  if (s.error) return '#ff4d4f';
  if (s.status >= 400 || s.status === 0) return '#faad14';
  return '#52c41a';
}

/** A service key without the app and environment the page shows (`shop/prod/orders` → `orders`). */
export function shortService(key: string | undefined, app: string, env: string): string {
  if (key === undefined) return '';
  const own = `${app}/${env}/`;
  return key.startsWith(own) ? key.slice(own.length) : key;
}
