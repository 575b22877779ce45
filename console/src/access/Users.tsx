/** The Access page's Users tab: users and service accounts; create, disable or enable, delete. */
import { Button, Form, Input, Popconfirm, Select, Space, Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, send } from '../api/client';
import { useResource } from '../api/hooks';
import type { UserView } from '../api/types';
import { useAccess } from '../auth/useAccess';
import { formatTime } from '../components/format';
import { Guarded } from '../components/Guarded';
import { AccessTab, useTabAction } from './Tab';

interface NewUser {
  name: string;
  kind: 'user' | 'service';
  password?: string;
  groups?: string[];
}

export function Users() {
  const { t, i18n } = useTranslation();
  const { can } = useAccess();
  const users = useResource<UserView[]>(can('users:read') ? '/api/v1/users' : null);
  const action = useTabAction(users.reload);
  const [form] = Form.useForm<NewUser>();
  const kind = Form.useWatch('kind', form);

  const create = async (v: NewUser): Promise<void> => {
    const made = await action.run(
      api('POST', '/api/v1/users', {
        name: v.name ?? '',
        kind: v.kind,
        ...(v.kind === 'user' && v.password ? { password: v.password } : {}),
        ...(v.groups?.length ? { groups: v.groups } : {}),
      }),
    );
    if (made) {
      action.setCreating(false);
      form.resetFields();
    }
  };
  const path = (name: string) => `/api/v1/users/${encodeURIComponent(name)}`;

  return (
    <AccessTab
      tab="users"
      read="users:read"
      write="users:write"
      action={action}
      listError={users.error}
      submit={() => form.submit()}
      form={
        <Form<NewUser> form={form} layout="vertical" initialValues={{ kind: 'user' }} onFinish={(v) => void create(v)}>
          <Form.Item name="name" label={t('access.name')}>
            <Input data-testid="user-name" autoComplete="off" />
          </Form.Item>
          <Form.Item name="kind" label={t('access.kind')}>
            <Select
              data-testid="user-kind"
              options={[
                { value: 'user', label: t('access.kinds.user') },
                { value: 'service', label: t('access.kinds.service') },
              ]}
            />
          </Form.Item>
          {kind !== 'service' && (
            <Form.Item name="password" label={t('access.users.password')} extra={t('access.users.passwordHelp')}>
              <Input.Password data-testid="user-password" autoComplete="new-password" />
            </Form.Item>
          )}
          <Form.Item name="groups" label={t('access.groups')} extra={t('access.users.groupsHelp')}>
            <Select mode="tags" data-testid="user-groups" open={false} />
          </Form.Item>
        </Form>
      }
    >
      <Table<UserView>
        size="small"
        rowKey="name"
        pagination={false}
        loading={users.loading && !users.data}
        dataSource={users.data ?? []}
        locale={{ emptyText: t('access.users.empty') }}
        columns={[
          { title: t('access.name'), dataIndex: 'name', render: (v: string) => <strong>{v}</strong> },
          {
            title: t('access.kind'),
            render: (_: unknown, u: UserView) => (
              <Tag color={u.kind === 'service' ? 'purple' : 'blue'}>{t(`access.kinds.${u.kind}`)}</Tag>
            ),
          },
          {
            title: t('access.groups'),
            render: (_: unknown, u: UserView) =>
              u.groups.length ? u.groups.map((g) => <Tag key={g}>{g}</Tag>) : t('access.none'),
          },
          {
            title: t('access.users.password'),
            render: (_: unknown, u: UserView) =>
              u.source === 'sso'
                ? t('access.users.sso')
                : u.hasPassword
                  ? t('access.users.hasPassword')
                  : t('access.users.noPassword'),
          },
          {
            title: t('access.status'),
            render: (_: unknown, u: UserView) =>
              u.disabled ? (
                <Tag color="red">{t('access.users.disabled')}</Tag>
              ) : (
                <Tag color="green">{t('access.users.enabled')}</Tag>
              ),
          },
          { title: t('access.created'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, i18n.language) },
          {
            title: t('common.actions'),
            render: (_: unknown, u: UserView) => (
              <Space>
                <Guarded need="users:write">
                  <Button
                    size="small"
                    disabled={action.busy}
                    data-testid={`toggle-${u.name}`}
                    onClick={() => void action.run(api('PATCH', path(u.name), { disabled: !u.disabled }))}
                  >
                    {u.disabled ? t('access.users.enable') : t('access.users.disable')}
                  </Button>
                </Guarded>
                <Popconfirm
                  title={t('access.users.confirmDelete', { name: u.name })}
                  okText={t('access.delete')}
                  cancelText={t('common.cancel')}
                  onConfirm={() => action.run(send('DELETE', path(u.name)))}
                >
                  <Guarded need="users:write">
                    <Button size="small" danger disabled={action.busy} data-testid={`delete-${u.name}`}>
                      {t('access.delete')}
                    </Button>
                  </Guarded>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
    </AccessTab>
  );
}
