/** The Access page's Bindings tab: who has which role where; add or remove a binding. */
import { Button, Form, Input, Popconfirm, Select, Space, Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { useResource } from '../api/hooks';
import type { RoleBindingView, RoleView } from '../api/types';
import { useAccess } from '../auth/useAccess';
import { formatTime } from '../components/format';
import { Guarded } from '../components/Guarded';
import { AccessTab, useTabAction } from './Tab';

interface NewBinding {
  kind: 'user' | 'group';
  subject: string;
  role: string;
  app?: string;
  env?: string;
}

export function Bindings() {
  const { t, i18n } = useTranslation();
  const { can } = useAccess();
  const readable = can('roles:read');
  const bindings = useResource<RoleBindingView[]>(readable ? '/api/v1/role-bindings' : null);
  const roles = useResource<RoleView[]>(readable ? '/api/v1/roles' : null);
  const action = useTabAction(bindings.reload);
  const [form] = Form.useForm<NewBinding>();

  const create = async (v: NewBinding): Promise<void> => {
    const body = {
      [v.kind]: v.subject ?? '',
      role: v.role ?? '',
      ...(v.app ? { app: v.app } : {}),
      ...(v.env ? { env: v.env } : {}),
    };
    if (await action.run(api('POST', '/api/v1/role-bindings', body))) {
      action.setCreating(false);
      form.resetFields();
    }
  };
  const where = (v: string) => (v === '*' ? <Tag>{t('access.bindings.any')}</Tag> : <code>{v}</code>);

  return (
    <AccessTab
      tab="bindings"
      read="roles:read"
      write="roles:write"
      action={action}
      listError={bindings.error}
      submit={() => form.submit()}
      form={
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
      }
    >
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
              <Popconfirm
                title={t('access.bindings.confirmDelete')}
                okText={t('common.remove')}
                cancelText={t('common.cancel')}
                onConfirm={() => action.run(api('DELETE', `/api/v1/role-bindings/${b.id}`))}
              >
                <Guarded need="roles:write">
                  <Button size="small" danger disabled={action.busy} data-testid={`unbind-${b.id}`}>
                    {t('common.remove')}
                  </Button>
                </Guarded>
              </Popconfirm>
            ),
          },
        ]}
      />
    </AccessTab>
  );
}
