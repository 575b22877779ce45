/**
 * The recent traces of an app in an environment, newest first: when, where each entered (an app
 * route, or a service address), the services it reached, spans, duration and status; filtered by
 * service, failure, a minimum duration and a time range. A trace id (from a log line or a header)
 * opens its waterfall directly.
 */
import { useState } from 'react';
import { Alert, Button, Card, Input, InputNumber, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { ReloadOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { AppStatus } from '../api/types';
import type { TraceList, TraceSummary } from '../../../src/model/trace.js';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageTitle } from '../components/PageTitle';
import { formatMs, shortService, statusColor } from './layout';

const SINCE = ['15m', '1h', '6h', '24h'] as const;
type Since = (typeof SINCE)[number];
const TRACE_ID = /^[0-9a-fA-F]{32}$/;

/** The list's query string from the filters. */
export function traceQuery(f: { service?: string; failed: boolean; minMs?: number | null; since: Since }): string {
  const q = new URLSearchParams({ since: f.since, limit: '100' });
  if (f.service) q.set('service', f.service);
  if (f.failed) q.set('errors', 'true');
  if (f.minMs) q.set('minMs', String(f.minMs));
  return q.toString();
}

export default function TracesList() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const { app = '', env = '' } = useParams();
  const base = appBase(app, env);
  const [service, setService] = useState<string | undefined>(undefined);
  const [failed, setFailed] = useState(false);
  const [minMs, setMinMs] = useState<number | null>(null);
  const [since, setSince] = useState<Since>('1h');
  const [badId, setBadId] = useState<string | undefined>(undefined);
  const status = useResource<AppStatus>(`${base}/status`);
  const list = useResource<TraceList>(`${base}/traces?${traceQuery({ service, failed, minMs, since })}`, {
    pollMs: 5000,
  });
  const waterfallOf = (id: string): string =>
    `/apps/${encodeURIComponent(app)}/${encodeURIComponent(env)}/traces/${id.toLowerCase()}`;
  const open = (text: string): void => {
    const id = text.trim();
    if (!TRACE_ID.test(id)) return setBadId(id);
    setBadId(undefined);
    void navigate(waterfallOf(id));
  };
  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });

  return (
    <div data-page="traces">
      <PageTitle title={t('traces.title', { app, env })} />
      <Typography.Paragraph type="secondary">{t('traces.hint')}</Typography.Paragraph>
      <ErrorAlert error={list.error ?? status.error} />
      <Card
        size="small"
        title={
          <Space wrap>
            <Select
              allowClear
              data-testid="traces-service"
              style={{ width: 180 }}
              placeholder={t('traces.allServices')}
              value={service}
              onChange={(v?: string) => setService(v)}
              options={(status.data?.services ?? []).map((s) => ({ value: s.service, label: s.service }))}
            />
            <Space>
              <Switch data-testid="traces-failed" size="small" checked={failed} onChange={setFailed} />
              <Typography.Text>{t('traces.failedOnly')}</Typography.Text>
            </Space>
            <Space>
              <Typography.Text>{t('traces.minDuration')}</Typography.Text>
              <InputNumber
                data-testid="traces-min"
                min={0}
                style={{ width: 110 }}
                suffix="ms"
                value={minMs}
                onChange={(v) => setMinMs(v)}
              />
            </Space>
            <Select
              data-testid="traces-since"
              style={{ width: 160 }}
              value={since}
              onChange={(v: Since) => setSince(v)}
              options={SINCE.map((s) => ({ value: s, label: t(`traces.sinceOptions.${s}`) }))}
            />
            <Button icon={<ReloadOutlined />} onClick={() => list.reload()}>
              {t('traces.refresh')}
            </Button>
          </Space>
        }
        extra={
          <Input.Search
            data-testid="trace-find"
            style={{ width: 360 }}
            placeholder={t('traces.findPlaceholder')}
            enterButton={t('traces.find')}
            onSearch={open}
          />
        }
      >
        {badId !== undefined && (
          <Alert
            data-testid="trace-bad-id"
            type="warning"
            showIcon
            style={{ marginBottom: 12 }}
            title={t('traces.badId', { id: badId })}
          />
        )}
        {list.data?.truncated && (
          <Typography.Paragraph type="secondary">
            {t('traces.truncated', { count: list.data.traces.length })}
          </Typography.Paragraph>
        )}
        <Table<TraceSummary>
          size="small"
          rowKey="traceId"
          loading={list.loading && list.data === undefined}
          dataSource={list.data?.traces ?? []}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          locale={{ emptyText: t('traces.none') }}
          onRow={(r) => ({ onClick: () => void navigate(waterfallOf(r.traceId)), style: { cursor: 'pointer' } })}
          columns={[
            {
              title: t('traces.columns.started'),
              dataIndex: 'startMs',
              render: (v: number) => time.format(new Date(v)),
            },
            {
              title: t('traces.columns.trace'),
              dataIndex: 'traceId',
              render: (v: string) => (
                <Link to={waterfallOf(v)} data-testid={`trace-${v}`} onClick={(e) => e.stopPropagation()}>
                  <Typography.Text code>{v}</Typography.Text>
                </Link>
              ),
            },
            {
              title: t('traces.columns.entry'),
              key: 'entry',
              render: (_: unknown, r: TraceSummary) =>
                r.root.kind === 'edge'
                  ? `${r.root.method} ${r.root.route ?? t('traces.noRoute')}`
                  : `${r.root.method} ${shortService(r.root.service, app, env)}`,
            },
            {
              title: t('traces.columns.services'),
              dataIndex: 'services',
              render: (v: string[]) => (
                <Space size={4} wrap>
                  {v.map((s) => (
                    <Tag key={s}>{shortService(s, app, env)}</Tag>
                  ))}
                </Space>
              ),
            },
            { title: t('traces.columns.spans'), dataIndex: 'spans', align: 'right' },
            {
              title: t('traces.columns.duration'),
              dataIndex: 'durationMs',
              align: 'right',
              render: (v: number) => formatMs(v),
            },
            {
              title: t('traces.columns.status'),
              key: 'status',
              render: (_: unknown, r: TraceSummary) => (
                <Space size={4}>
                  <Tag color={statusColor(r.root)}>{r.root.status || t('traces.clientGone')}</Tag>
                  {r.error && <Tag color="error">{t('traces.failed')}</Tag>}
                </Space>
              ),
            },
          ]}
        />
      </Card>
    </div>
  );
}
