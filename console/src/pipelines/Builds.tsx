/**
 * The Pipelines page's Builds tab: the app's builds in the environment newest first (commit, status,
 * each service built / skipped / failed), and a build (the newest, or the one clicked) with each
 * service's image and digest or code snapshot, and its log, followed live (NDJSON) while it runs.
 */
import { useEffect, useState } from 'react';
import { Card, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useResource } from '../api/hooks';
import { streamNdjson } from '../api/stream';
import type { BuildSummary, ServiceBuild } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';

const COLORS: Record<BuildSummary['status'] | ServiceBuild['status'], string> = {
  running: 'processing',
  succeeded: 'success',
  built: 'success',
  skipped: 'default',
  failed: 'error',
};

const short = (d: string | undefined): string => (d ? d.replace(/^sha256:/, '').slice(0, 12) : '');

/** A build's log: read to its end, and while the build runs, followed as lines are written. */
function BuildLog({ id }: { id: string }) {
  const { t } = useTranslation();
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setError(undefined);
    streamNdjson<{ line: string }>(
      `/api/v1/builds/${encodeURIComponent(id)}/log?follow=1`,
      (batch) => setLines((old) => [...old, ...batch.map((l) => l.line)]),
      abort.signal,
    ).catch((err: unknown) => {
      if (!abort.signal.aborted) setError(err);
    });
    return () => abort.abort();
  }, [id]);
  if (error !== undefined) return <ErrorAlert error={error} />;
  if (lines.length === 0) return <Typography.Text type="secondary">{t('builds.emptyLog')}</Typography.Text>;
  return (
    <pre
      data-testid="build-log"
      style={{ maxHeight: 360, overflow: 'auto', background: '#f6f6f6', padding: 8, margin: 0 }}
    >
      {lines.join('\n')}
    </pre>
  );
}

function BuildDetails({ build }: { build: BuildSummary }) {
  const { t } = useTranslation();
  return (
    <Card
      data-testid={`build-${build.id}`}
      title={
        <Space wrap>
          <Typography.Text strong>{t('builds.buildTitle', { id: build.id })}</Typography.Text>
          <Tag color={COLORS[build.status]} data-testid="build-status">
            {t(`builds.statuses.${build.status}`)}
          </Tag>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">
        {t('builds.buildOf', { commit: build.commit, author: build.author, started: build.startedAt })}
      </Typography.Paragraph>
      <Table<ServiceBuild>
        size="small"
        rowKey="service"
        pagination={false}
        dataSource={build.services}
        style={{ marginBottom: 12 }}
        columns={[
          { title: t('builds.columns.service'), dataIndex: 'service' },
          {
            title: t('builds.columns.kind'),
            dataIndex: 'kind',
            render: (v: ServiceBuild['kind']) => t(`builds.kinds.${v}`),
          },
          {
            title: t('builds.columns.status'),
            dataIndex: 'status',
            render: (v: ServiceBuild['status']) => <Tag color={COLORS[v]}>{t(`builds.statuses.${v}`)}</Tag>,
          },
          {
            title: t('builds.columns.artifact'),
            key: 'artifact',
            render: (_: unknown, s: ServiceBuild) =>
              s.kind === 'image' ? <Typography.Text code>{s.image ?? '-'}</Typography.Text> : t('builds.snapshot'),
          },
          {
            title: t('builds.columns.digest'),
            key: 'digest',
            render: (_: unknown, s: ServiceBuild) => {
              const d = s.imageDigest ?? s.codeDigest;
              return d ? (
                <Typography.Text code title={d}>
                  {short(d)}
                </Typography.Text>
              ) : (
                '-'
              );
            },
          },
          { title: t('builds.columns.error'), dataIndex: 'error', render: (v: string | undefined) => v ?? '' },
        ]}
      />
      <Typography.Text strong>{t('builds.log')}</Typography.Text>
      {build.status === 'running' && <Typography.Text type="secondary"> · {t('builds.live')}</Typography.Text>}
      <BuildLog id={build.id} />
    </Card>
  );
}

export default function Builds({ app, env }: { app: string; env: string }) {
  const { t } = useTranslation();
  const q = new URLSearchParams({ app, env, limit: '20' });
  const builds = useResource<BuildSummary[]>(`/api/v1/builds?${q.toString()}`, { pollMs: 2000 });
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const shown = builds.data?.find((b) => b.id === chosen) ?? builds.data?.[0];
  return (
    <div data-tab="builds">
      <Typography.Paragraph type="secondary">{t('builds.hint', { env })}</Typography.Paragraph>
      {builds.error !== undefined && <ErrorAlert error={builds.error} />}
      {builds.data && (
        <Table<BuildSummary>
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={builds.data}
          locale={{ emptyText: t('builds.none', { env }) }}
          style={{ marginBottom: 16 }}
          onRow={(b) => ({ onClick: () => setChosen(b.id), style: { cursor: 'pointer' } })}
          rowClassName={(b) => (b.id === shown?.id ? 'ant-table-row-selected' : '')}
          columns={[
            { title: t('builds.columns.build'), dataIndex: 'id' },
            {
              title: t('builds.columns.commit'),
              dataIndex: 'commit',
              render: (v: string) => <Typography.Text code>{v.slice(0, 18)}</Typography.Text>,
            },
            {
              title: t('builds.columns.status'),
              dataIndex: 'status',
              render: (v: BuildSummary['status']) => <Tag color={COLORS[v]}>{t(`builds.statuses.${v}`)}</Tag>,
            },
            {
              title: t('builds.columns.services'),
              key: 'services',
              render: (_: unknown, b: BuildSummary) => (
                <Space size={2} wrap>
                  {b.services.map((s) => (
                    <Tag key={s.service} color={COLORS[s.status]}>
                      {s.service}: {t(`builds.statuses.${s.status}`)}
                    </Tag>
                  ))}
                </Space>
              ),
            },
            { title: t('builds.columns.author'), dataIndex: 'author' },
            { title: t('builds.columns.started'), dataIndex: 'startedAt' },
          ]}
        />
      )}
      {shown && <BuildDetails key={shown.id} build={shown} />}
    </div>
  );
}
