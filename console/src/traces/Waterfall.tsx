/**
 * One trace as a waterfall (`/apps/:app/:env/traces/:traceId`): a row per span, nested under its
 * parent, saying who called whom (caller → callee, or from outside through a route), with a bar on
 * the trace's time axis (offset and duration) coloured by status; a click on a row shows the
 * span's details.
 */
import { useState } from 'react';
import { Button, Card, Descriptions, Drawer, Space, Tag, Typography } from 'antd';
import { ArrowLeftOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { useResource } from '../api/hooks';
import type { StoredSpan, TraceView } from '../../../src/model/trace.js';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageTitle } from '../components/PageTitle';
import type { enTraces } from '../i18n/enTraces';
import { formatMs, shortService, statusColor, waterfall, type WaterfallRow } from './layout';

const LABEL_WIDTH = 420;
/** The column of each span's duration and status, right of the time axis. */
const RIGHT_WIDTH = 150;

function Call({ span, app, env }: { span: StoredSpan; app: string; env: string }) {
  const { t } = useTranslation();
  const callee = <Typography.Text strong>{shortService(span.service, app, env) || '–'}</Typography.Text>;
  if (span.kind === 'edge')
    return (
      <Space size={4}>
        {callee}
        <Typography.Text type="secondary">
          {t('traces.fromEdge', { route: `${span.method} ${span.route ?? t('traces.noRoute')}` })}
        </Typography.Text>
      </Space>
    );
  return (
    <Space size={4}>
      <Typography.Text type="secondary">
        {span.caller !== undefined ? shortService(span.caller, app, env) : t('traces.unknownCaller')}
      </Typography.Text>
      <Typography.Text type="secondary">→</Typography.Text>
      {callee}
      <Typography.Text type="secondary">{span.method}</Typography.Text>
    </Space>
  );
}

function Row({ row, app, env, onOpen }: { row: WaterfallRow; app: string; env: string; onOpen: () => void }) {
  const { t } = useTranslation();
  const s = row.span;
  return (
    <div
      data-testid={`span-${s.spanId}`}
      data-depth={row.depth}
      onClick={onOpen}
      style={{
        display: 'flex',
        alignItems: 'center',
        cursor: 'pointer',
        padding: '4px 0',
        borderBottom: '1px solid #f5f5f5',
      }}
    >
      <div
        style={{
          width: LABEL_WIDTH,
          flex: 'none',
          paddingLeft: row.depth * 20,
          overflow: 'hidden',
          whiteSpace: 'nowrap',
        }}
      >
        <Call span={s} app={app} env={env} />
      </div>
      <div style={{ position: 'relative', flex: 1, height: 22 }}>
        <div
          data-bar
          title={`${formatMs(row.offsetMs)} + ${formatMs(s.durationMs)}`}
          style={{
            position: 'absolute',
            left: `${row.leftPct}%`,
            width: `${row.widthPct}%`,
            top: 3,
            height: 16,
            borderRadius: 3,
            background: statusColor(s),
          }}
        />
      </div>
      <div style={{ width: RIGHT_WIDTH, flex: 'none', textAlign: 'right', fontSize: 12, whiteSpace: 'nowrap' }}>
        {formatMs(s.durationMs)} · {s.status || t('traces.clientGone')}
      </div>
    </div>
  );
}

function Details({ span, startMs, app, env }: { span: StoredSpan; startMs: number; app: string; env: string }) {
  const { t, i18n } = useTranslation();
  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const items: [keyof typeof enTraces.fields, React.ReactNode][] = [
    ['spanId', <Typography.Text code>{span.spanId}</Typography.Text>],
    ['parentId', span.parentId ? <Typography.Text code>{span.parentId}</Typography.Text> : '–'],
    ['kind', t(`traces.kinds.${span.kind}`)],
    ['edge', span.edge ?? '–'],
    ['route', span.route ?? '–'],
    ['service', span.service ?? '–'],
    [
      'caller',
      span.caller !== undefined
        ? shortService(span.caller, app, env)
        : span.kind === 'edge'
          ? '–'
          : t('traces.unknownCaller'),
    ],
    ['track', span.track ? t(`traces.tracks.${span.track}`) : '–'],
    ['method', span.method],
    ['path', span.path ?? '–'],
    [
      'status',
      <Space size={4}>
        <Tag color={statusColor(span)}>{span.status || t('traces.clientGone')}</Tag>
        {span.error && <Tag color="error">{t('traces.failed')}</Tag>}
      </Space>,
    ],
    ['start', time.format(new Date(span.startMs))],
    ['offset', formatMs(span.startMs - startMs)],
    ['duration', formatMs(span.durationMs)],
  ];
  return (
    <Descriptions
      data-testid="span-details"
      size="small"
      column={1}
      bordered
      items={items.map(([k, v]) => ({ key: k, label: t(`traces.fields.${k}`), children: v }))}
    />
  );
}

export default function TraceWaterfall() {
  const { t, i18n } = useTranslation();
  const { app = '', env = '', traceId = '' } = useParams();
  const trace = useResource<TraceView>(`/api/v1/traces/${encodeURIComponent(traceId)}`);
  const [open, setOpen] = useState<StoredSpan | undefined>(undefined);
  const w = waterfall(trace.data?.spans ?? []);
  const failed = trace.data?.spans.filter((s) => s.error).length ?? 0;
  const time = new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'medium' });
  const back = `/apps/${encodeURIComponent(app)}/${encodeURIComponent(env)}/traces`;

  return (
    <div data-page="trace">
      <PageTitle
        title={t('traces.waterfallTitle', { id: traceId })}
        actions={
          <Link to={back}>
            <Button icon={<ArrowLeftOutlined />}>{t('traces.back')}</Button>
          </Link>
        }
      >
        {trace.data && (
          <Typography.Text type="secondary" data-testid="trace-summary">
            {t('traces.summary', {
              count: w.rows.length,
              duration: formatMs(w.totalMs),
              started: time.format(new Date(w.startMs)),
            })}
          </Typography.Text>
        )}
        {failed > 0 && <Tag color="error">{t('traces.failedSpans', { count: failed })}</Tag>}
      </PageTitle>
      {trace.error !== undefined && (
        <Typography.Paragraph type="secondary">{t('traces.notFound')}</Typography.Paragraph>
      )}
      <ErrorAlert error={trace.error} />
      {trace.data && (
        <Card size="small">
          <div style={{ display: 'flex', borderBottom: '1px solid #f0f0f0', paddingBottom: 4, marginBottom: 4 }}>
            <Typography.Text strong style={{ width: LABEL_WIDTH, flex: 'none' }}>
              {t('traces.call')}
            </Typography.Text>
            <div style={{ position: 'relative', flex: 1, height: 20 }} data-testid="time-axis">
              {w.ticks.map((ms, i) => (
                <span
                  key={i}
                  style={{
                    position: 'absolute',
                    left: `${i * 25}%`,
                    transform: i === 0 ? undefined : i === 4 ? 'translateX(-100%)' : 'translateX(-50%)',
                    fontSize: 12,
                    color: '#8c8c8c',
                    whiteSpace: 'nowrap',
                  }}
                >
                  {formatMs(ms)}
                </span>
              ))}
            </div>
            <div style={{ width: RIGHT_WIDTH, flex: 'none' }} />
          </div>
          {w.rows.map((row) => (
            <Row key={row.span.spanId} row={row} app={app} env={env} onOpen={() => setOpen(row.span)} />
          ))}
        </Card>
      )}
      <Drawer
        open={open !== undefined}
        onClose={() => setOpen(undefined)}
        size={480}
        title={open ? t('traces.details', { id: open.spanId }) : ''}
        closable={{ 'aria-label': t('traces.close') }}
      >
        {open && <Details span={open} startMs={w.startMs} app={app} env={env} />}
      </Drawer>
    </div>
  );
}
