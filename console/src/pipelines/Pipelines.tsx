/**
 * An app's pipeline: its source, its runs (commit, trigger, status of each step) newest first, and a
 * run's steps with their logs, which update while the run goes on; Run now, Approve and Cancel. Its
 * tabs (`?tab=`): the runs, the app's builds in the environment (Builds.tsx) and the webhook deliveries
 * with the hook URLs (Deliveries.tsx); `?run=ID` shows that run.
 */
import { useEffect, useState } from 'react';
import { Button, Card, Space, Table, Tabs, Tag, Typography } from 'antd';
import { CheckOutlined, PlayCircleOutlined, StopOutlined } from '@ant-design/icons';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { useParams, useSearchParams } from 'react-router-dom';
import { ApiError, api, send } from '../api/client';
import { useResource } from '../api/hooks';
import type { PipelineInfo, PipelineRun, PipelineRunStep, PipelineStepStatus } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageTitle } from '../components/PageTitle';
import Builds from './Builds';
import Deliveries from './Deliveries';
import { Guarded } from '../components/Guarded';

const COLORS: Record<PipelineStepStatus, string> = {
  queued: 'default',
  running: 'processing',
  waiting: 'warning',
  succeeded: 'success',
  failed: 'error',
  cancelled: 'error',
  skipped: 'default',
};
const ACTIVE = new Set(['queued', 'running', 'waiting']);

/** A step's title in the page's language (the environments, commands and jobs are the app's own). */
export function stepTitle(t: TFunction, step: PipelineRunStep): string {
  const s = step.spec;
  switch (s.kind) {
    case 'test':
      return 'command' in s
        ? t('pipelines.kinds.testCommand', { command: s.command })
        : t('pipelines.kinds.testJob', { job: s.job, env: s.env });
    case 'approval':
      return s.env === undefined ? t('pipelines.kinds.approval') : t('pipelines.kinds.approvalFor', { env: s.env });
    case 'promote':
      return t('pipelines.kinds.promote', { from: s.from, to: s.to });
    default:
      return t(`pipelines.kinds.${s.kind}`, { env: s.env });
  }
}

function resultText(t: TFunction, step: PipelineRunStep): string {
  const r = step.result;
  if (!r) return '';
  if (r.revision !== undefined) return t('pipelines.result.revision', { revision: r.revision, env: r.env ?? '' });
  if (r.approvedBy) return t('pipelines.result.approvedBy', { author: r.approvedBy });
  if (r.buildId) return t('pipelines.result.build', { id: r.buildId });
  if (r.exitCode !== undefined) return t('pipelines.result.exitCode', { code: r.exitCode });
  return '';
}

/** A step's log, fetched again every second while the step is under way. */
function StepLog({ run, step }: { run: number; step: PipelineRunStep }) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const live = ACTIVE.has(step.status);
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      send('GET', `/api/v1/pipeline-runs/${run}/steps/${step.index + 1}/log`, { signal: abort.signal })
        .then((res) => res.text())
        .then((body) => {
          if (abort.signal.aborted) return;
          setText(body);
          if (live) timer = setTimeout(load, 1000);
        })
        .catch(() => undefined);
    };
    load();
    return () => {
      abort.abort();
      if (timer) clearTimeout(timer);
    };
  }, [run, step.index, live]);
  if (!text) return <Typography.Text type="secondary">{t('pipelines.emptyLog')}</Typography.Text>;
  return (
    <pre
      data-log={step.index + 1}
      style={{ maxHeight: 320, overflow: 'auto', background: '#f6f6f6', padding: 8, margin: 0 }}
    >
      {text}
    </pre>
  );
}

function RunDetails({ run, onAction }: { run: PipelineRun; onAction: (what: 'approve' | 'cancel') => void }) {
  const { t } = useTranslation();
  return (
    <Card
      data-testid={`run-${run.id}`}
      title={
        <Space wrap>
          <Typography.Text strong>{t('pipelines.runTitle', { id: run.id })}</Typography.Text>
          <Tag color={COLORS[run.status]} data-testid="run-status">
            {t(`pipelines.statuses.${run.status}`)}
          </Tag>
        </Space>
      }
      extra={
        <Space>
          {run.status === 'waiting' && (
            <Guarded need="approvals:approve" app={run.app}>
              <Button type="primary" icon={<CheckOutlined />} data-testid="approve" onClick={() => onAction('approve')}>
                {t('pipelines.approve')}
              </Button>
            </Guarded>
          )}
          {ACTIVE.has(run.status) && (
            <Guarded need="pipelines:run" app={run.app}>
              <Button danger icon={<StopOutlined />} data-testid="cancel" onClick={() => onAction('cancel')}>
                {t('pipelines.cancel')}
              </Button>
            </Guarded>
          )}
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">
        {t('pipelines.commitOf', {
          commit: run.commit?.slice(0, 12) ?? t('pipelines.branchHead'),
          branch: run.branch,
          trigger: t(`pipelines.triggers.${run.trigger}`),
          author: run.author,
        })}
        {run.preview ? ` · ${t('pipelines.preview', { env: run.preview.env })}` : ''}
      </Typography.Paragraph>
      {run.steps.map((s) => (
        <div key={s.index} data-testid={`step-${s.index + 1}`} style={{ marginBottom: 12 }}>
          <Space wrap style={{ marginBottom: 4 }}>
            <Typography.Text strong>
              {s.index + 1}. {stepTitle(t, s)}
            </Typography.Text>
            <Tag color={COLORS[s.status]}>{t(`pipelines.statuses.${s.status}`)}</Tag>
            <Typography.Text type="secondary">{resultText(t, s)}</Typography.Text>
          </Space>
          {s.status !== 'queued' && s.status !== 'skipped' && <StepLog run={run.id} step={s} />}
        </div>
      ))}
    </Card>
  );
}

export default function Pipelines() {
  const { t } = useTranslation();
  const { app = '', env = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'runs';
  const runParam = params.get('run');
  const base = `/api/v1/pipelines/${encodeURIComponent(app)}`;
  const pipeline = useResource<PipelineInfo>(base);
  const missing = pipeline.error instanceof ApiError && pipeline.error.status === 404;
  const runs = useResource<PipelineRun[]>(missing ? null : `${base}/runs?limit=20`, { pollMs: 1500 });
  const [chosen, setChosen] = useState<number | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  useEffect(() => {
    if (runParam !== null && /^[0-9]+$/.test(runParam)) setChosen(Number(runParam));
  }, [runParam]);
  const shown = runs.data?.find((r) => r.id === chosen) ?? runs.data?.[0];
  const act = (p: Promise<unknown>): void => {
    setError(undefined);
    p.then(() => runs.reload()).catch(setError);
  };
  const d = pipeline.data?.definition;
  return (
    <div data-page="pipelines">
      <PageTitle
        title={t('pipelines.title', { app })}
        actions={
          d && (
            <Guarded need="pipelines:run" app={app}>
              <Button
                icon={<PlayCircleOutlined />}
                data-testid="run-now"
                onClick={() => act(api<PipelineRun>('POST', `${base}/runs`, {}).then((r) => setChosen(r.id)))}
              >
                {t('pipelines.run')}
              </Button>
            </Guarded>
          )
        }
      />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams({ tab: k })}
        destroyOnHidden
        items={[
          {
            key: 'runs',
            label: <span data-testid="tab-runs">{t('builds.tabs.runs')}</span>,
            children: (
              <>
                <Typography.Paragraph type="secondary">{t('pipelines.hint')}</Typography.Paragraph>
                {missing && (
                  <Typography.Paragraph data-testid="no-pipeline">{t('pipelines.none', { app })}</Typography.Paragraph>
                )}
                {pipeline.error !== undefined && !missing && <ErrorAlert error={pipeline.error} />}
                {error !== undefined && <ErrorAlert error={error} />}
                {d && pipeline.data && (
                  <Typography.Paragraph data-testid="pipeline-source">
                    {t('pipelines.source', { ...d.source, version: pipeline.data.version })}
                  </Typography.Paragraph>
                )}
                {runs.data && (
                  <Table<PipelineRun>
                    size="small"
                    rowKey="id"
                    pagination={false}
                    dataSource={runs.data}
                    locale={{ emptyText: t('pipelines.noRuns') }}
                    style={{ marginBottom: 16 }}
                    onRow={(r) => ({ onClick: () => setChosen(r.id), style: { cursor: 'pointer' } })}
                    rowClassName={(r) => (r.id === shown?.id ? 'ant-table-row-selected' : '')}
                    columns={[
                      { title: t('pipelines.columns.run'), dataIndex: 'id', render: (v: number) => `#${v}` },
                      {
                        title: t('pipelines.columns.commit'),
                        dataIndex: 'commit',
                        render: (v: string | undefined) => (
                          <Typography.Text code>{v?.slice(0, 12) ?? '-'}</Typography.Text>
                        ),
                      },
                      { title: t('pipelines.columns.branch'), dataIndex: 'branch' },
                      {
                        title: t('pipelines.columns.trigger'),
                        dataIndex: 'trigger',
                        render: (v: PipelineRun['trigger']) => t(`pipelines.triggers.${v}`),
                      },
                      { title: t('pipelines.columns.author'), dataIndex: 'author' },
                      {
                        title: t('pipelines.columns.status'),
                        dataIndex: 'status',
                        render: (v: PipelineRun['status']) => (
                          <Tag color={COLORS[v]}>{t(`pipelines.statuses.${v}`)}</Tag>
                        ),
                      },
                      {
                        title: t('pipelines.columns.steps'),
                        key: 'steps',
                        render: (_: unknown, r: PipelineRun) => (
                          <Space size={2} wrap>
                            {r.steps.map((s) => (
                              <Tag key={s.index} color={COLORS[s.status]} title={stepTitle(t, s)}>
                                {t(`pipelines.short.${s.spec.kind}`)}
                              </Tag>
                            ))}
                          </Space>
                        ),
                      },
                      { title: t('pipelines.columns.created'), dataIndex: 'createdAt' },
                    ]}
                  />
                )}
                {shown && (
                  <RunDetails
                    run={shown}
                    onAction={(what) => act(api<PipelineRun>('POST', `/api/v1/pipeline-runs/${shown.id}/${what}`, {}))}
                  />
                )}
              </>
            ),
          },
          {
            key: 'builds',
            label: <span data-testid="tab-builds">{t('builds.tabs.builds')}</span>,
            children: <Builds app={app} env={env} />,
          },
          {
            key: 'deliveries',
            label: <span data-testid="tab-deliveries">{t('builds.tabs.deliveries')}</span>,
            children: <Deliveries app={app} pipeline={missing ? null : pipeline.data} />,
          },
        ]}
      />
    </div>
  );
}
