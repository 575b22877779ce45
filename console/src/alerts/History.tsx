/** What the alerts of an app went through, newest first: transitions, silenced notifications, deliveries and their outcome. */
import { Card, Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { useResource } from '../api/hooks';
import type { AlertHistoryEntry } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { formatValue } from './format';

const KIND_COLORS: Record<AlertHistoryEntry['kind'], string> = {
  pending: 'warning',
  cleared: 'default',
  firing: 'error',
  resolved: 'success',
  silenced: 'default',
  delivered: 'blue',
  undelivered: 'magenta',
};

export function AlertHistoryCard({ base }: { base: string }) {
  const { t, i18n } = useTranslation();
  const history = useResource<AlertHistoryEntry[]>(`${base}/history?limit=200`, { pollMs: 3000 });
  return (
    <Card title={t('alerts.history')}>
      {history.error !== undefined && <ErrorAlert error={history.error} />}
      <Table<AlertHistoryEntry>
        data-testid="history-table"
        size="small"
        rowKey="id"
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        dataSource={history.data ?? []}
        locale={{ emptyText: t('alerts.noHistory') }}
        onRow={(e) => ({ 'data-kind': e.kind, 'data-rule': e.rule }) as object}
        columns={[
          { title: t('alerts.time'), dataIndex: 'at', render: (v: string) => formatTime(v, i18n.language) },
          { title: t('alerts.rule'), dataIndex: 'rule' },
          { title: t('alerts.service'), dataIndex: 'service', render: (s?: string) => s ?? t('alerts.app') },
          {
            title: t('alerts.event'),
            key: 'event',
            render: (_: unknown, e: AlertHistoryEntry) => (
              <>
                <Tag color={KIND_COLORS[e.kind]}>{t(`alerts.kinds.${e.kind}`)}</Tag>
                {e.status !== undefined && t('alerts.ofStatus', { status: t(`alerts.phases.${e.status}`) })}
              </>
            ),
          },
          { title: t('alerts.value'), dataIndex: 'value', render: (v?: number) => formatValue(v) },
          { title: t('alerts.channel'), dataIndex: 'channel' },
          {
            title: t('alerts.detail'),
            key: 'detail',
            render: (_: unknown, e: AlertHistoryEntry) =>
              e.kind === 'undelivered' ? (
                <span data-server-text lang="en">
                  {t('alerts.gaveUp', { count: e.attempts ?? 0, error: e.error ?? '' })}
                </span>
              ) : e.kind === 'delivered' ? (
                t('alerts.tries', { count: e.attempts ?? 0 })
              ) : (
                ''
              ),
          },
        ]}
      />
    </Card>
  );
}
