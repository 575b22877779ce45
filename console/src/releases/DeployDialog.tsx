/**
 * Deploy: the plan first (what changes in which service and why, computed from the app's last spec
 * and the current config), then a confirmed deploy of exactly that.
 */
import { useEffect, useState } from 'react';
import { Alert, Checkbox, Form, Input, Modal, Spin, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Environment, PlanResult, Release } from '../api/types';
import { useResource } from '../api/hooks';
import { ErrorAlert } from '../components/ErrorAlert';
import { PlanView } from '../components/PlanView';
import { useAccess } from '../auth/useAccess';

export function DeployDialog({
  app,
  env,
  onClose,
  onDeployed,
}: {
  app: string;
  env: string;
  onClose: () => void;
  onDeployed: (r: Release) => void;
}) {
  const { t } = useTranslation();
  const [plan, setPlan] = useState<PlanResult | undefined>(undefined);
  const [planError, setPlanError] = useState<unknown>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  // A protected environment needs the confirmation box ticked (the API refuses it with 403 otherwise).
  const environment = useResource<Environment>(`/api/v1/environments/${encodeURIComponent(env)}`);
  const guarded = environment.data?.target.protected === true;
  const [confirmed, setConfirmed] = useState(false);
  const denied = useAccess().disabledReason('apps:deploy', { app, env });

  useEffect(() => {
    const abort = new AbortController();
    api<PlanResult>('POST', '/api/v1/plans', { app, env }, abort.signal).then(
      setPlan,
      (err: unknown) => !abort.signal.aborted && setPlanError(err),
    );
    return () => abort.abort();
  }, [app, env]);

  const deploy = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      // The release is made from what the plan shown was made from: the app's last spec and the
      // plan's config version (a config saved meanwhile would otherwise deploy unplanned changes),
      // as `berth plan` then `berth deploy --config-version N` would.
      const r = await api<Release>('POST', '/api/v1/releases', {
        app,
        env,
        ...(plan ? { configVersion: plan.plan.toConfigVersion } : {}),
        ...(message.trim() ? { message: message.trim() } : {}),
        confirmed: guarded && confirmed,
      });
      onDeployed(r);
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
      title={t('releases.deployTitle', { app, env })}
      okText={t('releases.deploy')}
      cancelText={t('common.cancel')}
      okButtonProps={{
        disabled: !plan || (guarded && !confirmed) || denied !== undefined,
        'data-testid': 'confirm-deploy',
      }}
      confirmLoading={busy}
      onOk={() => void deploy()}
      onCancel={onClose}
    >
      <Typography.Paragraph type="secondary">{t('releases.deployHint')}</Typography.Paragraph>
      {denied !== undefined ? (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={denied} data-testid="deploy-denied" />
      ) : null}
      {guarded ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 12 }}
          title={t('promote.protectedDeploy', { env })}
          description={
            <Checkbox checked={confirmed} onChange={(e) => setConfirmed(e.target.checked)} data-testid="deploy-confirm">
              {t('promote.confirmDeploy', { env })}
            </Checkbox>
          }
        />
      ) : null}
      <ErrorAlert error={planError} />
      {!plan && !planError ? <Spin /> : null}
      {plan ? (
        <>
          <Typography.Paragraph>
            {plan.current
              ? t('releases.planFrom', {
                  revision: plan.current.revision,
                  from: plan.plan.fromConfigVersion ?? 0,
                  to: plan.plan.toConfigVersion,
                })
              : t('releases.planFirst', { to: plan.plan.toConfigVersion })}
          </Typography.Paragraph>
          <div data-testid="deploy-plan">
            <PlanView plan={plan.plan} />
          </div>
          {!plan.plan.changed ? (
            <Alert type="info" style={{ marginTop: 8 }} showIcon title={t('releases.deployUnchanged')} />
          ) : null}
        </>
      ) : null}
      <Form layout="vertical" style={{ marginTop: 16 }}>
        <Form.Item label={t('releases.message')}>
          <Input value={message} onChange={(e) => setMessage(e.target.value)} maxLength={500} />
        </Form.Item>
      </Form>
      <ErrorAlert error={error} />
    </Modal>
  );
}
