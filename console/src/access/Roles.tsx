/** The Access page's Roles tab: the built-in and custom roles with their permissions; create or delete a custom one. */
import { Button, Form, Input, Popconfirm, Select, Space, Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { PERMISSIONS } from '../../../src/model/access.js';
import { api, send } from '../api/client';
import { useResource } from '../api/hooks';
import type { RoleView } from '../api/types';
import { useAccess } from '../auth/useAccess';
import { Guarded } from '../components/Guarded';
import { AccessTab, useTabAction } from './Tab';

interface NewRole {
  name: string;
  permissions?: string[];
  description?: string;
}

export function Roles() {
  const { t } = useTranslation();
  const { can } = useAccess();
  const roles = useResource<RoleView[]>(can('roles:read') ? '/api/v1/roles' : null);
  const action = useTabAction(roles.reload);
  const [form] = Form.useForm<NewRole>();

  const create = async (v: NewRole): Promise<void> => {
    const body = {
      name: v.name ?? '',
      permissions: v.permissions ?? [],
      ...(v.description ? { description: v.description } : {}),
    };
    if (await action.run(api('POST', '/api/v1/roles', body))) {
      action.setCreating(false);
      form.resetFields();
    }
  };

  return (
    <AccessTab
      tab="roles"
      read="roles:read"
      write="roles:write"
      action={action}
      listError={roles.error}
      submit={() => form.submit()}
      form={
        <Form<NewRole> form={form} layout="vertical" onFinish={(v) => void create(v)}>
          <Form.Item name="name" label={t('access.name')}>
            <Input data-testid="role-name" autoComplete="off" />
          </Form.Item>
          <Form.Item name="permissions" label={t('access.permissions')}>
            <Select
              mode="multiple"
              data-testid="role-permissions"
              options={PERMISSIONS.map((p) => ({ value: p, label: p }))}
            />
          </Form.Item>
          <Form.Item name="description" label={t('access.description')}>
            <Input data-testid="role-description" />
          </Form.Item>
        </Form>
      }
    >
      <Table<RoleView>
        size="small"
        rowKey="name"
        pagination={false}
        loading={roles.loading && !roles.data}
        dataSource={roles.data ?? []}
        columns={[
          { title: t('access.name'), dataIndex: 'name', render: (v: string) => <strong>{v}</strong> },
          {
            title: t('access.kind'),
            render: (_: unknown, r: RoleView) =>
              r.builtin ? <Tag>{t('access.roles.builtin')}</Tag> : <Tag color="blue">{t('access.roles.custom')}</Tag>,
          },
          {
            title: t('access.permissions'),
            render: (_: unknown, r: RoleView) => (
              <Space size={[0, 4]} wrap>
                {r.permissions.map((p) => (
                  <Tag key={p}>{p}</Tag>
                ))}
              </Space>
            ),
          },
          { title: t('access.description'), render: (_: unknown, r: RoleView) => r.description ?? '' },
          {
            title: t('common.actions'),
            render: (_: unknown, r: RoleView) =>
              r.builtin ? null : (
                <Popconfirm
                  title={t('access.roles.confirmDelete', { name: r.name })}
                  okText={t('access.delete')}
                  cancelText={t('common.cancel')}
                  onConfirm={() => action.run(send('DELETE', `/api/v1/roles/${encodeURIComponent(r.name)}`))}
                >
                  <Guarded need="roles:write">
                    <Button size="small" danger disabled={action.busy} data-testid={`delete-role-${r.name}`}>
                      {t('access.delete')}
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
