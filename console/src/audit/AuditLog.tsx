/**
 * The audit log (docs/access.md "Audit log"): every change made through the API, refused ones and
 * sign-ins too, newest first, filtered by actor, app, environment, operation, outcome and time; each
 * entry's masked summary when expanded; an export of the matching entries as JSON lines, and a check
 * of the hash chain with its result.
 */
import { useState } from 'react';
import { Alert, Button, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, send } from '../api/client';
import { useResource } from '../api/hooks';
import type { AuditEntry, AuditPage, AuditVerification } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { PageTitle } from '../components/PageTitle';

interface Filters {
  actor: string;
  app: string;
  env: string;
  operation: string;
  outcome: string;
  since: string;
}

const NO_FILTERS: Filters = { actor: '', app: '', env: '', operation: '', outcome: '', since: '' };
const OUTCOME_COLORS = { ok: 'green', refused: 'orange', failed: 'red' } as const;

/** The API query of the filters (empty ones left out). */
export function auditQuery(f: Filters, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...f, ...extra })) if (v.trim()) q.set(k, v.trim());
  return q.toString();
}

function target(e: AuditEntry): string {
  const where = [e.target.app, e.target.env].filter(Boolean).join(' / ');
  const object = Object.entries(e.target.object ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [where, object].filter(Boolean).join(' · ') || '–';
}

export default function AuditLog() {
  const { t, i18n } = useTranslation();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const [cursor, setCursor] = useState<number | undefined>(undefined);
  const query = auditQuery(filters, { limit: '100', ...(cursor ? { cursor: String(cursor) } : {}) });
  const page = useResource<AuditPage>(`/api/v1/audit?${query}`);
  const [verification, setVerification] = useState<AuditVerification | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<'verify' | 'export' | undefined>(undefined);

  const field = (key: keyof Filters, placeholder: string) => (
    <Input
      allowClear
      size="small"
      style={{ width: 150 }}
      placeholder={placeholder}
      data-filter={key}
      value={draft[key]}
      onChange={(ev) => setDraft({ ...draft, [key]: ev.target.value })}
      onPressEnter={() => apply()}
    />
  );
  const apply = (next: Filters = draft) => {
    setCursor(undefined);
    setFilters(next);
  };

  const verify = async () => {
    setBusy('verify');
    setError(undefined);
    try {
      setVerification(await api<AuditVerification>('GET', '/api/v1/audit/verify'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };
  const exportLines = async () => {
    setBusy('export');
    setError(undefined);
    try {
      const res = await send('GET', `/api/v1/audit?${auditQuery(filters, { format: 'jsonl' })}`);
      const url = URL.createObjectURL(new Blob([await res.text()], { type: 'application/x-ndjson' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `berth-audit-${new Date().toISOString().slice(0, 19).replaceAll(':', '')}.jsonl`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };

  const since = [
    { value: '', label: `${t('audit.filters.since')}: ${t('audit.filters.any')}` },
    { value: '1h', label: t('audit.lastHour') },
    { value: '1d', label: t('audit.lastDay') },
    { value: '7d', label: t('audit.lastWeek') },
  ];

  return (
    <div data-page="audit">
      <PageTitle
        title={t('audit.title')}
        actions={
          <Space>
            <Button
              icon={<DownloadOutlined />}
              loading={busy === 'export'}
              onClick={() => void exportLines()}
              data-action="export"
            >
              {t('audit.exportButton')}
            </Button>
            <Button
              type="primary"
              icon={<SafetyCertificateOutlined />}
              loading={busy === 'verify'}
              onClick={() => void verify()}
              data-action="verify"
            >
              {t('audit.verify')}
            </Button>
          </Space>
        }
      />
      <Typography.Paragraph type="secondary">{t('audit.hint')}</Typography.Paragraph>
      {verification ? (
        <Alert
          data-testid="audit-verification"
          style={{ marginBottom: 12 }}
          showIcon
          type={verification.ok ? 'success' : 'error'}
          message={
            verification.ok || !verification.firstBad
              ? t('audit.intact', { count: verification.entries })
              : t('audit.broken', {
                  seq: verification.firstBad.seq,
                  reason: t(`audit.reasons.${verification.firstBad.reason}`),
                })
          }
        />
      ) : null}
      <ErrorAlert error={error ?? page.error} />
      <Space wrap style={{ marginBottom: 12 }}>
        {field('actor', t('audit.filters.actor'))}
        {field('app', t('audit.filters.app'))}
        {field('env', t('audit.filters.env'))}
        {field('operation', t('audit.filters.operation'))}
        <Select
          size="small"
          style={{ width: 170 }}
          data-filter="outcome"
          value={draft.outcome}
          onChange={(v: string) => {
            const next = { ...draft, outcome: v };
            setDraft(next);
            apply(next);
          }}
          options={[
            { value: '', label: `${t('audit.filters.outcome')}: ${t('audit.filters.any')}` },
            { value: 'ok', label: t('audit.outcomes.ok') },
            { value: 'refused,failed', label: `${t('audit.outcomes.refused')} / ${t('audit.outcomes.failed')}` },
          ]}
        />
        <Select
          size="small"
          style={{ width: 150 }}
          data-filter="since"
          value={draft.since}
          onChange={(v: string) => {
            const next = { ...draft, since: v };
            setDraft(next);
            apply(next);
          }}
          options={since}
        />
      </Space>
      <Table<AuditEntry>
        data-testid="audit-table"
        size="small"
        rowKey="seq"
        loading={page.loading && !page.data}
        dataSource={page.data?.entries ?? []}
        pagination={false}
        locale={{ emptyText: t('audit.empty') }}
        expandable={{
          expandedRowRender: (e) => (
            <div data-summary={e.seq}>
              {e.outcome.message ? (
                <Alert
                  style={{ marginBottom: 8 }}
                  type={e.outcome.kind === 'ok' ? 'info' : 'warning'}
                  message={`${e.outcome.code ?? ''} ${e.outcome.message}`.trim()}
                />
              ) : null}
              <Typography.Text type="secondary">{t('audit.summary')}</Typography.Text>
              {e.summary === undefined ? (
                <div>{t('audit.noSummary')}</div>
              ) : (
                <pre style={{ margin: '4px 0', whiteSpace: 'pre-wrap' }}>{JSON.stringify(e.summary, null, 2)}</pre>
              )}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('audit.hash', { hash: e.hash })}
              </Typography.Text>
            </div>
          ),
        }}
        onRow={(e) => ({ 'data-seq': e.seq }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('audit.columns.seq'), dataIndex: 'seq', width: 60 },
          { title: t('audit.columns.time'), key: 'time', render: (_, e) => formatTime(e.time, i18n.language) },
          {
            title: t('audit.columns.actor'),
            key: 'actor',
            render: (_, e) => (
              <span data-col="actor">
                {e.actor.name} <Typography.Text type="secondary">({t(`audit.kinds.${e.actor.kind}`)})</Typography.Text>
                {e.actor.onBehalfOf ? ` ${t('audit.onBehalfOf', { name: e.actor.onBehalfOf })}` : ''}
              </span>
            ),
          },
          {
            title: t('audit.columns.operation'),
            key: 'operation',
            render: (_, e) => <code data-col="operation">{e.operation.id}</code>,
          },
          {
            title: t('audit.columns.target'),
            key: 'target',
            render: (_, e) => <span data-col="target">{target(e)}</span>,
          },
          {
            title: t('audit.columns.outcome'),
            key: 'outcome',
            render: (_, e) => (
              <span data-col="outcome">
                {/* The server's message (in its language) is the tag's tooltip and in the expanded row. */}
                <Tag color={OUTCOME_COLORS[e.outcome.kind]} title={e.outcome.message}>
                  {t(`audit.outcomes.${e.outcome.kind}`)} {e.outcome.status}
                </Tag>
              </span>
            ),
          },
          { title: t('audit.columns.address'), key: 'address', render: (_, e) => e.address ?? '–' },
        ]}
      />
      {page.data?.nextCursor ? (
        <Button style={{ marginTop: 12 }} onClick={() => setCursor(page.data?.nextCursor)}>
          {t('audit.more')}
        </Button>
      ) : null}
    </div>
  );
}
