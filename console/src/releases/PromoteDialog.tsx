/**
 * Promote: the revision running in this environment goes to another one with that environment's own
 * config. The dialog shows what `berth promote` shows first (POST /api/v1/promotions/preview): the
 * app's config difference between the two (secrets only as differing) and the plan in the target;
 * a protected target needs the confirmation box ticked.
 */
import { useEffect, useState } from 'react';
import { Alert, Checkbox, Form, Input, Modal, Select, Space, Spin, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { useResource } from '../api/hooks';
import type { Environment, PromotionPreview, Release } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { PlanView } from '../components/PlanView';
import { ConfigDiffTable } from '../components/ConfigDiffTable';
import { useAccess } from '../auth/useAccess';

function ConfigDifference({ preview }: { preview: PromotionPreview }) {
  const { t } = useTranslation();
  const { from, to, config } = preview;
  return (
    <div data-testid="promote-config">
      <Typography.Title level={5}>
        {t('promote.configTitle', { from, to, fromVersion: config.fromVersion, toVersion: config.toVersion })}
      </Typography.Title>
      {config.entries.length === 0 ? (
        <Typography.Paragraph type="secondary">{t('promote.configSame')}</Typography.Paragraph>
      ) : (
        <>
          <ConfigDiffTable entries={config.entries} from={from} to={to} />
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            {t('promote.configKept', { to })}
          </Typography.Paragraph>
        </>
      )}
    </div>
  );
}

export function PromoteDialog({
  app,
  env,
  onClose,
  onPromoted,
}: {
  app: string;
  env: string;
  onClose: () => void;
  onPromoted: (r: Release) => void;
}) {
  const { t } = useTranslation();
  const environments = useResource<Environment[]>('/api/v1/environments');
  const others = (environments.data ?? []).map((e) => e.name).filter((n) => n !== env);
  const [to, setTo] = useState<string | undefined>(undefined);
  const [preview, setPreview] = useState<PromotionPreview | undefined>(undefined);
  const [previewError, setPreviewError] = useState<unknown>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [confirmed, setConfirmed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const { disabledReason } = useAccess();
  const denied = to === undefined ? undefined : disabledReason('apps:deploy', { app, env: to });

  useEffect(() => {
    setPreview(undefined);
    setPreviewError(undefined);
    setConfirmed(false);
    if (to === undefined) return;
    const abort = new AbortController();
    api<PromotionPreview>('POST', '/api/v1/promotions/preview', { app, from: env, to }, abort.signal).then(
      (p) => !abort.signal.aborted && setPreview(p),
      (err: unknown) => !abort.signal.aborted && setPreviewError(err),
    );
    return () => abort.abort();
  }, [app, env, to]);

  const promote = async (): Promise<void> => {
    if (!preview) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<Release>('POST', '/api/v1/promotions', {
        app,
        from: env,
        to: preview.to,
        // What the dialog showed is what runs: the source revision and the target's config version.
        revision: preview.source.revision,
        configVersion: preview.plan.toConfigVersion,
        confirmed: preview.protected ? confirmed : false,
        ...(message.trim() ? { message: message.trim() } : {}),
      });
      onPromoted(r);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      width={960}
      title={t('promote.title', { app, env })}
      okText={t('promote.ok')}
      cancelText={t('common.cancel')}
      okButtonProps={{
        disabled: !preview || (preview.protected && !confirmed) || denied !== undefined,
        'data-testid': 'confirm-promote',
      }}
      confirmLoading={busy}
      onOk={() => void promote()}
      onCancel={onClose}
    >
      <Typography.Paragraph type="secondary">{t('promote.hint', { env })}</Typography.Paragraph>
      <ErrorAlert error={environments.error} />
      {environments.data !== undefined && others.length === 0 ? (
        <Alert type="info" showIcon title={t('promote.noOther')} />
      ) : (
        <Space style={{ marginBottom: 12 }}>
          <Typography.Text>{t('promote.target')}</Typography.Text>
          <Select
            data-testid="promote-target"
            style={{ minWidth: 180 }}
            placeholder={t('promote.choose')}
            value={to}
            onChange={setTo}
            options={others.map((n) => ({ value: n, label: n }))}
          />
        </Space>
      )}
      {denied !== undefined ? (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={denied} data-testid="promote-denied" />
      ) : null}
      <ErrorAlert error={previewError} />
      {to !== undefined && !preview && !previewError ? <Spin /> : null}
      {preview ? (
        <div data-testid="promote-preview">
          <Typography.Paragraph strong>
            {t('promote.source', { from: env, revision: preview.source.revision, to: preview.to })}
            {' · '}
            {preview.current
              ? t('promote.runsThere', { revision: preview.current.revision })
              : t('promote.nothingThere')}
          </Typography.Paragraph>
          {preview.protected ? (
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 12 }}
              title={t('promote.protected', { to: preview.to })}
              description={
                <Checkbox
                  checked={confirmed}
                  onChange={(e) => setConfirmed(e.target.checked)}
                  data-testid="promote-confirm"
                >
                  {t('promote.confirm', { to: preview.to })}
                </Checkbox>
              }
            />
          ) : null}
          <ConfigDifference preview={preview} />
          <Typography.Title level={5} style={{ marginTop: 16 }}>
            {t('promote.planTitle', { to: preview.to })}
          </Typography.Title>
          <div data-testid="promote-plan">
            <PlanView plan={preview.plan} />
          </div>
        </div>
      ) : null}
      <Form layout="vertical" style={{ marginTop: 16 }}>
        <Form.Item label={t('promote.message')}>
          <Input value={message} onChange={(e) => setMessage(e.target.value)} maxLength={500} />
        </Form.Item>
      </Form>
      <ErrorAlert error={error} />
    </Modal>
  );
}
