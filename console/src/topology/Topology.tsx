/**
 * The topology of an app in an environment: the call graph from the gateway's spans over a window
 * (edges coloured by health, labelled with rate and p99), beside the declared `dependsOn` graph with
 * undeclared calls and unused dependencies dashed; a legend, the calls as a table and the
 * differences as a list (what the charts show, readable without them).
 */
import { lazy, Suspense, useMemo } from 'react';
import { Card, Col, List, Row, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useParams, useSearchParams } from 'react-router-dom';
import type { TFunction } from 'i18next';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { CallEdge, CallGraph } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageTitle } from '../components/PageTitle';
import type { ChartLink, ChartNode } from './CallGraphChart';
import { CallHealth, FAILING, SLOW, callHealthColor, edgeHealth, markColor, nodeHealth } from './edgeHealth';

const CallGraphChart = lazy(() => import('./CallGraphChart'));

const WINDOWS = ['5m', '15m', '1h', '6h', '24h'] as const;
type Window = (typeof WINDOWS)[number];
const POLL_MS = 15_000;

/** The name a node shows: a service as it is named, the edge and unknown callers in words. */
function nodeLabel(t: TFunction, name: string): string {
  if (name === '(outside)') return t('topology.outside');
  if (name === '(unknown)') return t('topology.unknown');
  return name;
}

const ms = (v: number): string =>
  v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`;
const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;

function observedChart(t: TFunction, g: CallGraph): { nodes: ChartNode[]; links: ChartLink[] } {
  const busiest = Math.max(1, ...g.edges.map((e) => e.ratePerSec));
  const nodes = g.nodes.map((n) => {
    const health = n.kind === 'service' || n.kind === 'external' ? nodeHealth(n.name, g.edges) : CallHealth.idle;
    const label = nodeLabel(t, n.name);
    return {
      name: n.name,
      label,
      color: n.kind === 'outside' || n.kind === 'unknown' ? '#d9d9d9' : callHealthColor[health],
      tip: t('topology.nodeTip', { name: label, health: t(`topology.health.${health}`) }),
    };
  });
  const links = g.edges.map((e) => {
    const health = edgeHealth(e);
    const vars = edgeVars(t, e);
    return {
      from: e.from,
      to: e.to,
      color: callHealthColor[health],
      dashed: e.mark === 'undeclared',
      width: 1.5 + 3 * (e.ratePerSec / busiest),
      label: t('topology.edgeLabel', vars),
      tip: t('topology.edgeTip', vars),
    };
  });
  return { nodes, links };
}

function declaredChart(t: TFunction, g: CallGraph): { nodes: ChartNode[]; links: ChartLink[] } {
  const nodes = g.nodes
    .filter((n) => n.kind === 'service')
    .map((n) => ({ name: n.name, label: n.name, color: '#1677ff', tip: n.name }));
  const links: ChartLink[] = g.declared.map((d) => ({
    from: d.from,
    to: d.to,
    color: d.called ? markColor.declared : markColor.unused,
    dashed: !d.called,
    width: 1.5,
    label: d.called ? '' : t('topology.marks.unused'),
    tip: d.called ? `${d.from} → ${d.to}` : t('topology.difference.unused', { from: d.from, to: d.to }),
  }));
  for (const e of g.edges)
    if (e.mark === 'undeclared')
      links.push({
        from: e.from,
        to: e.to,
        color: markColor.undeclared,
        dashed: true,
        width: 1.5,
        label: t('topology.marks.undeclared'),
        tip: t('topology.difference.undeclared', { from: e.from, to: e.to }),
      });
  return { nodes, links };
}

function edgeVars(t: TFunction, e: CallEdge) {
  return {
    from: nodeLabel(t, e.from),
    to: nodeLabel(t, e.to),
    count: e.count,
    rate: e.ratePerSec,
    errorRate: percent(e.errorRate),
    p50: ms(e.p50Ms),
    p99: ms(e.p99Ms),
  };
}

function Legend() {
  const { t } = useTranslation();
  const limits = {
    slowErrors: percent(SLOW.errorRate),
    slowP99: ms(SLOW.p99Ms),
    failingErrors: percent(FAILING.errorRate),
    failingP99: ms(FAILING.p99Ms),
  };
  const items: [string, string, boolean][] = [
    [callHealthColor.healthy, t('topology.legend.healthy', limits), false],
    [callHealthColor.slow, t('topology.legend.slow', limits), false],
    [callHealthColor.failing, t('topology.legend.failing', limits), false],
    [callHealthColor.idle, t('topology.legend.idle'), false],
    [markColor.declared, t('topology.legend.declared'), false],
    [markColor.undeclared, t('topology.legend.undeclared'), true],
    [markColor.unused, t('topology.legend.unused'), true],
  ];
  return (
    <Space wrap data-testid="topology-legend" style={{ marginTop: 8 }}>
      <Typography.Text strong>{t('topology.legend.title')}</Typography.Text>
      {items.map(([color, text, dashed]) => (
        <Space key={text} size={4}>
          <span
            style={{
              display: 'inline-block',
              width: 24,
              borderTop: `3px ${dashed ? 'dashed' : 'solid'} ${color}`,
              verticalAlign: 'middle',
            }}
          />
          <Typography.Text type="secondary">{text}</Typography.Text>
        </Space>
      ))}
    </Space>
  );
}

export default function Topology() {
  const { t } = useTranslation();
  const { app = '', env = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const asked = params.get('window');
  const window: Window = (WINDOWS as readonly string[]).includes(asked ?? '') ? (asked as Window) : '15m';
  const graph = useResource<CallGraph>(`${appBase(app, env)}/callgraph?window=${window}`, { pollMs: POLL_MS });
  const g = graph.data;
  const observed = useMemo(() => (g ? observedChart(t, g) : undefined), [g, t]);
  const declared = useMemo(() => (g ? declaredChart(t, g) : undefined), [g, t]);
  const requests = g?.edges.reduce((n, e) => n + e.count, 0) ?? 0;

  return (
    <div data-page="topology">
      <PageTitle
        title={t('topology.title', { app, env })}
        actions={
          <Space>
            <Typography.Text type="secondary">{t('topology.window')}</Typography.Text>
            <Select<Window>
              data-testid="window-select"
              value={window}
              style={{ minWidth: 160 }}
              onChange={(w) => setParams({ window: w })}
              options={WINDOWS.map((w) => ({ value: w, label: t(`topology.windows.${w}`) }))}
            />
          </Space>
        }
      >
        {g && (
          <Typography.Text type="secondary" data-testid="topology-summary">
            {t('topology.summary', { requests, calls: g.edges.length })}
          </Typography.Text>
        )}
      </PageTitle>
      {g && (
        <Typography.Paragraph type="secondary">{t('topology.hint', { revision: g.revision })}</Typography.Paragraph>
      )}
      {graph.error !== undefined && <ErrorAlert error={graph.error} />}
      {g && observed && declared && (
        <>
          <Row gutter={16}>
            <Col xs={24} xl={12}>
              <Card size="small" title={t('topology.observed')}>
                {g.edges.length === 0 && <Typography.Text type="secondary">{t('topology.noCalls')}</Typography.Text>}
                <Suspense fallback={<Spin />}>
                  <CallGraphChart testId="observed-graph" nodes={observed.nodes} links={observed.links} />
                </Suspense>
              </Card>
            </Col>
            <Col xs={24} xl={12}>
              <Card size="small" title={t('topology.declared')}>
                <Suspense fallback={<Spin />}>
                  <CallGraphChart testId="declared-graph" nodes={declared.nodes} links={declared.links} />
                </Suspense>
              </Card>
            </Col>
          </Row>
          <Legend />
          <Card size="small" title={t('topology.differences')} style={{ marginTop: 16 }}>
            <List
              data-testid="callgraph-differences"
              size="small"
              dataSource={g.differences}
              locale={{ emptyText: t('topology.noDifferences') }}
              renderItem={(d) => (
                <List.Item data-mark={d.mark} data-edge={`${d.from}>${d.to}`}>
                  <Space>
                    <Tag color={d.mark === 'undeclared' ? 'magenta' : 'orange'}>{t(`topology.marks.${d.mark}`)}</Tag>
                    {t(`topology.difference.${d.mark}`, { from: nodeLabel(t, d.from), to: nodeLabel(t, d.to) })}
                  </Space>
                </List.Item>
              )}
            />
          </Card>
          <Table<CallEdge>
            data-testid="callgraph-edges"
            style={{ marginTop: 16 }}
            size="small"
            pagination={false}
            rowKey={(e) => `${e.from}>${e.to}`}
            onRow={(e) => ({ 'data-edge': `${e.from}>${e.to}` }) as React.HTMLAttributes<HTMLElement>}
            dataSource={g.edges}
            locale={{ emptyText: t('topology.noCalls') }}
            columns={[
              { title: t('topology.columns.caller'), dataIndex: 'from', render: (v: string) => nodeLabel(t, v) },
              { title: t('topology.columns.callee'), dataIndex: 'to', render: (v: string) => nodeLabel(t, v) },
              { title: t('topology.columns.requests'), dataIndex: 'count', align: 'right' },
              {
                title: t('topology.columns.rate'),
                dataIndex: 'ratePerSec',
                align: 'right',
                render: (v: number) => t('topology.perSecond', { rate: v }),
              },
              { title: t('topology.columns.errorRate'), dataIndex: 'errorRate', align: 'right', render: percent },
              { title: t('topology.columns.p50'), dataIndex: 'p50Ms', align: 'right', render: ms },
              { title: t('topology.columns.p99'), dataIndex: 'p99Ms', align: 'right', render: ms },
              {
                title: t('topology.columns.health'),
                key: 'health',
                render: (_: unknown, e: CallEdge) => {
                  const h = edgeHealth(e);
                  return (
                    <Tag color={callHealthColor[h]} data-health={h}>
                      {t(`topology.health.${h}`)}
                    </Tag>
                  );
                },
              },
              {
                title: t('topology.columns.mark'),
                dataIndex: 'mark',
                render: (v: CallEdge['mark']) =>
                  v === undefined ? '' : <Tag color="magenta">{t(`topology.marks.${v}`)}</Tag>,
              },
            ]}
          />
        </>
      )}
    </div>
  );
}
