/**
 * `berth metrics` as people read it: a row per series with its last, lowest, mean and highest value
 * and a sparkline of the range, then the releases of the range (deploys, rollbacks, aborts).
 */
import type { MetricHistory, MetricPoint, ReleaseMarker } from '../model/metricHistory.js';

const BARS = '▁▂▃▄▅▆▇█';

/** A value in its unit, for people: 3.20/s, 1.5%, 12.3 ms, 48.0 MiB. */
export function formatValue(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined) return '-';
  switch (unit) {
    case '1/s':
      return `${v.toFixed(2)}/s`;
    case 'ratio':
      return `${(v * 100).toFixed(1)}%`;
    case 'percent':
      return `${v.toFixed(1)}%`;
    case 'ms':
      return `${v.toFixed(1)} ms`;
    case 'bytes':
      return v >= 1 << 30
        ? `${(v / (1 << 30)).toFixed(2)} GiB`
        : v >= 1 << 20
          ? `${(v / (1 << 20)).toFixed(1)} MiB`
          : `${(v / 1024).toFixed(0)} KiB`;
    default:
      return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }
}

/** The points as at most `width` bars from the lowest to the highest value; a step without data is a space. */
export function sparkline(points: readonly MetricPoint[], width = 40): string {
  const per = Math.max(1, Math.ceil(points.length / width));
  const cells: (number | null)[] = [];
  for (let i = 0; i < points.length; i += per) {
    const vals = points
      .slice(i, i + per)
      .map(([, v]) => v)
      .filter((v): v is number => v !== null);
    cells.push(vals.length > 0 ? vals.reduce((a, b) => a + b, 0) / vals.length : null);
  }
  const known = cells.filter((v): v is number => v !== null);
  if (known.length === 0) return '';
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  return cells
    .map((v) =>
      v === null
        ? ' '
        : BARS[hi === lo ? (hi === 0 ? 0 : BARS.length - 1) : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))],
    )
    .join('')
    .trimEnd();
}

/** The rows of the table: one per series. */
export function metricRows(h: MetricHistory): Record<string, unknown>[] {
  return h.series.map((s) => {
    const vals = s.points.map(([, v]) => v).filter((v): v is number => v !== null);
    const sum = vals.reduce((a, b) => a + b, 0);
    const last = [...s.points].reverse().find(([, v]) => v !== null)?.[1];
    return {
      service: s.service + (s.track ? ` (${s.track})` : '') + (s.route ? ` ${s.route}` : ''),
      last: formatValue(last, h.unit),
      min: formatValue(vals.length ? Math.min(...vals) : null, h.unit),
      avg: formatValue(vals.length ? sum / vals.length : null, h.unit),
      max: formatValue(vals.length ? Math.max(...vals) : null, h.unit),
      trend: sparkline(s.points),
    };
  });
}

export const METRIC_COLUMNS = ['service', 'last', 'min', 'avg', 'max', 'trend'];

/** The line above the table: what, where, over which range and step. */
export function metricHead(h: MetricHistory): string {
  const step = h.stepMs % 60_000 === 0 ? `${h.stepMs / 60_000}m` : `${h.stepMs / 1000}s`;
  return `${h.metric} of ${h.app} in ${h.env} from ${new Date(h.from).toISOString()} to ${new Date(h.to).toISOString()}, a point per ${step}`;
}

/** One line per release of the range. */
export function markerLines(markers: readonly ReleaseMarker[]): string[] {
  return markers.map(
    (m) =>
      `  ${m.at}  revision ${m.revision}  ${m.kind}${m.kind !== m.releaseKind ? ` (${m.releaseKind})` : ''}  ${m.status}${m.message ? `  ${m.message}` : ''}`,
  );
}
