/**
 * The logs page's Search tab: the log index of one app and environment searched by text, service,
 * replica, stream, level and above, time range and trace id. The search lives in the address
 * (`?tab=search&q=T-4711&level=error&since=…`), so a search is a link; the answer shows each line
 * with its time, replica, level in colour, the text's matches marked, and a link to its trace.
 */
import { useEffect, useMemo, useState } from 'react';
import { Button, Card, DatePicker, Input, Select, Space, Tag, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router-dom';
import { LOG_LEVELS } from '../../../src/model/logSearch.js';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { AppStatus, LogLevel, LogSearchResult } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { highlight } from './highlight';

/** The search's fields as the address keeps them (the API's query names). */
const FIELDS = ['q', 'service', 'replica', 'stream', 'level', 'trace', 'since', 'until'] as const;
type Field = (typeof FIELDS)[number];
type Form = Partial<Record<Field, string>>;

const LEVEL_COLOURS: Record<LogLevel, string> = {
  trace: 'default',
  debug: 'cyan',
  info: 'blue',
  warn: 'orange',
  error: 'red',
  fatal: 'magenta',
};

function formOf(params: URLSearchParams): Form {
  const form: Form = {};
  for (const f of FIELDS) {
    const v = params.get(f);
    if (v) form[f] = v;
  }
  return form;
}

/** The API's query of a search: its non-empty fields. */
export function searchQuery(form: Form): string {
  const q = new URLSearchParams();
  for (const f of FIELDS) {
    const v = form[f]?.trim();
    if (v) q.set(f, v);
  }
  return q.toString();
}

const asDay = (v: string | undefined): Dayjs | null => (v && dayjs(v).isValid() ? dayjs(v) : null);

export default function LogSearch() {
  const { t, i18n } = useTranslation();
  const { app = '', env = '' } = useParams();
  const base = appBase(app, env);
  const [params, setParams] = useSearchParams();
  const asked = useMemo(() => formOf(params), [params]);
  const [form, setForm] = useState<Form>(asked);
  const status = useResource<AppStatus>(`${base}/status`);
  const result = useResource<LogSearchResult>(`${base}/logs/search?${searchQuery(asked)}`);
  useEffect(() => {
    // The range picker's month and week names.
    dayjs.locale(i18n.language === 'zh-CN' ? 'zh-cn' : 'en');
  }, [i18n.language]);
  const set = (f: Field, v: string | undefined): void => setForm((old) => ({ ...old, [f]: v }));
  const submit = (next: Form = form): void => {
    const p = new URLSearchParams(searchQuery(next));
    p.set('tab', 'search');
    setParams(p);
  };

  const services = status.data?.services ?? [];
  const replicas = services
    .filter((s) => !form.service || s.service === form.service)
    .flatMap((s) => s.replicas.map((r) => r.id));
  const lines = result.data?.lines ?? [];
  const levelName = (l: LogLevel): string => t(`logSearch.levels.${l}`);

  return (
    <div data-testid="log-search">
      <ErrorAlert error={result.error} />
      <Card
        size="small"
        title={
          <Space wrap style={{ padding: '8px 0' }}>
            <Input
              allowClear
              style={{ width: 220 }}
              placeholder={t('logSearch.text')}
              value={form.q ?? ''}
              onChange={(e) => set('q', e.target.value)}
              onPressEnter={() => submit()}
              data-testid="search-text"
            />
            <Select
              allowClear
              style={{ width: 150 }}
              placeholder={t('logSearch.service')}
              value={form.service}
              onChange={(v?: string) => setForm((old) => ({ ...old, service: v, replica: undefined }))}
              options={services.map((s) => ({ value: s.service, label: s.service }))}
            />
            <Select
              allowClear
              style={{ width: 200 }}
              placeholder={t('logSearch.replica')}
              value={form.replica}
              onChange={(v?: string) => set('replica', v)}
              options={replicas.map((r) => ({ value: r, label: r }))}
            />
            <Select
              allowClear
              style={{ width: 130 }}
              placeholder={t('logSearch.stream')}
              value={form.stream}
              onChange={(v?: string) => set('stream', v)}
              options={['stdout', 'stderr'].map((s) => ({ value: s, label: s }))}
            />
            <Select
              allowClear
              style={{ width: 150 }}
              placeholder={t('logSearch.level')}
              value={form.level}
              onChange={(v?: string) => set('level', v)}
              options={LOG_LEVELS.map((l) => ({
                value: l,
                label: t('logSearch.levelAtLeast', { level: levelName(l) }),
              }))}
              data-testid="search-level"
            />
            <DatePicker.RangePicker
              showTime
              allowEmpty={[true, true]}
              placeholder={[t('logSearch.start'), t('logSearch.end')]}
              value={[asDay(form.since), asDay(form.until)]}
              onChange={(range) =>
                setForm((old) => ({
                  ...old,
                  since: range?.[0]?.toISOString(),
                  until: range?.[1]?.toISOString(),
                }))
              }
            />
            <Input
              allowClear
              style={{ width: 280 }}
              placeholder={t('logSearch.trace')}
              value={form.trace ?? ''}
              onChange={(e) => set('trace', e.target.value)}
              onPressEnter={() => submit()}
            />
            <Button type="primary" onClick={() => submit()} loading={result.loading} data-testid="search-go">
              {t('logSearch.search')}
            </Button>
            <Button
              onClick={() => {
                setForm({});
                submit({});
              }}
            >
              {t('logSearch.reset')}
            </Button>
          </Space>
        }
      >
        <div
          data-testid="search-lines"
          style={{
            fontFamily: 'monospace',
            fontSize: 12,
            background: '#141414',
            color: '#d9d9d9',
            padding: 12,
            maxHeight: 560,
            overflow: 'auto',
            whiteSpace: 'pre-wrap',
          }}
        >
          {result.data && lines.length === 0 ? <span style={{ color: '#8c8c8c' }}>{t('logSearch.none')}</span> : null}
          {lines.map((l) => (
            <div key={l.id} className="found-line" data-service={l.service} data-level={l.level ?? ''}>
              <span style={{ color: '#8c8c8c' }}>{formatTime(l.time, i18n.language)}</span>{' '}
              <span style={{ color: '#69b1ff' }} data-replica>
                {l.replica}
              </span>{' '}
              {l.level ? (
                <Tag color={LEVEL_COLOURS[l.level]} style={{ marginInlineEnd: 4 }}>
                  {levelName(l.level)}
                </Tag>
              ) : null}
              <span style={{ color: l.stream === 'stderr' ? '#ff7875' : undefined }} data-line>
                {highlight(l.line, asked.q).map((p, i) =>
                  p.match ? (
                    <mark key={i} style={{ background: '#fadb14', color: '#141414', padding: 0 }}>
                      {p.text}
                    </mark>
                  ) : (
                    <span key={i}>{p.text}</span>
                  ),
                )}
              </span>
              {l.traceId ? (
                <>
                  {' '}
                  <Link
                    to={`/apps/${encodeURIComponent(app)}/${encodeURIComponent(env)}/traces/${encodeURIComponent(l.traceId)}`}
                    title={t('logSearch.toTraceTitle', { traceId: l.traceId })}
                    data-testid="trace-link"
                  >
                    {t('logSearch.toTrace')} →
                  </Link>
                </>
              ) : null}
            </div>
          ))}
        </div>
        {result.data ? (
          <Typography.Text type="secondary" data-testid="search-count">
            {result.data.truncated
              ? t('logSearch.truncated', { count: lines.length })
              : t('logSearch.found', { count: lines.length })}
          </Typography.Text>
        ) : null}
      </Card>
    </div>
  );
}
