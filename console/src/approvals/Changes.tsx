/** What an approval request would change: a deploy's plan, a config change's diff (secrets masked), or its fields. */
import { Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useEffect, useState } from 'react';
import { api } from '../api/client';
import type { ApprovalRequest, ConfigDiffEntry, PlanResult } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { PlanView } from '../components/PlanView';

export function ApprovalChanges({ request }: { request: ApprovalRequest }) {
  const { t } = useTranslation();
  const [plan, setPlan] = useState<PlanResult | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const spec = request.request['spec'];
  const wantsPlan = request.action === 'deploy' && request.state === 'pending';

  useEffect(() => {
    if (!wantsPlan) return;
    api<PlanResult>('POST', '/api/v1/plans', { env: request.env, ...(spec ? { spec } : { app: request.app }) }).then(
      setPlan,
      setError,
    );
  }, [wantsPlan, request.env, request.app, spec]);

  const diff = request.request['diff'] as ConfigDiffEntry[] | undefined;
  return (
    <div data-testid={`changes-${request.id}`}>
      {request.approvals.map((v) => (
        <Typography.Paragraph key={v.name} style={{ marginBottom: 4 }}>
          {t('approvals.approvedBy', { name: v.name, comment: v.comment ?? '' })}
        </Typography.Paragraph>
      ))}
      {diff ? (
        <Table<ConfigDiffEntry>
          size="small"
          rowKey="key"
          pagination={false}
          dataSource={diff}
          columns={[
            { title: t('approvals.diff.key'), dataIndex: 'key' },
            {
              title: t('approvals.diff.change'),
              key: 'change',
              render: (_v, d) => <Tag>{t(`approvals.diff.${d.change}`)}</Tag>,
            },
            { title: t('approvals.diff.from'), key: 'from', render: (_v, d) => d.from ?? '' },
            { title: t('approvals.diff.to'), key: 'to', render: (_v, d) => d.to ?? '' },
          ]}
        />
      ) : null}
      {wantsPlan ? <ErrorAlert error={error} /> : null}
      {plan ? <PlanView plan={plan.plan} /> : null}
    </div>
  );
}
