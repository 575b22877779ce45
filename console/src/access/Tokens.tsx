/**
 * The Access page's Tokens tab: the caller's tokens (everyone's with users:read); create one — its
 * secret shown once, with a copy button — and revoke.
 */
import { useState } from 'react';
import { Alert, Button, Form, Input, Modal, Popconfirm, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import type { ButtonProps } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { PERMISSIONS } from '../../../src/model/access.js';
import { api } from '../api/client';
import { useResource } from '../api/hooks';
import type { IssuedTokenView, MeView, StoredTokenView } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { mayGlobally } from './permissions';

interface NewToken {
  name: string;
  user?: string;
  scopes?: string[];
  expiresIn?: string;
}

export function Tokens({ me }: { me: MeView }) {
  const { t, i18n } = useTranslation();
  const mayReadAll = mayGlobally(me, 'users:read');
  const mayWriteOthers = mayGlobally(me, 'users:write');
  const [all, setAll] = useState(false);
  const tokens = useResource<StoredTokenView[]>(all ? '/api/v1/tokens?all=true' : '/api/v1/tokens');
  const [creating, setCreating] = useState(false);
  const [issued, setIssued] = useState<IssuedTokenView | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<NewToken>();

  const run = async <T,>(p: Promise<T>): Promise<T | undefined> => {
    setError(undefined);
    setBusy(true);
    try {
      const r = await p;
      tokens.reload();
      return r;
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const create = async (v: NewToken): Promise<void> => {
    const made = await run(
      api<IssuedTokenView>('POST', '/api/v1/tokens', {
        name: v.name ?? '',
        ...(v.user ? { user: v.user } : {}),
        ...(v.scopes?.length ? { scopes: v.scopes } : {}),
        ...(v.expiresIn ? { expiresIn: v.expiresIn } : {}),
      }),
    );
    if (made) {
      setCreating(false);
      form.resetFields();
      setIssued(made);
    }
  };
  const ownerOf = (tk: StoredTokenView): string => tk.user ?? tk.name;
  const mayRevoke = (tk: StoredTokenView): boolean =>
    (tk.user !== null && tk.user === me.name && me.kind !== 'bootstrap') || mayWriteOthers;

  return (
    <div data-testid="tokens">
      <Space style={{ marginBottom: 16 }} wrap>
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-token">
          {t('access.tokens.create')}
        </Button>
        {mayReadAll && (
          <Space>
            <Switch checked={all} onChange={setAll} data-testid="all-tokens" />
            <span>{all ? t('access.tokens.all') : t('access.tokens.mine')}</span>
          </Space>
        )}
      </Space>
      {creating ? null : <ErrorAlert error={error} />}
      <ErrorAlert error={tokens.error} />
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
            render: (_: unknown, tk: StoredTokenView) =>
              tk.revokedAt ? (
                <Tag color="red">{t('access.tokens.revoked')}</Tag>
              ) : (
                <Popconfirm
                  title={t('access.tokens.confirmRevoke', { name: tk.name })}
                  okText={t('access.tokens.revoke')}
                  cancelText={t('common.cancel')}
                  disabled={!mayRevoke(tk)}
                  onConfirm={() => run(api('DELETE', `/api/v1/tokens/${tk.id}`))}
                >
                  <Button
                    size="small"
                    danger
                    disabled={!mayRevoke(tk) || busy}
                    title={mayRevoke(tk) ? undefined : t('access.needs', { permission: 'users:write' })}
                    data-testid={`revoke-${tk.id}`}
                  >
                    {t('access.tokens.revoke')}
                  </Button>
                </Popconfirm>
              ),
          },
        ]}
      />
      {creating ? (
        <Modal
          open
          title={t('access.tokens.create')}
          okText={t('access.tokens.createOk')}
          cancelText={t('common.cancel')}
          confirmLoading={busy}
          onCancel={() => setCreating(false)}
          onOk={() => form.submit()}
          okButtonProps={{ 'data-testid': 'create-token' } as ButtonProps}
        >
          <Form<NewToken> form={form} layout="vertical" onFinish={(v) => void create(v)}>
            <Form.Item name="name" label={t('access.name')}>
              <Input data-testid="token-name" autoComplete="off" />
            </Form.Item>
            {mayWriteOthers && (
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
          <ErrorAlert error={error} />
        </Modal>
      ) : null}
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
    </div>
  );
}
