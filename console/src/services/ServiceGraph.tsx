/**
 * The services of an app as a dependency graph (ECharts graph series, loaded on demand): one column
 * per deploy level, an arrow from each service to what it depends on, nodes coloured by health.
 */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { GraphChart } from 'echarts/charts';
import { TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { ServiceStatus } from '../api/types';
import { healthColor, serviceHealth, Health } from '../components/health';

echarts.use([GraphChart, TooltipComponent, CanvasRenderer]);

export interface GraphService {
  name: string;
  dependsOn: string[];
  status?: ServiceStatus;
}

/** Node positions: x by deploy level, y spread within the level. */
export function layoutGraph(levels: string[][]): Map<string, { x: number; y: number }> {
  const pos = new Map<string, { x: number; y: number }>();
  const tallest = Math.max(1, ...levels.map((l) => l.length));
  levels.forEach((level, i) =>
    level.forEach((name, j) => pos.set(name, { x: i * 220, y: (j - (level.length - 1) / 2) * (360 / tallest) })),
  );
  return pos;
}

export default function ServiceGraph({ services, levels }: { services: GraphService[]; levels: string[][] }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!el.current) return undefined;
    chart.current = echarts.init(el.current);
    const onResize = (): void => chart.current?.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    const pos = layoutGraph(levels.length > 0 ? levels : [services.map((s) => s.name)]);
    chart.current?.setOption({
      tooltip: { formatter: (p: { data?: { tip?: string } }) => p.data?.tip ?? '' },
      series: [
        {
          type: 'graph',
          layout: 'none',
          roam: true,
          symbolSize: 56,
          edgeSymbol: ['none', 'arrow'],
          edgeSymbolSize: 10,
          label: { show: true, position: 'bottom', fontSize: 13 },
          lineStyle: { color: '#8c8c8c', width: 1.5, curveness: 0.1 },
          data: services.map((s) => {
            const h = s.status ? serviceHealth(s.status) : Health.unknown;
            const p = pos.get(s.name) ?? { x: 0, y: 0 };
            const ready = s.status ? `${s.status.readyReplicas}/${s.status.desiredReplicas}` : '–';
            return {
              name: s.name,
              x: p.x,
              y: p.y,
              value: ready,
              tip: `${s.name}: ${ready}`,
              itemStyle: { color: healthColor[h] },
              label: { formatter: `${s.name}  ${ready}` },
            };
          }),
          links: services.flatMap((s) => s.dependsOn.map((d) => ({ source: s.name, target: d }))),
        },
      ],
    });
  }, [services, levels]);

  return <div ref={el} data-testid="service-graph" style={{ width: '100%', height: 320 }} />;
}
