/**
 * One metric chart (ECharts line chart, loaded with the page): its lines and release markers. The
 * container carries what it shows as data attributes (lines, points with data, markers) for tests.
 */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { useTranslation } from 'react-i18next';
import type { ReleaseMarker } from '../api/types';
import { chartOption, type ChartLine } from './chartOption';
import { formatMetric } from './format';

echarts.use([LineChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

export default function MetricChart(props: {
  id: string;
  lines: ChartLine[];
  markers: ReleaseMarker[];
  unit: string;
  from: number;
  to: number;
}) {
  const { t, i18n } = useTranslation();
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const locale = i18n.language === 'zh-CN' ? 'ZH' : 'EN';

  useEffect(() => {
    if (!el.current) return undefined;
    chart.current = echarts.init(el.current, undefined, { locale });
    const onResize = (): void => chart.current?.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, [locale]);

  useEffect(() => {
    chart.current?.setOption(
      chartOption({
        lines: props.lines,
        markers: props.markers,
        unit: props.unit,
        from: props.from,
        to: props.to,
        texts: {
          marker: (m) => t('metrics.marker', { revision: m.revision, kind: t(`metrics.kind.${m.kind}`) }),
          value: (v, unit) => formatMetric(t, v, unit),
        },
      }),
      { notMerge: true },
    );
  }, [props.lines, props.markers, props.unit, props.from, props.to, t, locale]);

  const points = props.lines.reduce((n, l) => n + l.points.filter(([, v]) => v !== null).length, 0);
  return (
    <div
      ref={el}
      data-testid={`metric-chart-${props.id}`}
      data-lines={props.lines.map((l) => l.name).join('|')}
      data-points={points}
      data-markers={props.markers.map((m) => `${m.revision}:${m.kind}`).join(' ')}
      style={{ width: '100%', height: 240 }}
    />
  );
}
