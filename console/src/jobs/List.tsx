/**
 * The jobs and cronjobs of an app in an environment: each with its schedule, time zone, concurrency
 * and next due time, and its history (runs with trigger, due time, start, end, exit code and log
 * tail; skipped and missed due times). A cronjob can be run now.
 */
import { useState } from 'react';
import { Button, Card, Space, Table, Tag, Typography } from 'antd';
import { PlayCircleOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router-dom';
import { api, appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { JobRun, JobsStatus, JobStatus } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageTitle } from '../components/PageTitle';
import { reasonText } from '../components/reason';
import { Guarded } from '../components/Guarded';

const COLORS: Record<JobRun['status'], string> = {
  running: 'processing',
  succeeded: 'success',
  failed: 'error',
  skipped: 'default',
  missed: 'warning',
};

function JobCard({ job, onRun }: { job: JobStatus; onRun: (job: string) => void }) {
  const { t } = useTranslation();
  const { app, env } = useParams();
  const head =
    job.kind === 'cronjob'
      ? t('jobs.cronjobHead', {
          schedule: job.schedule,
          timeZone: job.timeZone,
          concurrency: job.concurrency,
          backoffLimit: job.backoffLimit,
        })
      : t('jobs.jobHead', { backoffLimit: job.backoffLimit });
  return (
    <Card
      data-testid={`job-${job.job}`}
      title={
        <Space>
          <Typography.Text strong>{job.job}</Typography.Text>
          <Tag>{job.kind}</Tag>
        </Space>
      }
      extra={
        job.kind === 'cronjob' ? (
          <Guarded need="apps:deploy" app={app} env={env}>
            <Button icon={<PlayCircleOutlined />} data-testid={`run-${job.job}`} onClick={() => onRun(job.job)}>
              {t('jobs.runNow')}
            </Button>
          </Guarded>
        ) : undefined
      }
      style={{ marginBottom: 16 }}
    >
      <Typography.Paragraph type="secondary">
        {head}
        {job.nextDueAt ? ` · ${t('jobs.next', { at: job.nextDueAt })}` : ''}
      </Typography.Paragraph>
      <Table<JobRun>
        size="small"
        rowKey="runId"
        pagination={false}
        dataSource={job.runs}
        locale={{ emptyText: t('jobs.noRuns') }}
        columns={[
          { title: t('jobs.run'), dataIndex: 'runId' },
          { title: t('jobs.trigger'), dataIndex: 'trigger', render: (v: JobRun['trigger']) => t(`jobs.triggers.${v}`) },
          {
            title: t('jobs.status'),
            dataIndex: 'status',
            render: (v: JobRun['status']) => <Tag color={COLORS[v]}>{t(`jobs.statuses.${v}`)}</Tag>,
          },
          { title: t('jobs.due'), dataIndex: 'dueAt' },
          { title: t('jobs.started'), dataIndex: 'startedAt' },
          { title: t('jobs.ended'), dataIndex: 'endedAt' },
          { title: t('jobs.exitCode'), dataIndex: 'exitCode' },
          {
            title: t('jobs.reason'),
            dataIndex: 'reason',
            render: (v: string | undefined, r: JobRun) => (v === undefined ? '' : reasonText(t, r.reasonMessage, v)),
          },
          {
            title: t('jobs.logTail'),
            dataIndex: 'logTail',
            render: (v: string[]) => <Typography.Text code>{v.slice(-3).join('\n')}</Typography.Text>,
          },
        ]}
      />
    </Card>
  );
}

export default function JobsList() {
  const { t } = useTranslation();
  const { app = '', env = '' } = useParams();
  const jobs = useResource<JobsStatus>(`${appBase(app, env)}/jobs`, { pollMs: 5000 });
  const [error, setError] = useState<unknown>(undefined);
  const run = (job: string): void => {
    setError(undefined);
    api<JobRun>('POST', `${appBase(app, env)}/jobs/${encodeURIComponent(job)}/runs`, {})
      .then(() => jobs.reload())
      .catch(setError);
  };
  return (
    <div data-page="jobs">
      <PageTitle title={t('jobs.title', { app, env })} />
      <Typography.Paragraph type="secondary">{t('jobs.hint')}</Typography.Paragraph>
      {error !== undefined && <ErrorAlert error={error} />}
      {jobs.error !== undefined && <ErrorAlert error={jobs.error} />}
      {jobs.data?.jobs.length === 0 && <Typography.Paragraph>{t('jobs.none')}</Typography.Paragraph>}
      {jobs.data?.jobs.map((j) => (
        <JobCard key={j.job} job={j} onRun={run} />
      ))}
    </div>
  );
}
