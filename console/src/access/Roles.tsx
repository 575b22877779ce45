/** The Access page's Roles tab: the built-in and custom roles with their permissions; create or delete a custom one. */
import { useState } from 'react';
import { Button, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag } from 'antd';
import type { ButtonProps } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { PERMISSIONS } from '../../../src/model/access.js';
import { api, send } from '../api/client';
import { useResource } from '../api/hooks';
import type { MeView, RoleView } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { Needs, mayGlobally } from './permissions';

interface NewRole {
  name: string;
  permissions?: string[];
  description?: string;
}

export function Roles({ me }: { me: MeView }) {
  const { t } = useTranslation();
  const readable = mayGlobally(me, 'roles:read');
  const roles = useResource<RoleView[]>(readable ? '/api/v1/roles' : null);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<NewRole>();

  const act = async (p: Promise<unknown>): Promise<boolean> => {
    setError(undefined);
    setBusy(true);
    try {
      await p;
      roles.reload();
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const create = async (v: NewRole): Promise<void> => {
    const body = {
      name: v.name ?? '',
      permissions: v.permissions ?? [],
      ...(v.description ? { description: v.description } : {}),
    };
    if (await act(api('POST', '/api/v1/roles', body))) {
      setCreating(false);
      form.resetFields();
    }
  };

  if (!readable) return <Tag data-needs="roles:read">{t('access.needs', { permission: 'roles:read' })}</Tag>;
  return (
    <div data-testid="roles">
      <Space style={{ marginBottom: 16 }}>
        <Needs me={me} permission="roles:write">
          {(disabled) => (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              disabled={disabled}
              onClick={() => setCreating(true)}
              data-testid="new-role"
            >
              {t('access.roles.create')}
            </Button>
          )}
        </Needs>
      </Space>
      {creating ? null : <ErrorAlert error={error} />}
      <ErrorAlert error={roles.error} />
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
                <Needs me={me} permission="roles:write">
                  {(disabled) => (
                    <Popconfirm
                      title={t('access.roles.confirmDelete', { name: r.name })}
                      okText={t('access.delete')}
                      cancelText={t('common.cancel')}
                      disabled={disabled}
                      onConfirm={() => act(send('DELETE', `/api/v1/roles/${encodeURIComponent(r.name)}`))}
                    >
                      <Button size="small" danger disabled={disabled || busy} data-testid={`delete-role-${r.name}`}>
                        {t('access.delete')}
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
          title={t('access.roles.create')}
          okText={t('access.roles.createOk')}
          cancelText={t('common.cancel')}
          confirmLoading={busy}
          onCancel={() => setCreating(false)}
          onOk={() => form.submit()}
          okButtonProps={{ 'data-testid': 'create-role' } as ButtonProps}
        >
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
          <ErrorAlert error={error} />
        </Modal>
      ) : null}
    </div>
  );
}
