/** The Access page's Users tab: users and service accounts; create, disable or enable, delete. */
import { useState } from 'react';
import { Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag } from 'antd';
import type { ButtonProps } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { api, send } from '../api/client';
import { useResource } from '../api/hooks';
import type { MeView, UserView } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { Needs, mayGlobally } from './permissions';

interface NewUser {
  name: string;
  kind: 'user' | 'service';
  password?: string;
  groups?: string[];
}

export function Users({ me }: { me: MeView }) {
  const { t, i18n } = useTranslation();
  const readable = mayGlobally(me, 'users:read');
  const users = useResource<UserView[]>(readable ? '/api/v1/users' : null);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<NewUser>();
  const kind = Form.useWatch('kind', form);

  const act = async (p: Promise<unknown>): Promise<boolean> => {
    setError(undefined);
    setBusy(true);
    try {
      await p;
      users.reload();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const create = async (v: NewUser): Promise<void> => {
    const ok = await act(
      api('POST', '/api/v1/users', {
        name: v.name ?? '',
        kind: v.kind,
        ...(v.kind === 'user' && v.password ? { password: v.password } : {}),
        ...(v.groups?.length ? { groups: v.groups } : {}),
      }),
    );
    if (ok) {
      setCreating(false);
      form.resetFields();
    }
  };
  const path = (name: string) => `/api/v1/users/${encodeURIComponent(name)}`;

  if (!readable)
    return (
      <Tag data-needs="users:read" color="default">
        {t('access.needs', { permission: 'users:read' })}
      </Tag>
    );
  return (
    <div data-testid="users">
      <Space style={{ marginBottom: 16 }}>
        <Needs me={me} permission="users:write">
          {(disabled) => (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              disabled={disabled}
              onClick={() => setCreating(true)}
              data-testid="new-user"
            >
              {t('access.users.create')}
            </Button>
          )}
        </Needs>
      </Space>
      {creating ? null : <ErrorAlert error={error} />}
      <ErrorAlert error={users.error} />
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
              <Needs me={me} permission="users:write">
                {(disabled) => (
                  <Space>
                    <Button
                      size="small"
                      disabled={disabled || busy}
                      data-testid={`toggle-${u.name}`}
                      onClick={() => void act(api('PATCH', path(u.name), { disabled: !u.disabled }))}
                    >
                      {u.disabled ? t('access.users.enable') : t('access.users.disable')}
                    </Button>
                    <Popconfirm
                      title={t('access.users.confirmDelete', { name: u.name })}
                      okText={t('access.delete')}
                      cancelText={t('common.cancel')}
                      onConfirm={() => act(send('DELETE', path(u.name)))}
                      disabled={disabled}
                    >
                      <Button size="small" danger disabled={disabled || busy} data-testid={`delete-${u.name}`}>
                        {t('access.delete')}
                      </Button>
                    </Popconfirm>
                  </Space>
                )}
              </Needs>
            ),
          },
        ]}
      />
      {creating ? (
        <Modal
          open
          title={t('access.users.create')}
          okText={t('access.users.createOk')}
          cancelText={t('common.cancel')}
          confirmLoading={busy}
          onCancel={() => setCreating(false)}
          onOk={() => form.submit()}
          okButtonProps={{ 'data-testid': 'create-user' } as ButtonProps}
        >
          <Form<NewUser>
            form={form}
            layout="vertical"
            initialValues={{ kind: 'user' }}
            onFinish={(v) => void create(v)}
          >
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
          <ErrorAlert error={error} />
        </Modal>
      ) : null}
    </div>
  );
}
