/**
 * The Access page's Tokens tab: the caller's tokens (everyone's with users:read); create one — its
 * secret shown once, with a copy button — and revoke.
 */
import { useState } from 'react';
import { Alert, Button, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { PERMISSIONS } from '../../../src/model/access.js';
import { api } from '../api/client';
import { useResource } from '../api/hooks';
import type { IssuedTokenView, StoredTokenView } from '../api/types';
import { useAccess } from '../auth/useAccess';
import { formatTime } from '../components/format';
import { Guarded } from '../components/Guarded';
import { AccessTab, useTabAction } from './Tab';

interface NewToken {
  name: string;
  user?: string;
  scopes?: string[];
  expiresIn?: string;
}

export function Tokens() {
  const { t, i18n } = useTranslation();
  const { me, can } = useAccess();
  const [all, setAll] = useState(false);
  const tokens = useResource<StoredTokenView[]>(all ? '/api/v1/tokens?all=true' : '/api/v1/tokens');
  const action = useTabAction(tokens.reload);
  const [issued, setIssued] = useState<IssuedTokenView | undefined>(undefined);
  const [form] = Form.useForm<NewToken>();

  const create = async (v: NewToken): Promise<void> => {
    const made = await action.run(
      api<IssuedTokenView>('POST', '/api/v1/tokens', {
        name: v.name ?? '',
        ...(v.user ? { user: v.user } : {}),
        ...(v.scopes?.length ? { scopes: v.scopes } : {}),
        ...(v.expiresIn ? { expiresIn: v.expiresIn } : {}),
      }),
    );
    if (made) {
      action.setCreating(false);
      form.resetFields();
      setIssued(made.value);
    }
  };
  const ownerOf = (tk: StoredTokenView): string => tk.user ?? tk.name;
  /** One's own token is revoked without users:write (the bootstrap token's owner is no user). */
  const isOwn = (tk: StoredTokenView): boolean => tk.user !== null && tk.user === me?.name && me.kind !== 'bootstrap';

  return (
    <AccessTab
      tab="tokens"
      action={action}
      listError={tokens.error}
      tools={
        can('users:read') && (
          <Space>
            <Switch checked={all} onChange={setAll} data-testid="all-tokens" />
            <span>{all ? t('access.tokens.all') : t('access.tokens.mine')}</span>
          </Space>
        )
      }
      submit={() => form.submit()}
      form={
        <Form<NewToken> form={form} layout="vertical" onFinish={(v) => void create(v)}>
          <Form.Item name="name" label={t('access.name')}>
            <Input data-testid="token-name" autoComplete="off" />
          </Form.Item>
          {can('users:write') && (
            <Form.Item name="user" label={t('access.tokens.user')} extra={t('access.tokens.userHelp')}>
              <Input data-testid="token-user" autoComplete="off" />
            </Form.Item>
          )}
          <Form.Item name="scopes" label={t('access.tokens.scopes')} extra={t('access.tokens.scopesHelp')}>
            <Select
              mode="multiple"
              data-testid="token-scopes"
              options={PERMISSIONS.map((p) => ({ value: p, label: p }))}
            />
          </Form.Item>
          <Form.Item name="expiresIn" label={t('access.tokens.expiresIn')} extra={t('access.tokens.expiresHelp')}>
            <Input data-testid="token-expires" />
          </Form.Item>
        </Form>
      }
    >
      <Table<StoredTokenView>
        size="small"
        rowKey="id"
        pagination={false}
        loading={tokens.loading && !tokens.data}
        dataSource={tokens.data ?? []}
        locale={{ emptyText: t('access.tokens.empty') }}
        columns={[
          { title: 'ID', dataIndex: 'id' },
          { title: t('access.name'), dataIndex: 'name', render: (v: string) => <strong>{v}</strong> },
          {
            title: t('access.kind'),
            render: (_: unknown, tk: StoredTokenView) => <Tag>{t(`access.kinds.${tk.kind}`)}</Tag>,
          },
          { title: t('access.tokens.user'), render: (_: unknown, tk: StoredTokenView) => ownerOf(tk) },
          {
            title: t('access.tokens.scopes'),
            render: (_: unknown, tk: StoredTokenView) =>
              tk.scopes ? tk.scopes.map((s) => <Tag key={s}>{s}</Tag>) : t('access.tokens.allScopes'),
          },
          {
            title: t('access.tokens.expires'),
            render: (_: unknown, tk: StoredTokenView) =>
              tk.expiresAt ? formatTime(tk.expiresAt, i18n.language) : t('access.tokens.never'),
          },
          {
            title: t('access.tokens.lastUsed'),
            render: (_: unknown, tk: StoredTokenView) =>
              tk.lastUsedAt ? formatTime(tk.lastUsedAt, i18n.language) : t('access.none'),
          },
          {
            title: t('common.actions'),
            render: (_: unknown, tk: StoredTokenView) => {
              if (tk.revokedAt) return <Tag color="red">{t('access.tokens.revoked')}</Tag>;
              const revoke = (
                <Button size="small" danger disabled={action.busy} data-testid={`revoke-${tk.id}`}>
                  {t('access.tokens.revoke')}
                </Button>
              );
              return (
                <Popconfirm
                  title={t('access.tokens.confirmRevoke', { name: tk.name })}
                  okText={t('access.tokens.revoke')}
                  cancelText={t('common.cancel')}
                  onConfirm={() => action.run(api('DELETE', `/api/v1/tokens/${tk.id}`))}
                >
                  {isOwn(tk) ? revoke : <Guarded need="users:write">{revoke}</Guarded>}
                </Popconfirm>
              );
            },
          },
        ]}
      />
      {issued ? (
        <Modal
          open
          closable={false}
          maskClosable={false}
          title={t('access.tokens.secretTitle', { name: issued.name })}
          footer={
            <Button type="primary" onClick={() => setIssued(undefined)} data-testid="secret-done">
              {t('access.tokens.done')}
            </Button>
          }
        >
          <Alert type="warning" showIcon title={t('access.tokens.secretWarning')} style={{ marginBottom: 12 }} />
          <Typography.Paragraph copyable={{ text: issued.token }} code data-testid="token-secret">
            {issued.token}
          </Typography.Paragraph>
        </Modal>
      ) : null}
    </AccessTab>
  );
}
