/**
 * The ECharts option of one metric chart (pure, unit-tested): a line per series, the releases of the
 * range as vertical mark lines labelled with revision and kind — a rollback or an abort in a warning
 * colour — and values formatted by unit.
 */
import type { MetricHistory, ReleaseMarker } from '../api/types';

/** Colours of release markers: a deploy in blue, a rollback or abort in the warning colour. */
export const MARKER_COLORS: Record<ReleaseMarker['kind'], string> = {
  deploy: '#1677ff',
  rollback: '#fa8c16',
  abort: '#ff4d4f',
};

/** One line of a chart: its name in the legend and its points. */
export interface ChartLine {
  name: string;
  points: [number, number | null][];
}

export interface ChartTexts {
  /** A marker's label: revision and kind, translated. */
  marker(m: ReleaseMarker): string;
  /** A value in its unit, translated. */
  value(v: number, unit: string): string;
}

/** The lines of a chart from its answers: one per series, or per metric when a service shows several. */
export function chartLines(
  answers: MetricHistory[],
  nameOf: (h: MetricHistory, service: string) => string,
): ChartLine[] {
  return answers.flatMap((h) => h.series.map((s) => ({ name: nameOf(h, s.service), points: s.points })));
}

export function chartOption(o: {
  lines: ChartLine[];
  markers: ReleaseMarker[];
  unit: string;
  from: number;
  to: number;
  texts: ChartTexts;
}): Record<string, unknown> {
  const { texts, unit } = o;
  const markLine = {
    symbol: ['none', 'none'],
    silent: false,
    animation: false,
    data: o.markers.map((m) => ({
      xAxis: m.t,
      name: texts.marker(m),
      lineStyle: { color: MARKER_COLORS[m.kind], type: m.kind === 'deploy' ? 'dashed' : 'solid', width: 1.5 },
      label: { formatter: texts.marker(m), color: MARKER_COLORS[m.kind], position: 'insideEndTop', fontSize: 11 },
    })),
  };
  const lines = o.lines.length > 0 ? o.lines : [{ name: '', points: [] }];
  return {
    animation: false,
    grid: { left: 64, right: 24, top: 36, bottom: 28 },
    legend: { type: 'scroll', top: 0, data: o.lines.map((l) => l.name) },
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v: number | null) => (v === null || v === undefined ? '-' : texts.value(v, unit)),
    },
    xAxis: { type: 'time', min: o.from, max: o.to },
    yAxis: { type: 'value', min: 0, axisLabel: { formatter: (v: number) => texts.value(v, unit) } },
    series: lines.map((l, i) => ({
      type: 'line',
      name: l.name,
      showSymbol: false,
      connectNulls: false,
      data: l.points,
      // The releases once, on the first line.
      ...(i === 0 ? { markLine } : {}),
    })),
  };
}
