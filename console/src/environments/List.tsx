/** Environments: where apps run (this machine, or a Kubernetes context and namespace) and their variable defaults. */
import { useState } from 'react';
import { Button, Form, Input, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { useResource } from '../api/hooks';
import type { Environment, Preview } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { PageTitle } from '../components/PageTitle';
import { ContainersCell, useModeOptions, type ContainersMode } from './Containers';
import { PreviewCell, previewsByEnv } from './PreviewCell';
import { Guarded } from '../components/Guarded';

interface NewEnvironment {
  name: string;
  kind: 'local' | 'kubernetes';
  context?: string;
  namespace?: string;
  containers?: ContainersMode;
  defaults?: string;
}

/** `KEY=value` lines to an object; blank lines and lines without `=` are ignored. */
export function parseDefaults(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (text ?? '').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1);
  }
  return out;
}

export function EnvironmentsList() {
  const { t, i18n } = useTranslation();
  const envs = useResource<Environment[]>('/api/v1/environments');
  const previews = useResource<Preview[]>('/api/v1/previews');
  const previewOf = previewsByEnv(previews.data);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<NewEnvironment>();
  const kind = Form.useWatch('kind', form);
  const modeOptions = useModeOptions();

  const create = async (v: NewEnvironment): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', '/api/v1/environments', {
        name: v.name,
        target:
          v.kind === 'kubernetes'
            ? { kind: 'kubernetes', namespace: v.namespace ?? '', ...(v.context ? { context: v.context } : {}) }
            : { kind: 'local', ...(v.containers && v.containers !== 'auto' ? { containers: v.containers } : {}) },
        defaults: parseDefaults(v.defaults),
      });
      setCreating(false);
      form.resetFields();
      envs.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-page="environments">
      <PageTitle
        title={t('environments.title')}
        actions={
          <>
            <Guarded need="environments:write" anywhere>
              <Button
                type="primary"
                icon={<PlusOutlined />}
                onClick={() => setCreating(true)}
                data-testid="new-environment"
              >
                {t('environments.create')}
              </Button>
            </Guarded>
          </>
        }
      />
      <ErrorAlert error={envs.error} />
      {creating ? null : <ErrorAlert error={error} />}
      <Table<Environment>
        rowKey="name"
        loading={envs.loading && !envs.data}
        dataSource={envs.data ?? []}
        pagination={false}
        locale={{ emptyText: t('environments.empty') }}
        columns={[
          {
            title: t('environments.name'),
            render: (_: unknown, e: Environment) => (
              <Space size={4}>
                <strong>{e.name}</strong>
                {e.target.protected ? (
                  <Tag color="gold" data-testid={`protected-${e.name}`}>
                    {t('promote.protectedTag')}
                  </Tag>
                ) : null}
              </Space>
            ),
          },
          {
            title: t('environments.target'),
            render: (_: unknown, e: Environment) =>
              e.target.kind === 'local' ? (
                <Tag color="blue">{t('environments.local')}</Tag>
              ) : (
                <Space>
                  <Tag color="purple">{t('environments.kubernetes')}</Tag>
                  <code>{`${e.target.context ? `${e.target.context} / ` : ''}${e.target.namespace}`}</code>
                </Space>
              ),
          },
          {
            title: t('environments.defaults'),
            render: (_: unknown, e: Environment) =>
              Object.keys(e.defaults).length === 0 ? (
                <Typography.Text type="secondary">{t('environments.noDefaults')}</Typography.Text>
              ) : (
                Object.entries(e.defaults).map(([k, v]) => <Tag key={k}>{`${k}=${v}`}</Tag>)
              ),
          },
          {
            title: t('environments.containers'),
            render: (_: unknown, e: Environment) => (
              <ContainersCell env={e} onChanged={envs.reload} onError={setError} />
            ),
          },
          {
            title: t('previews.column'),
            render: (_: unknown, e: Environment) => (
              <PreviewCell
                preview={previewOf.get(e.name)}
                onClosed={() => {
                  envs.reload();
                  previews.reload();
                }}
                onError={setError}
              />
            ),
          },
          { title: t('common.time'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, i18n.language) },
        ]}
      />
      {creating ? (
        <Modal
          open
          title={t('environments.create')}
          okText={t('environments.createOk')}
          cancelText={t('common.cancel')}
          confirmLoading={busy}
          onCancel={() => setCreating(false)}
          onOk={() => form.submit()}
        >
          <Form<NewEnvironment>
            form={form}
            layout="vertical"
            initialValues={{ kind: 'local', containers: 'auto' }}
            onFinish={(v) => void create(v)}
          >
            <Form.Item name="name" label={t('environments.name')}>
              <Input placeholder={t('environments.namePlaceholder')} data-testid="environment-name" />
            </Form.Item>
            <Form.Item name="kind" label={t('environments.target')}>
              <Select
                options={[
                  { value: 'local', label: t('environments.local') },
                  { value: 'kubernetes', label: t('environments.kubernetes') },
                ]}
              />
            </Form.Item>
            {kind === 'kubernetes' ? (
              <>
                <Form.Item name="namespace" label={t('environments.namespace')}>
                  <Input />
                </Form.Item>
                <Form.Item name="context" label={t('environments.context')}>
                  <Input placeholder={t('environments.contextPlaceholder')} />
                </Form.Item>
              </>
            ) : (
              <Form.Item
                name="containers"
                label={t('environments.containers')}
                extra={t('environments.containersHelp')}
              >
                <Select options={modeOptions} data-testid="environment-containers" />
              </Form.Item>
            )}
            <Form.Item name="defaults" label={t('environments.defaults')} extra={t('environments.defaultsHint')}>
              <Input.TextArea rows={4} style={{ fontFamily: 'monospace' }} />
            </Form.Item>
          </Form>
          <ErrorAlert error={error} />
        </Modal>
      ) : null}
    </div>
  );
}
