/**
 * A release as it happens: its status, each service's step grouped by deploy level, and its events,
 * all from the release's event stream (they update by themselves until it has finished).
 */
import { useCallback, useState } from 'react';
import { Alert, Card, List, Progress, Space, Steps, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { appBase } from '../api/client';
import { useSse } from '../api/hooks';
import type { Release, ReleaseEvent, StepStatus } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { StatusTag } from '../components/Tags';
import { formatClock, formatElapsed } from '../components/format';
import { reasonText } from '../components/reason';

const stepState: Record<StepStatus, 'wait' | 'process' | 'finish' | 'error'> = {
  pending: 'wait',
  running: 'process',
  succeeded: 'finish',
  failed: 'error',
  skipped: 'wait',
};

export function ReleaseProgress({
  app,
  env,
  revision,
  onFinished,
}: {
  app: string;
  env: string;
  revision: number;
  onFinished?: (r: Release) => void;
}) {
  const { t, i18n } = useTranslation();
  const [release, setRelease] = useState<Release | undefined>(undefined);
  const [events, setEvents] = useState<ReleaseEvent[]>([]);
  const onMessage = useCallback(
    (m: { event: string; data: string }) => {
      if (m.event === 'event') {
        const e = JSON.parse(m.data) as ReleaseEvent;
        setEvents((es) => (es.some((x) => x.id === e.id) ? es : [...es, e]));
      } else if (m.event === 'release') {
        const r = JSON.parse(m.data) as Release;
        setRelease(r);
        if (r.status === 'succeeded' || r.status === 'failed') onFinished?.(r);
      }
    },
    [onFinished],
  );
  const { error } = useSse(`${appBase(app, env)}/releases/${revision}/events?follow=true`, onMessage, { once: true });

  const steps = release?.steps ?? [];
  const done = steps.filter((s) => s.status === 'succeeded' || s.status === 'skipped' || s.status === 'failed').length;
  const levels = [...new Set(steps.map((s) => s.level))].sort((a, b) => a - b);

  return (
    <Card
      className="release-progress"
      data-revision={revision}
      data-status={release?.status ?? 'loading'}
      size="small"
      title={
        <Space>
          {t('releases.progressTitle', { revision })}
          {release ? <StatusTag status={release.status} /> : null}
          {release ? <Tag>{t(`releases.kind.${release.kind}`)}</Tag> : null}
        </Space>
      }
      extra={
        release
          ? formatElapsed(release.startedAt ?? release.createdAt, release.finishedAt ?? new Date().toISOString())
          : null
      }
    >
      <ErrorAlert error={error} />
      {release?.reason ? (
        <Alert
          type={release.status === 'failed' ? 'error' : 'info'}
          showIcon
          title={reasonText(t, release.reasonMessage, release.reason)}
          style={{ marginBottom: 12 }}
        />
      ) : null}
      {steps.length > 0 ? (
        <Progress
          percent={Math.round((done / steps.length) * 100)}
          status={release?.status === 'failed' ? 'exception' : release?.status === 'succeeded' ? 'success' : 'active'}
        />
      ) : null}
      {levels.map((level) => (
        <div key={level} style={{ marginTop: 12 }}>
          <Typography.Text type="secondary">{t('releases.level', { level: level + 1 })}</Typography.Text>
          <Steps
            size="small"
            style={{ marginTop: 4 }}
            items={steps
              .filter((s) => s.level === level)
              .map((s) => ({
                title: s.service,
                status: stepState[s.status],
                content: s.message === null ? t(`status.${s.status}`) : reasonText(t, s.messageDetail, s.message),
              }))}
          />
        </div>
      ))}
      <List<ReleaseEvent>
        size="small"
        style={{ marginTop: 12, maxHeight: 260, overflow: 'auto' }}
        className="release-events"
        dataSource={[...events].reverse()}
        locale={{ emptyText: t('releases.noEvents') }}
        renderItem={(e) => (
          <List.Item style={{ padding: '2px 0', justifyContent: 'flex-start', gap: 4 }}>
            <Typography.Text type="secondary" style={{ fontFamily: 'monospace', marginRight: 8 }}>
              {formatClock(e.time, i18n.language)}
            </Typography.Text>
            {e.service ? <Tag>{e.service}</Tag> : null}
            <Tag color={e.type === 'Warning' ? 'red' : 'default'}>
              {t(`events.${e.reason}`, { defaultValue: e.reason } as never) as unknown as string}
            </Tag>
            {e.detail ? (
              <span data-event-text>{reasonText(t, e.detail, e.message)}</span>
            ) : (
              // a cluster's own words (Kubernetes events): shown as it says them, marked as English
              <span lang="en" data-server-text>
                {e.message}
              </span>
            )}
          </List.Item>
        )}
      />
    </Card>
  );
}
