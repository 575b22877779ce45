/** The Access page's Bindings tab: who has which role where; add or remove a binding. */
import { useState } from 'react';
import { Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag } from 'antd';
import type { ButtonProps } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { useResource } from '../api/hooks';
import type { MeView, RoleBindingView, RoleView } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { Needs, mayGlobally } from './permissions';

interface NewBinding {
  kind: 'user' | 'group';
  subject: string;
  role: string;
  app?: string;
  env?: string;
}

export function Bindings({ me }: { me: MeView }) {
  const { t, i18n } = useTranslation();
  const readable = mayGlobally(me, 'roles:read');
  const bindings = useResource<RoleBindingView[]>(readable ? '/api/v1/role-bindings' : null);
  const roles = useResource<RoleView[]>(readable ? '/api/v1/roles' : null);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<NewBinding>();

  const act = async (p: Promise<unknown>): Promise<boolean> => {
    setError(undefined);
    setBusy(true);
    try {
      await p;
      bindings.reload();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const create = async (v: NewBinding): Promise<void> => {
    const body = {
      [v.kind]: v.subject ?? '',
      role: v.role ?? '',
      ...(v.app ? { app: v.app } : {}),
      ...(v.env ? { env: v.env } : {}),
    };
    if (await act(api('POST', '/api/v1/role-bindings', body))) {
      setCreating(false);
      form.resetFields();
    }
  };
  const where = (v: string) => (v === '*' ? <Tag>{t('access.bindings.any')}</Tag> : <code>{v}</code>);

  if (!readable) return <Tag data-needs="roles:read">{t('access.needs', { permission: 'roles:read' })}</Tag>;
  return (
    <div data-testid="bindings">
      <Space style={{ marginBottom: 16 }}>
        <Needs me={me} permission="roles:write">
          {(disabled) => (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              disabled={disabled}
              onClick={() => setCreating(true)}
              data-testid="new-binding"
            >
              {t('access.bindings.create')}
            </Button>
          )}
        </Needs>
      </Space>
      {creating ? null : <ErrorAlert error={error} />}
      <ErrorAlert error={bindings.error} />
      <Table<RoleBindingView>
        size="small"
        rowKey="id"
        pagination={false}
        loading={bindings.loading && !bindings.data}
        dataSource={bindings.data ?? []}
        locale={{ emptyText: t('access.bindings.empty') }}
        columns={[
          {
            title: t('access.bindings.subject'),
            render: (_: unknown, b: RoleBindingView) => (
              <Space size={4}>
                <Tag color={b.subjectKind === 'group' ? 'purple' : 'blue'}>{t(`access.bindings.${b.subjectKind}`)}</Tag>
                <strong>{b.subject}</strong>
              </Space>
            ),
          },
          { title: t('access.bindings.role'), dataIndex: 'role' },
          { title: t('access.bindings.app'), render: (_: unknown, b: RoleBindingView) => where(b.app) },
          { title: t('access.bindings.env'), render: (_: unknown, b: RoleBindingView) => where(b.env) },
          { title: t('access.createdBy'), render: (_: unknown, b: RoleBindingView) => b.createdBy ?? '' },
          { title: t('access.created'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, i18n.language) },
          {
            title: t('common.actions'),
            render: (_: unknown, b: RoleBindingView) => (
              <Needs me={me} permission="roles:write">
                {(disabled) => (
                  <Popconfirm
                    title={t('access.bindings.confirmDelete')}
                    okText={t('common.remove')}
                    cancelText={t('common.cancel')}
                    disabled={disabled}
                    onConfirm={() => act(api('DELETE', `/api/v1/role-bindings/${b.id}`))}
                  >
                    <Button size="small" danger disabled={disabled || busy} data-testid={`unbind-${b.id}`}>
                      {t('common.remove')}
                    </Button>
                  </Popconfirm>
                )}
              </Needs>
            ),
          },
        ]}
      />
      {creating ? (
        <Modal
          open
          title={t('access.bindings.create')}
          okText={t('access.bindings.createOk')}
          cancelText={t('common.cancel')}
          confirmLoading={busy}
          onCancel={() => setCreating(false)}
          onOk={() => form.submit()}
          okButtonProps={{ 'data-testid': 'create-binding' } as ButtonProps}
        >
          <Form<NewBinding>
            form={form}
            layout="vertical"
            initialValues={{ kind: 'user' }}
            onFinish={(v) => void create(v)}
          >
            <Form.Item name="kind" label={t('access.bindings.subjectKind')}>
              <Select
                data-testid="binding-kind"
                options={[
                  { value: 'user', label: t('access.bindings.user') },
                  { value: 'group', label: t('access.bindings.group') },
                ]}
              />
            </Form.Item>
            <Form.Item name="subject" label={t('access.name')}>
              <Input data-testid="binding-subject" autoComplete="off" />
            </Form.Item>
            <Form.Item name="role" label={t('access.bindings.role')}>
              <Select
                data-testid="binding-role"
                options={(roles.data ?? []).map((r) => ({ value: r.name, label: r.name }))}
              />
            </Form.Item>
            <Form.Item name="app" label={t('access.bindings.app')} extra={t('access.bindings.anyHelp')}>
              <Input data-testid="binding-app" placeholder="*" />
            </Form.Item>
            <Form.Item name="env" label={t('access.bindings.env')} extra={t('access.bindings.anyHelp')}>
              <Input data-testid="binding-env" placeholder="*" />
            </Form.Item>
          </Form>
          <ErrorAlert error={error} />
        </Modal>
      ) : null}
    </div>
  );
}
