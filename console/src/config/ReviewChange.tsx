/**
 * Before a config change is saved: the values side by side (secrets masked) and its impact — which
 * services the change will restart when it is deployed, and why — computed by the control plane's
 * plan against the current config plus the change (nothing is written until Save; a stale base
 * version is refused there already).
 */
import { useEffect, useState } from 'react';
import { Alert, Form, Input, Modal, Spin, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, api, appBase } from '../api/client';
import { MASK, type ConfigVersionInfo, type ConfigView, type PlanResult, type ServicePlan } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { SideBySide } from '../components/SideBySide';

/** Who the console says made a change (the token identifies the caller; this names the tool). */
export const AUTHOR = 'console';

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
  const { t } = useTranslation();
  const [plan, setPlan] = useState<PlanResult | undefined>(undefined);
  const [planError, setPlanError] = useState<unknown>(undefined);
  const [saveError, setSaveError] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState('');

  useEffect(() => {
    const abort = new AbortController();
    const config = { baseVersion: view.version, set: change.set, unset: change.unset };
    api<PlanResult>('POST', '/api/v1/plans', { app, env, config }, abort.signal).then(
      setPlan,
      (err: unknown) => !abort.signal.aborted && setPlanError(err),
    );
    return () => abort.abort();
  }, [app, env, change, view.version]);

  const save = async (): Promise<void> => {
    setSaving(true);
    setSaveError(undefined);
    try {
      const v = await api<ConfigVersionInfo>('PATCH', `${appBase(app, env)}/config`, {
        baseVersion: view.version,
        set: change.set,
        unset: change.unset,
        author: AUTHOR,
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
  const restarting = plan?.plan.services.filter((s) => s.restart) ?? [];
  const noRelease = planError instanceof ApiError && planError.status === 404;

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
      okButtonProps={{ 'data-testid': 'save-config' }}
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
      <div data-testid="impact">
        {noRelease ? (
          <Alert type="info" showIcon title={t('config.impactNoRelease')} />
        ) : planError ? (
          <ErrorAlert error={planError} />
        ) : !plan ? (
          <Spin />
        ) : restarting.length === 0 ? (
          <Alert type="success" showIcon title={t('config.impactNone')} />
        ) : (
          <>
            <Alert
              type="warning"
              showIcon
              style={{ marginBottom: 8 }}
              title={t('config.impactRestarts', {
                count: restarting.length,
                services: restarting.map((s) => s.service).join(', '),
              })}
            />
            <Table<ServicePlan>
              size="small"
              pagination={false}
              rowKey="service"
              dataSource={restarting}
              columns={[
                {
                  title: t('plan.service'),
                  dataIndex: 'service',
                  render: (s: string) => <strong data-restarts={s}>{s}</strong>,
                },
                {
                  title: t('plan.restart'),
                  render: (_: unknown, s: ServicePlan) =>
                    s.restart ? <Tag color="orange">{t('plan.restarts')}</Tag> : <Tag>{t('plan.noRestart')}</Tag>,
                },
                {
                  title: t('config.why'),
                  render: (_: unknown, s: ServicePlan) =>
                    s.changes.map((c) => (
                      <div key={c.path}>
                        <code>{c.path}</code>{' '}
                        <Typography.Text type="secondary">{`(${c.because.join(', ')})`}</Typography.Text>
                      </div>
                    )),
                },
              ]}
            />
          </>
        )}
      </div>
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
