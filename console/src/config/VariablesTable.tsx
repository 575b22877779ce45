/** The variables of the app's berth.yaml in this environment: value in force, source, users; the missing ones first. */
import { Alert, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { VariableInfo, Variables } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';

/** `configVersion` is the version the page shows: a new one reloads the report. */
export function VariablesTable({ app, env, configVersion }: { app: string; env: string; configVersion: number }) {
  const { t } = useTranslation();
  const report = useResource<Variables>(`${appBase(app, env)}/variables?v=${configVersion}`);
  const rows = report.data?.variables ?? [];
  const missing = rows.filter((v) => v.missing);
  return (
    <div data-testid="variables">
      <ErrorAlert error={report.error} />
      {missing.length > 0 ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('config.variables.missing', { names: missing.map((v) => v.name).join(', ') })}
        />
      ) : null}
      {report.data ? (
        <Typography.Paragraph type="secondary">
          {t('config.variables.of', { revision: report.data.revision, version: report.data.configVersion })}
        </Typography.Paragraph>
      ) : null}
      <Table<VariableInfo>
        size="small"
        rowKey="name"
        loading={report.loading && report.data === undefined}
        pagination={false}
        dataSource={[...missing, ...rows.filter((v) => !v.missing)]}
        columns={[
          {
            title: t('config.variables.name'),
            dataIndex: 'name',
            render: (name: string, v) => (
              <span data-variable={name}>
                <Typography.Text code>{name}</Typography.Text>
                {v.secret ? <Tag>{t('config.secretTag')}</Tag> : null}
                {v.declared ? null : <Tag color="default">{t('config.variables.undeclared')}</Tag>}
              </span>
            ),
          },
          {
            title: t('config.value'),
            render: (_: unknown, v) =>
              v.missing ? (
                <Tag color="error">{t('config.variables.noValue')}</Tag>
              ) : (
                <Typography.Text>{v.value ?? ''}</Typography.Text>
              ),
          },
          {
            title: t('config.variables.source'),
            render: (_: unknown, v) => (v.source ? <Tag>{t(`config.variables.sources.${v.source}`)}</Tag> : null),
          },
          {
            title: t('config.variables.usedBy'),
            render: (_: unknown, v) =>
              v.usedBy.length ? (
                v.usedBy.join(', ')
              ) : (
                <Typography.Text type="secondary">{t('config.variables.unused')}</Typography.Text>
              ),
          },
          { title: t('config.variables.description'), dataIndex: 'description' },
        ]}
      />
    </div>
  );
}
