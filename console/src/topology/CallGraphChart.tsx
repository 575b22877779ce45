/**
 * One graph of the topology page (ECharts graph series, loaded on demand): nodes placed left to
 * right by call depth, coloured as the page says, and directed edges with their own colour, width,
 * dash and label. The page draws the observed calls and the declared graph with it.
 */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { GraphChart } from 'echarts/charts';
import { TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { layered } from './edgeHealth';

echarts.use([GraphChart, TooltipComponent, CanvasRenderer]);

export interface ChartNode {
  /** The node's key (the service, `(outside)`, `(unknown)`). */
  name: string;
  /** What the node shows (translated). */
  label: string;
  color: string;
  tip: string;
}

export interface ChartLink {
  from: string;
  to: string;
  color: string;
  dashed: boolean;
  width: number;
  label: string;
  tip: string;
}

export default function CallGraphChart({
  nodes,
  links,
  testId,
}: {
  nodes: ChartNode[];
  links: ChartLink[];
  testId: string;
}) {
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
    const pos = layered(
      nodes.map((n) => n.name),
      links,
    );
    chart.current?.setOption(
      {
        tooltip: { formatter: (p: { data?: { tip?: string } }) => p.data?.tip ?? '' },
        series: [
          {
            type: 'graph',
            layout: 'none',
            roam: true,
            symbolSize: 48,
            edgeSymbol: ['none', 'arrow'],
            edgeSymbolSize: 10,
            label: { show: true, position: 'bottom', fontSize: 13 },
            edgeLabel: { show: true, fontSize: 11, formatter: (p: { data?: { text?: string } }) => p.data?.text ?? '' },
            data: nodes.map((n) => ({
              name: n.name,
              ...(pos.get(n.name) ?? { x: 0, y: 0 }),
              tip: n.tip,
              itemStyle: { color: n.color },
              label: { formatter: n.label },
            })),
            links: links.map((l) => ({
              source: l.from,
              target: l.to,
              text: l.label,
              tip: l.tip,
              lineStyle: {
                color: l.color,
                width: l.width,
                type: l.dashed ? 'dashed' : 'solid',
                // A call that skips a column bends further, so it and its label clear the nodes between.
                curveness: Math.abs((pos.get(l.to)?.x ?? 0) - (pos.get(l.from)?.x ?? 0)) > 200 ? 0.35 : 0.15,
              },
            })),
          },
        ],
      },
      true,
    );
  }, [nodes, links]);

  return <div ref={el} data-testid={testId} style={{ width: '100%', height: 340 }} />;
}
