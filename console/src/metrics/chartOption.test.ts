import { describe, expect, it } from 'vitest';
import type { MetricHistory, ReleaseMarker } from '../api/types';
import { chartLines, chartOption, MARKER_COLORS } from './chartOption';

const T = Date.parse('2026-12-06T10:00:00Z');
const marker = (revision: number, kind: ReleaseMarker['kind']): ReleaseMarker => ({
  t: T + revision * 60_000,
  at: new Date(T + revision * 60_000).toISOString(),
  revision,
  kind,
  releaseKind: kind === 'abort' ? 'deploy' : kind,
  status: kind === 'abort' ? 'failed' : 'succeeded',
});
const history = (metric: MetricHistory['metric'], services: string[]): MetricHistory => ({
  app: 'shop',
  env: 'local',
  metric,
  unit: 'ms',
  from: T,
  to: T + 600_000,
  stepMs: 10_000,
  resolution: 'raw',
  series: services.map((service) => ({ service, points: [[T, 1]] })),
  markers: [],
});

describe('a metric chart', () => {
  it('draws a line per series, named by service or by metric', () => {
    expect(chartLines([history('p99', ['orders', 'web'])], (_, s) => s).map((l) => l.name)).toEqual(['orders', 'web']);
    expect(chartLines([history('p50', ['web']), history('p99', ['web'])], (h) => h.metric).map((l) => l.name)).toEqual([
      'p50',
      'p99',
    ]);
  });

  it('puts the releases on the time axis with revision and kind, a rollback or abort in a warning colour', () => {
    const option = chartOption({
      lines: [{ name: 'web', points: [[T, 3]] }],
      markers: [marker(1, 'deploy'), marker(2, 'rollback'), marker(3, 'abort')],
      unit: 'ms',
      from: T,
      to: T + 600_000,
      texts: { marker: (m) => `rev ${m.revision} ${m.kind}`, value: (v) => `${v} ms` },
    }) as { series: { markLine?: { data: { xAxis: number; name: string; lineStyle: { color: string } }[] } }[] };
    const data = option.series[0]!.markLine!.data;
    expect(data.map((d) => [d.xAxis, d.name])).toEqual([
      [T + 60_000, 'rev 1 deploy'],
      [T + 120_000, 'rev 2 rollback'],
      [T + 180_000, 'rev 3 abort'],
    ]);
    expect(data.map((d) => d.lineStyle.color)).toEqual([
      MARKER_COLORS.deploy,
      MARKER_COLORS.rollback,
      MARKER_COLORS.abort,
    ]);
    expect(MARKER_COLORS.rollback).not.toBe(MARKER_COLORS.deploy);
  });
});
