/**
 * A plan (or a diff of two revisions): one row per service with its action and whether its replicas
 * restart, the field changes side by side with the reason for each.
 */
import { Alert, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Plan, ServicePlan } from '../api/types';
import { ActionTag } from './Tags';
import { SideBySide } from './SideBySide';
import { formatValue } from './format';

export function PlanView({ plan, leftTitle, rightTitle }: { plan: Plan; leftTitle?: string; rightTitle?: string }) {
  const { t } = useTranslation();
  const changed = plan.services.filter((s) => s.action !== 'unchanged');
  const policyChanged = plan.routes.policyChanged ?? [];
  return (
    <div className="plan">
      {!plan.changed ? <Alert type="info" showIcon title={t('plan.nothing')} style={{ marginBottom: 12 }} /> : null}
      <Table<ServicePlan>
        size="small"
        rowKey="service"
        pagination={false}
        dataSource={plan.services}
        expandable={{
          rowExpandable: (s) => s.changes.length > 0,
          defaultExpandedRowKeys: changed.map((s) => s.service),
          expandedRowRender: (s) => (
            <SideBySide
              keyTitle={t('plan.field')}
              leftTitle={leftTitle ?? t('plan.before')}
              rightTitle={rightTitle ?? t('plan.after')}
              rows={s.changes.map((c) => ({
                key: c.path,
                ...(c.from === undefined ? {} : { left: formatValue(c.from) }),
                ...(c.to === undefined ? {} : { right: formatValue(c.to) }),
                notes: c.because,
              }))}
            />
          ),
        }}
        columns={[
          { title: t('plan.service'), dataIndex: 'service', render: (s: string) => <strong>{s}</strong> },
          {
            title: t('plan.actionTitle'),
            dataIndex: 'action',
            render: (a: ServicePlan['action']) => <ActionTag action={a} />,
          },
          {
            title: t('plan.restart'),
            dataIndex: 'restart',
            render: (r: boolean) =>
              r ? (
                <Tag color="orange">{t('plan.restarts')}</Tag>
              ) : (
                <Typography.Text type="secondary">{t('plan.noRestart')}</Typography.Text>
              ),
          },
          {
            title: t('plan.replicas'),
            render: (_: unknown, s: ServicePlan) =>
              s.fromReplicas === undefined || s.fromReplicas === s.toReplicas
                ? (s.toReplicas ?? s.fromReplicas ?? '–')
                : `${s.fromReplicas} → ${s.toReplicas ?? 0}`,
          },
          { title: t('plan.changes'), render: (_: unknown, s: ServicePlan) => s.changes.length },
        ]}
      />
      {plan.routes.added.length + plan.routes.removed.length + policyChanged.length > 0 ? (
        <div style={{ marginTop: 12 }}>
          <Typography.Text strong>{t('plan.routes')}</Typography.Text>
          {plan.routes.added.map((r) => (
            <div key={`+${r.host ?? ''}${r.pathPrefix}`}>
              <Tag color="green">{t('plan.routeAdded')}</Tag>
              <code>{`${r.host ?? ''}${r.pathPrefix} → ${r.service}`}</code>
            </div>
          ))}
          {plan.routes.removed.map((r) => (
            <div key={`-${r.host ?? ''}${r.pathPrefix}`}>
              <Tag color="red">{t('plan.routeRemoved')}</Tag>
              <code>{`${r.host ?? ''}${r.pathPrefix} → ${r.service}`}</code>
            </div>
          ))}
          {policyChanged.map((c) => (
            <div key={`~${c.route.host ?? ''}${c.route.pathPrefix}`} data-route-policy>
              <Tag color="orange">{t('plan.routePolicyChanged')}</Tag>
              <code>{`${c.route.host ?? ''}${c.route.pathPrefix} → ${c.route.service}`}</code>{' '}
              <Typography.Text type="secondary">{`${formatValue(c.from)} → ${formatValue(c.to)}`}</Typography.Text>
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
