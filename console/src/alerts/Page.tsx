/**
 * The alerts of an app in an environment: those firing and pending, the rules with their channels
 * (and applying a rules file, checked first), the silences (made here with a duration, a rule and a
 * service; ended early), and the history of transitions and deliveries.
 */
import { Card, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router-dom';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { AlertRuleView, AlertView } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { PageTitle } from '../components/PageTitle';
import { AlertHistoryCard } from './History';
import { RulesCard } from './Rules';
import { SilencesCard } from './Silences';
import { formatValue, PHASE_COLORS } from './format';

export default function AlertsPage() {
  const { t, i18n } = useTranslation();
  const { app = '', env = '' } = useParams();
  const base = `${appBase(app, env)}/alerts`;
  const alerts = useResource<AlertView[]>(base, { pollMs: 2000 });
  const rules = useResource<AlertRuleView[]>(`${base}/rules`);
  return (
    <div data-page="alerts">
      <PageTitle title={t('alerts.title', { app, env })} />
      <Typography.Paragraph type="secondary">{t('alerts.hint')}</Typography.Paragraph>
      {alerts.error !== undefined && <ErrorAlert error={alerts.error} />}
      <Card title={t('alerts.active')} style={{ marginBottom: 16 }}>
        <Table<AlertView>
          data-testid="alerts-active"
          size="small"
          pagination={false}
          rowKey={(a) => `${a.rule}/${a.service ?? ''}`}
          dataSource={(alerts.data ?? []).filter((a) => a.phase === 'pending' || a.phase === 'firing')}
          locale={{ emptyText: t('alerts.noneActive') }}
          onRow={(a) => ({ 'data-alert': `${a.rule}/${a.service ?? ''}`, 'data-phase': a.phase }) as object}
          columns={[
            { title: t('alerts.rule'), dataIndex: 'rule' },
            { title: t('alerts.service'), dataIndex: 'service', render: (s?: string) => s ?? t('alerts.app') },
            {
              title: t('alerts.state'),
              dataIndex: 'phase',
              render: (p: AlertView['phase']) => <Tag color={PHASE_COLORS[p]}>{t(`alerts.phases.${p}`)}</Tag>,
            },
            {
              title: t('alerts.since'),
              key: 'since',
              render: (_: unknown, a: AlertView) => formatTime(a.firedAt ?? a.since, i18n.language),
            },
            { title: t('alerts.value'), dataIndex: 'value', render: (v?: number) => formatValue(v) },
          ]}
        />
      </Card>
      <RulesCard base={base} rules={rules} />
      <SilencesCard base={base} rules={rules.data ?? []} />
      <AlertHistoryCard base={base} />
    </div>
  );
}
