/**
 * Approvals (docs/access.md, Approvals): operations waiting for approvals and those that did — who
 * asked what and why, what would change (a deploy's plan, a config change's diff with secrets
 * masked), the approvers so far, the expiry — and approve or reject with a reason. What the signed-in
 * user may not do is disabled with the reason: his own request, one he approved, one outside his grants.
 */
import { useState } from 'react';
import { Button, Input, Modal, Segmented, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { useResource } from '../api/hooks';
import type { ApprovalRequest } from '../api/types';
import { permissionOfAction } from '../../../src/model/approvals.js';
import { useAccess } from '../auth/useAccess';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { PageTitle } from '../components/PageTitle';
import { ApprovalChanges } from './Changes';

const STATE_COLORS: Record<ApprovalRequest['state'], string> = {
  pending: 'gold',
  approved: 'blue',
  running: 'blue',
  done: 'green',
  failed: 'red',
  rejected: 'red',
  expired: 'default',
  withdrawn: 'default',
};

type Acting = { kind: 'approve' | 'reject'; request: ApprovalRequest };

export function Approvals() {
  const { t, i18n } = useTranslation();
  const [filter, setFilter] = useState<'pending' | 'all'>('pending');
  const list = useResource<ApprovalRequest[]>(`/api/v1/approvals${filter === 'pending' ? '?state=pending' : ''}`, {
    pollMs: 5000,
  });
  const { me, disabledReason } = useAccess();
  const [acting, setActing] = useState<Acting | undefined>(undefined);
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);

  /** Why the signed-in user may not approve or reject `a` (undefined: he may). */
  const whyNot = (a: ApprovalRequest): string | undefined => {
    if (me && a.author === me.name) return t('approvals.why.own');
    if (me && a.approvals.some((v) => v.name === me.name)) return t('approvals.why.already');
    const scope = { app: a.app, env: a.env };
    return disabledReason('approvals:approve', scope) ?? disabledReason(permissionOfAction(a.action), scope);
  };

  const act = async (): Promise<void> => {
    if (!acting) return;
    setBusy(true);
    setError(undefined);
    try {
      const path = `/api/v1/approvals/${acting.request.id}/${acting.kind}`;
      await api('POST', path, acting.kind === 'approve' ? (text ? { comment: text } : {}) : { reason: text });
      setActing(undefined);
      setText('');
      list.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const asks = (a: ApprovalRequest): string =>
    t(`approvals.asks.${a.action}`, {
      app: a.app,
      env: a.env,
      from: String(a.request['from'] ?? ''),
      revision: String(a.request['toRevision'] ?? a.request['to'] ?? ''),
    });

  return (
    <div data-page="approvals">
      <PageTitle
        title={t('approvals.title')}
        actions={
          <Segmented
            value={filter}
            onChange={(v) => setFilter(v as 'pending' | 'all')}
            options={[
              { value: 'pending', label: t('approvals.filter.pending') },
              { value: 'all', label: t('approvals.filter.all') },
            ]}
          />
        }
      />
      <Typography.Paragraph type="secondary">{t('approvals.hint')}</Typography.Paragraph>
      <ErrorAlert error={list.error} />
      <Table<ApprovalRequest>
        data-testid="approvals"
        rowKey="id"
        size="middle"
        loading={list.loading && !list.data}
        dataSource={list.data ?? []}
        pagination={false}
        locale={{ emptyText: t('approvals.empty') }}
        onRow={(a) => ({ 'data-id': a.id }) as React.HTMLAttributes<HTMLElement>}
        expandable={{ expandedRowRender: (a) => <ApprovalChanges request={a} /> }}
        columns={[
          { title: '#', dataIndex: 'id', width: 60 },
          { title: t('approvals.columns.asks'), key: 'asks', render: (_v, a) => asks(a) },
          { title: t('approvals.columns.author'), dataIndex: 'author' },
          { title: t('approvals.columns.reason'), dataIndex: 'reason', render: (r: string | null) => r ?? '' },
          {
            title: t('approvals.columns.state'),
            key: 'state',
            render: (_v, a) => (
              <Tooltip title={a.error ?? a.endReason ?? undefined}>
                <Tag color={STATE_COLORS[a.state]}>{t(`approvals.states.${a.state}`)}</Tag>
              </Tooltip>
            ),
          },
          {
            title: t('approvals.columns.approvals'),
            key: 'approvals',
            render: (_v, a) =>
              t('approvals.count', {
                count: a.approvals.length,
                required: a.required,
                names: a.approvals.map((v) => v.name).join(', '),
              }),
          },
          {
            title: t('approvals.columns.expires'),
            key: 'expires',
            render: (_v, a) => (a.state === 'pending' ? formatTime(a.expiresAt, i18n.language) : ''),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            render: (_v, a) => {
              if (a.state !== 'pending') return null;
              const why = whyNot(a);
              return (
                <Tooltip title={why}>
                  <Space>
                    <Button
                      size="small"
                      type="primary"
                      disabled={why !== undefined}
                      data-testid={`approve-${a.id}`}
                      onClick={() => setActing({ kind: 'approve', request: a })}
                    >
                      {t('approvals.approve')}
                    </Button>
                    <Button
                      size="small"
                      danger
                      disabled={why !== undefined}
                      data-testid={`reject-${a.id}`}
                      onClick={() => setActing({ kind: 'reject', request: a })}
                    >
                      {t('approvals.reject')}
                    </Button>
                  </Space>
                </Tooltip>
              );
            },
          },
        ]}
      />
      <Modal
        open={acting !== undefined}
        title={
          acting ? t(`approvals.dialog.${acting.kind}`, { id: acting.request.id, what: asks(acting.request) }) : ''
        }
        okText={acting?.kind === 'reject' ? t('approvals.reject') : t('approvals.approve')}
        cancelText={t('common.cancel')}
        okButtonProps={{
          disabled: acting?.kind === 'reject' && !text.trim(),
          loading: busy,
          danger: acting?.kind === 'reject',
        }}
        onOk={() => void act()}
        onCancel={() => {
          setActing(undefined);
          setError(undefined);
        }}
      >
        <ErrorAlert error={error} />
        <Input.TextArea
          data-testid="approval-text"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={acting?.kind === 'reject' ? t('approvals.dialog.reason') : t('approvals.dialog.comment')}
        />
      </Modal>
    </div>
  );
}
