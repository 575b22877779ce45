/**
 * Which environments are previews of a branch or pull request (docs/previews.md), in the environments
 * table: a tag with the app and key, when it expires, its edge port, and a button that closes it (DELETE
 * /api/v1/previews/:app/:key: what runs there is taken down and the environment deleted).
 */
import { useState } from 'react';
import { App as AntApp, Button, Popconfirm, Space, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Preview } from '../api/types';
import { formatTime } from '../components/format';
import { Guarded } from '../components/Guarded';
import { useAccess } from '../auth/useAccess';

/** The open previews by their environment's name. */
export function previewsByEnv(list: Preview[] | undefined): Map<string, Preview> {
  return new Map((list ?? []).filter((p) => p.state !== 'closed').map((p) => [p.env, p]));
}

export function PreviewCell({
  preview,
  onClosed,
  onError,
}: {
  preview: Preview | undefined;
  onClosed: () => void;
  onError: (err: unknown) => void;
}) {
  const { t, i18n } = useTranslation();
  const { can } = useAccess();
  const { message } = AntApp.useApp();
  const [busy, setBusy] = useState(false);
  if (!preview) return <Typography.Text type="secondary">{t('previews.none')}</Typography.Text>;
  const p = preview;
  const close = async (): Promise<void> => {
    setBusy(true);
    try {
      await api('DELETE', `/api/v1/previews/${encodeURIComponent(p.app)}/${encodeURIComponent(p.key)}`);
      void message.success(t('previews.closed', { key: p.key, env: p.env }));
      onClosed();
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  };
  const closeButton = (
    <Button size="small" danger loading={busy} data-testid={`close-preview-${p.env}`}>
      {t('previews.close')}
    </Button>
  );
  return (
    <Space wrap size={4} data-testid={`preview-${p.env}`}>
      <Tag color="gold">{t('previews.tag')}</Tag>
      <span>{t('previews.of', { app: p.app, key: p.key })}</span>
      {p.state === 'open' ? null : <Tag color="orange">{t(`previews.state.${p.state}`)}</Tag>}
      <Typography.Text type="secondary">
        {t('previews.expires', { time: formatTime(p.expiresAt, i18n.language) })}
      </Typography.Text>
      {p.edgePort === undefined ? null : (
        <Typography.Text type="secondary">{t('previews.edge', { port: p.edgePort })}</Typography.Text>
      )}
      {/* a disabled control cannot open the confirmation: the guard takes its place when denied */}
      {can('previews:write', { app: p.app }) ? (
        <Popconfirm
          title={t('previews.closeTitle', { key: p.key })}
          description={t('previews.closeConfirm', { env: p.env })}
          okText={t('previews.close')}
          cancelText={t('common.cancel')}
          onConfirm={() => void close()}
        >
          {closeButton}
        </Popconfirm>
      ) : (
        <Guarded need="previews:write" app={p.app}>
          {closeButton}
        </Guarded>
      )}
    </Space>
  );
}
