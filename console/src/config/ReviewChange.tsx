/**
 * Before a config change is saved: the values side by side (secrets masked) and its impact — which
 * services the change will restart when it is deployed, and why — computed by the control plane's
 * plan against the current config plus the change (nothing is written until Save; a stale base
 * version is refused there already).
 */
import { useState } from 'react';
import { Form, Input, Modal, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, appBase } from '../api/client';
import { MASK, type ConfigVersionInfo, type ConfigView } from '../api/types';
import { Impact, usePlanOf } from './Impact';
import { ErrorAlert } from '../components/ErrorAlert';
import { SideBySide } from '../components/SideBySide';
import { useAccess } from '../auth/useAccess';

export function ReviewChange({
  app,
  env,
  view,
  change,
  onClose,
  onSaved,
}: {
  app: string;
  env: string;
  view: ConfigView;
  change: { set: Record<string, { value: string; secret?: boolean }>; unset: string[] };
  onClose: () => void;
  onSaved: (version: number) => void;
}) {
  const access = useAccess();
  const { t } = useTranslation();
  const [saveError, setSaveError] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState('');

  const { plan, error: planError } = usePlanOf(app, env, {
    baseVersion: view.version,
    set: change.set,
    unset: change.unset,
  });

  const save = async (): Promise<void> => {
    setSaving(true);
    setSaveError(undefined);
    try {
      const v = await api<ConfigVersionInfo>('PATCH', `${appBase(app, env)}/config`, {
        baseVersion: view.version,
        set: change.set,
        unset: change.unset,
        ...(message.trim() ? { message: message.trim() } : {}),
      });
      onSaved(v.version);
    } catch (err) {
      setSaveError(err);
    } finally {
      setSaving(false);
    }
  };

  const secret = (k: string): boolean => view.values[k]?.secret ?? change.set[k]?.secret ?? false;
  const rows = [
    ...Object.entries(change.set).map(([k, v]) => ({
      key: k,
      ...(view.values[k] ? { left: view.values[k].value } : {}),
      right: secret(k) ? MASK : v.value,
      notes: [t(view.values[k] ? 'config.changed' : 'config.added'), ...(secret(k) ? [t('config.secretTag')] : [])],
    })),
    ...change.unset.map((k) => ({ key: k, left: view.values[k]?.value ?? '', notes: [t('config.removed')] })),
  ];

  return (
    <Modal
      open
      width={900}
      title={t('config.reviewTitle', { app, env })}
      okText={t('config.save')}
      cancelText={t('common.cancel')}
      onOk={() => void save()}
      onCancel={onClose}
      confirmLoading={saving}
      okButtonProps={{ 'data-testid': 'save-config', disabled: !access.can('config:write', { app, env }) }}
    >
      <Typography.Title level={5}>{t('config.changes')}</Typography.Title>
      <SideBySide
        rows={rows}
        leftTitle={t('config.currentN', { version: view.version })}
        rightTitle={t('config.new')}
      />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('config.impact')}
      </Typography.Title>
      <Impact plan={plan} error={planError} />
      <Form layout="vertical" style={{ marginTop: 16 }}>
        <Form.Item label={t('config.message')}>
          <Input
            value={message}
            onChange={(e) => setMessage(e.target.value)}
            placeholder={t('config.messagePlaceholder')}
            maxLength={500}
          />
        </Form.Item>
      </Form>
      <ErrorAlert error={saveError} />
    </Modal>
  );
}
