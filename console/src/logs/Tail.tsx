/** The logs page's live tail of an app's output, per service or replica, with a filter; the newest lines at the bottom. */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Badge, Button, Card, Input, Select, Space, Switch, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router-dom';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import { streamNdjson } from '../api/stream';
import type { AppStatus, LogLine } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatClock } from '../components/format';

/** Lines kept in the page; older ones are dropped. */
const KEEP = 2000;

/** Lines that contain `filter` (case-insensitive) in the text, service or replica. */
export function filterLines(lines: LogLine[], filter: string): LogLine[] {
  const f = filter.trim().toLowerCase();
  if (!f) return lines;
  return lines.filter((l) => l.line.toLowerCase().includes(f) || l.service.includes(f) || l.replica.includes(f));
}

export default function LogsTail() {
  const { t, i18n } = useTranslation();
  const { app = '', env = '' } = useParams();
  const base = appBase(app, env);
  const status = useResource<AppStatus>(`${base}/status`);
  const [service, setService] = useState<string | undefined>(undefined);
  const [replica, setReplica] = useState<string | undefined>(undefined);
  const [filter, setFilter] = useState('');
  const [follow, setFollow] = useState(true);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const [streaming, setStreaming] = useState(false);
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    const q = new URLSearchParams({ follow: String(follow), tail: '200' });
    if (service) q.set('service', service);
    if (replica) q.set('replica', replica);
    setLines([]);
    setError(undefined);
    setStreaming(true);
    streamNdjson<LogLine & { error?: string }>(
      `${base}/logs?${q.toString()}`,
      (batch) => setLines((ls) => [...ls, ...batch.filter((l) => !l.error)].slice(-KEEP)),
      abort.signal,
    )
      .catch((err: unknown) => !abort.signal.aborted && setError(err))
      .finally(() => !abort.signal.aborted && setStreaming(false));
    return () => abort.abort();
  }, [base, service, replica, follow]);

  const shown = useMemo(() => filterLines(lines, filter), [lines, filter]);
  useEffect(() => {
    // Chromium's scrollIntoView returns a promise now: never hand it to React as a cleanup.
    void bottom.current?.scrollIntoView?.({ block: 'end' });
  }, [shown.length]);

  const services = status.data?.services ?? [];
  const replicas = services
    .filter((s) => !service || s.service === service)
    .flatMap((s) => s.replicas.map((r) => r.id));

  return (
    <div data-testid="log-tail">
      <ErrorAlert error={status.error ?? error} />
      <Card
        size="small"
        title={
          <Space wrap>
            <Select
              allowClear
              style={{ width: 180 }}
              placeholder={t('logs.allServices')}
              value={service}
              onChange={(v?: string) => {
                setService(v);
                setReplica(undefined);
              }}
              options={services.map((s) => ({ value: s.service, label: s.service }))}
              data-testid="log-service"
            />
            <Select
              allowClear
              style={{ width: 240 }}
              placeholder={t('logs.allReplicas')}
              value={replica}
              onChange={(v?: string) => setReplica(v)}
              options={replicas.map((r) => ({ value: r, label: r }))}
            />
            <Input.Search
              allowClear
              style={{ width: 240 }}
              placeholder={t('logs.filter')}
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
              data-testid="log-filter"
            />
            <Space>
              <Switch checked={follow} onChange={setFollow} />
              <Typography.Text>{t('logs.follow')}</Typography.Text>
            </Space>
            <Badge
              status={streaming && follow ? 'processing' : 'default'}
              text={streaming && follow ? t('common.live') : t('logs.stopped')}
            />
          </Space>
        }
        extra={<Button onClick={() => setLines([])}>{t('logs.clear')}</Button>}
      >
        <div
          className="log-lines"
          data-testid="log-lines"
          style={{
            fontFamily: 'monospace',
            fontSize: 12,
            background: '#141414',
            color: '#d9d9d9',
            padding: 12,
            height: 520,
            overflow: 'auto',
            whiteSpace: 'pre-wrap',
          }}
        >
          {shown.length === 0 ? (
            <span style={{ color: '#8c8c8c' }}>{filter ? t('logs.noMatch') : t('logs.empty')}</span>
          ) : null}
          {shown.map((l, i) => (
            <div key={i} className="log-line">
              <span style={{ color: '#8c8c8c' }}>{formatClock(l.time, i18n.language)}</span>{' '}
              <span style={{ color: '#69b1ff' }}>{l.replica}</span>{' '}
              <span style={{ color: l.stream === 'stderr' ? '#ff7875' : undefined }}>{l.line}</span>
            </div>
          ))}
          <div ref={bottom} />
        </div>
        <Typography.Text type="secondary">
          {t('logs.count', { shown: shown.length, total: lines.length })}
        </Typography.Text>
      </Card>
    </div>
  );
}
