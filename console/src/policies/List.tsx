/**
 * The traffic policies in force for an app in an environment, per service and per route: edit one
 * as YAML (berth.yaml's form) or clear it. Each change is a `policy` revision (no replica moves),
 * whose progress shows here until it has finished.
 */
import { useCallback, useState } from 'react';
import { App as AntApp, Button, Card, Space, Table, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { Policies, Release, TrafficPolicy } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { ReleaseProgress } from '../releases/ReleaseProgress';
import { PolicyEditor, putPolicy, targetLabel, type PolicyTarget } from './PolicyEditor';
import { PolicySummary } from './PolicySummary';
import { PageTitle } from '../components/PageTitle';
import { Guarded } from '../components/Guarded';

interface Row {
  key: string;
  target: PolicyTarget;
  service: string;
  policy: TrafficPolicy | null;
}

function rowsOf(p: Policies): Row[] {
  return [
    ...Object.entries(p.services).map(([service, policy]) => ({
      key: `service:${service}`,
      target: { kind: 'service', service } as const,
      service,
      policy,
    })),
    ...p.routes.map((r) => ({
      key: `route:${r.host ?? ''}${r.path}`,
      target: { kind: 'route', path: r.path, ...(r.host === undefined ? {} : { host: r.host }) } as const,
      service: r.service,
      policy: r.policy,
    })),
  ];
}

export default function PoliciesList() {
  const { t } = useTranslation();
  const { modal } = AntApp.useApp();
  const { app = '', env = '' } = useParams();
  const policies = useResource<Policies>(`${appBase(app, env)}/policy`);
  const [editing, setEditing] = useState<Row | undefined>(undefined);
  const [watching, setWatching] = useState<number | undefined>(undefined);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const reload = policies.reload;
  const onFinished = useCallback(() => reload(), [reload]);

  const started = (r: Release): void => {
    setEditing(undefined);
    setWatching(r.revision);
  };

  const clear = (row: Row): void => {
    modal.confirm({
      title: t('policies.confirmClear', { target: targetLabel(row.target) }),
      content: t('policies.clearHint'),
      okText: t('policies.clear'),
      okButtonProps: { danger: true, 'data-testid': 'confirm-clear' },
      cancelText: t('common.cancel'),
      onOk: async () => {
        setActionError(undefined);
        try {
          started(await putPolicy(app, env, row.target, null));
        } catch (err) {
          setActionError(err);
        }
      },
    });
  };

  return (
    <div data-page="policies">
      <PageTitle title={t('policies.title', { app, env })}>
        {policies.data ? (
          <Link to={`/apps/${encodeURIComponent(app)}/${encodeURIComponent(env)}/releases`}>
            {t('releases.revisionN', { revision: policies.data.revision })}
          </Link>
        ) : null}
      </PageTitle>
      <Typography.Paragraph type="secondary">{t('policies.hint')}</Typography.Paragraph>
      <ErrorAlert error={policies.error} />
      <ErrorAlert error={actionError} />
      {watching !== undefined ? (
        <div style={{ marginBottom: 16 }}>
          <ReleaseProgress key={watching} app={app} env={env} revision={watching} onFinished={onFinished} />
        </div>
      ) : null}
      <Card size="small">
        <Table<Row>
          className="policies-table"
          rowKey="key"
          size="small"
          pagination={false}
          loading={policies.loading && !policies.data}
          dataSource={policies.data ? rowsOf(policies.data) : []}
          columns={[
            {
              title: t('policies.target'),
              render: (_: unknown, r: Row) => (
                <Space>
                  <Tag color={r.target.kind === 'service' ? 'geekblue' : 'purple'}>
                    {t(`policies.kind.${r.target.kind}`)}
                  </Tag>
                  <code>{targetLabel(r.target)}</code>
                </Space>
              ),
            },
            {
              title: t('policies.service'),
              render: (_: unknown, r: Row) => r.service,
            },
            {
              title: t('policies.policy'),
              render: (_: unknown, r: Row) => <PolicySummary policy={r.policy} />,
            },
            {
              title: t('common.actions'),
              render: (_: unknown, r: Row) => (
                <Space>
                  <Guarded need="policy:write" app={app} env={env}>
                    <Button
                      size="small"
                      icon={<EditOutlined />}
                      onClick={() => setEditing(r)}
                      data-testid={`edit-policy-${r.key}`}
                    >
                      {t('common.edit')}
                    </Button>
                  </Guarded>
                  <Guarded need="policy:write" app={app} env={env}>
                    <Button
                      size="small"
                      danger
                      icon={<DeleteOutlined />}
                      disabled={!r.policy}
                      onClick={() => clear(r)}
                      data-testid={`clear-policy-${r.key}`}
                    >
                      {t('policies.clear')}
                    </Button>
                  </Guarded>
                </Space>
              ),
            },
          ]}
        />
      </Card>
      {editing ? (
        <PolicyEditor
          key={editing.key}
          app={app}
          env={env}
          target={editing.target}
          policy={editing.policy}
          onClose={() => setEditing(undefined)}
          onSaved={started}
        />
      ) : null}
    </div>
  );
}
