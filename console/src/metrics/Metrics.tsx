/**
 * The metric history of an app (issue 16, point 4): line charts of requests, error rate, latency,
 * CPU, memory, restarts and replicas — a line per service, or for one service its own lines (p50 and
 * p99, ready and desired) — over a chosen range, with the releases of the range on the time axis.
 */
import { useEffect, useMemo, useState } from 'react';
import { Card, Col, Empty, Row, Segmented, Select, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router-dom';
import { api, appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { AppStatus, MetricHistory, MetricName, ReleaseMarker } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageTitle } from '../components/PageTitle';
import MetricChart from './MetricChart';
import { chartLines } from './chartOption';

/** The ranges offered, and how far back each reaches. */
export const RANGES = {
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};
type Range = keyof typeof RANGES;

/** The charts: the metrics each shows for a service, and for the whole app (a line per service). */
export const CHARTS: {
  id: 'rps' | 'errorRate' | 'latency' | 'cpu' | 'memory' | 'restarts' | 'replicas';
  service: MetricName[];
  app: MetricName[];
}[] = [
  { id: 'rps', service: ['rps'], app: ['rps'] },
  { id: 'errorRate', service: ['errorRate'], app: ['errorRate'] },
  { id: 'latency', service: ['p50', 'p99'], app: ['p99'] },
  { id: 'cpu', service: ['cpu'], app: ['cpu'] },
  { id: 'memory', service: ['memory'], app: ['memory'] },
  { id: 'restarts', service: ['restarts'], app: ['restarts'] },
  { id: 'replicas', service: ['ready', 'desired'], app: ['ready'] },
];

interface Loaded {
  answers: Map<string, MetricHistory[]>;
  markers: ReleaseMarker[];
  from: number;
  to: number;
}

export default function Metrics() {
  const { t } = useTranslation();
  const { app = '', env = '' } = useParams();
  const base = appBase(app, env);
  const status = useResource<AppStatus>(`${base}/status`);
  const [range, setRange] = useState<Range>('1h');
  const [service, setService] = useState<string | undefined>(undefined);
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    const get = (metric: MetricName): Promise<MetricHistory> => {
      const q = new URLSearchParams({ metric, from: range === '24h' ? '1d' : range });
      if (service) q.set('service', service);
      return api<MetricHistory>('GET', `${base}/metrics/history?${q.toString()}`, undefined, abort.signal);
    };
    Promise.all(
      CHARTS.map(async (c) => [c.id, await Promise.all((service ? c.service : c.app).map(get))] as const),
    ).then(
      (all) => {
        const answers = new Map(all);
        const first = all[0]![1][0]!;
        setLoaded({ answers, markers: first.markers, from: first.from, to: first.to });
        setError(undefined);
      },
      (err: unknown) => !abort.signal.aborted && setError(err),
    );
    return () => abort.abort();
  }, [base, range, service, tick]);

  const services = (status.data?.services ?? []).map((s) => s.service);
  const lines = useMemo(() => {
    const out = new Map<string, ReturnType<typeof chartLines>>();
    for (const c of CHARTS) {
      const answers = loaded?.answers.get(c.id) ?? [];
      out.set(
        c.id,
        chartLines(answers, (h, svc) => (service && answers.length > 1 ? t(`metrics.series.${h.metric}`) : svc)),
      );
    }
    return out;
  }, [loaded, service, t]);

  return (
    <div data-page="metrics">
      <PageTitle title={t('metrics.title', { app, env })} />
      <ErrorAlert error={status.error ?? error} />
      <Space wrap style={{ marginBottom: 16 }}>
        <Segmented
          data-testid="metrics-range"
          value={range}
          onChange={(v) => setRange(v as Range)}
          options={(Object.keys(RANGES) as Range[]).map((r) => ({ value: r, label: t(`metrics.range.${r}`) }))}
        />
        <Select
          allowClear
          data-testid="metrics-service"
          style={{ width: 200 }}
          placeholder={t('metrics.allServices')}
          value={service}
          onChange={(v?: string) => setService(v)}
          options={services.map((s) => ({ value: s, label: s }))}
        />
        <Typography.Text type="secondary">{t('metrics.markersHelp')}</Typography.Text>
      </Space>
      {loaded && [...lines.values()].every((l) => l.length === 0) ? (
        <Empty description={t('metrics.empty')} />
      ) : (
        <Row gutter={[16, 16]}>
          {CHARTS.map((c) => {
            const answers = loaded?.answers.get(c.id) ?? [];
            return (
              <Col key={c.id} xs={24} xl={12}>
                <Card size="small" title={t(`metrics.chart.${c.id}`)}>
                  <MetricChart
                    id={c.id}
                    lines={lines.get(c.id) ?? []}
                    markers={loaded?.markers ?? []}
                    unit={answers[0]?.unit ?? 'count'}
                    from={loaded?.from ?? 0}
                    to={loaded?.to ?? 0}
                  />
                </Card>
              </Col>
            );
          })}
        </Row>
      )}
    </div>
  );
}
