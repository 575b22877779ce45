/** Config of an app in an environment: values (with the impact of a change before it is saved), files, variables, versions. */
import { useState } from 'react';
import { Alert, Button, Space, Spin, Tabs, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams } from 'react-router-dom';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { ConfigView } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { ValuesEditor } from './ValuesEditor';
import { FilesEditor } from './FilesEditor';
import { Versions } from './Versions';
import { VariablesTable } from './VariablesTable';
import { CompareEnvironments } from './CompareEnvironments';
import { PageTitle } from '../components/PageTitle';

export default function ConfigDetails() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { app = '', env = '' } = useParams();
  const base = appBase(app, env);
  const config = useResource<ConfigView>(`${base}/config`);
  const [saved, setSaved] = useState<number | undefined>(undefined);
  const [tab, setTab] = useState('values');

  const onSaved = (version: number): void => {
    setSaved(version);
    config.reload();
  };

  return (
    <div data-page="config">
      <PageTitle title={t('config.title', { app, env })} />
      <ErrorAlert error={config.error} />
      {saved !== undefined ? (
        <Alert
          type="success"
          showIcon
          closable={{ onClose: () => setSaved(undefined) }}
          style={{ marginBottom: 16 }}
          title={t('config.savedVersion', { version: saved })}
          action={
            <Button
              size="small"
              type="primary"
              onClick={() =>
                void navigate(`/apps/${encodeURIComponent(app)}/${encodeURIComponent(env)}/releases?deploy=1`)
              }
            >
              {t('config.deployNow')}
            </Button>
          }
        />
      ) : null}
      {config.data === undefined ? (
        config.loading ? (
          <Spin />
        ) : null
      ) : (
        <>
          <Space style={{ marginBottom: 8 }}>
            <Typography.Text type="secondary">
              {config.data.version === 0
                ? t('config.noVersion')
                : t('config.currentVersion', { version: config.data.version })}
            </Typography.Text>
          </Space>
          <Tabs
            activeKey={tab}
            onChange={setTab}
            items={[
              {
                key: 'values',
                label: t('config.values'),
                children: <ValuesEditor app={app} env={env} view={config.data} onSaved={onSaved} />,
              },
              {
                key: 'files',
                label: t('config.files'),
                children: <FilesEditor app={app} env={env} view={config.data} onSaved={onSaved} />,
              },
              {
                key: 'variables',
                label: t('config.variables.tab'),
                children: <VariablesTable app={app} env={env} configVersion={config.data.version} />,
              },
              {
                key: 'versions',
                label: t('config.versions'),
                children: <Versions app={app} env={env} latest={config.data.version} />,
              },
              {
                key: 'environments',
                label: t('envCompare.tab'),
                children: <CompareEnvironments app={app} env={env} />,
              },
            ]}
          />
        </>
      )}
    </div>
  );
}
