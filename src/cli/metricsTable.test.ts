import { describe, expect, it } from 'vitest';
import type { MetricHistory } from '../model/metricHistory.js';
import { formatValue, markerLines, metricHead, metricRows, sparkline } from './metricsTable.js';

const T = Date.parse('2026-12-06T10:00:00Z');

describe('berth metrics as a table', () => {
  it('formats values by unit', () => {
    expect(formatValue(3.2, '1/s')).toBe('3.20/s');
    expect(formatValue(0.015, 'ratio')).toBe('1.5%');
    expect(formatValue(12.34, 'ms')).toBe('12.3 ms');
    expect(formatValue(48 * 1024 * 1024, 'bytes')).toBe('48.0 MiB');
    expect(formatValue(7, 'count')).toBe('7');
    expect(formatValue(null, 'count')).toBe('-');
  });

  it('draws a sparkline from the lowest to the highest value, a gap where a step has none', () => {
    expect(
      sparkline([
        [0, 0],
        [1, 7],
        [2, null],
        [3, 14],
      ]),
    ).toBe('▁▅ █');
    expect(sparkline([[0, null]])).toBe('');
  });

  it('shows a row per series and the releases of the range', () => {
    const h: MetricHistory = {
      app: 'shop',
      env: 'local',
      metric: 'requests',
      unit: 'count',
      from: T,
      to: T + 30_000,
      stepMs: 10_000,
      resolution: 'raw',
      series: [
        {
          service: 'web',
          points: [
            [T, 2],
            [T + 10_000, null],
            [T + 20_000, 4],
          ],
        },
      ],
      markers: [
        {
          t: T,
          at: '2026-12-06T10:00:00.000Z',
          revision: 3,
          kind: 'rollback',
          releaseKind: 'auto-rollback',
          status: 'succeeded',
        },
      ],
    };
    expect(metricHead(h)).toBe(
      'requests of shop in local from 2026-12-06T10:00:00.000Z to 2026-12-06T10:00:30.000Z, a point per 10s',
    );
    expect(metricRows(h)).toEqual([{ service: 'web', last: '4', min: '2', avg: '3', max: '4', trend: '▁ █' }]);
    expect(markerLines(h.markers)).toEqual([
      '  2026-12-06T10:00:00.000Z  revision 3  rollback (auto-rollback)  succeeded',
    ]);
  });
});
