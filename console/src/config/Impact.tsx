/**
 * The impact of a config change before it is saved: which services it will restart when deployed,
 * and why, from the control plane's plan against the current config plus the change (nothing is
 * written). Used for values and for files.
 */
import { useEffect, useState } from 'react';
import { Alert, Spin, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../api/client';
import type { PlanResult, ServicePlan } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';

/** A config change in the form PATCH …/config and the plan's `config` take. */
export interface ConfigChangeBody {
  baseVersion: number;
  set?: Record<string, { value: string; secret?: boolean }>;
  unset?: string[];
  files?: Record<string, string | null>;
  secretFiles?: Record<string, string>;
}

/** The plan of `change` (undefined: nothing to preview yet), refreshed `delayMs` after it last changed. */
export function usePlanOf(
  app: string,
  env: string,
  change: ConfigChangeBody | undefined,
  delayMs = 0,
): { plan: PlanResult | undefined; error: unknown } {
  const [plan, setPlan] = useState<PlanResult | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const key = JSON.stringify(change ?? null);
  useEffect(() => {
    setPlan(undefined);
    setError(undefined);
    if (!change) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api<PlanResult>('POST', '/api/v1/plans', { app, env, config: change }, abort.signal).then(
        setPlan,
        (err: unknown) => !abort.signal.aborted && setError(err),
      );
    }, delayMs);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
    // `key` stands for `change`: a new object with the same content is the same preview.
  }, [app, env, key, delayMs]);
  return { plan, error };
}

/** Which services restart, and why; an app never deployed has no impact to show. */
export function Impact({ plan, error }: { plan: PlanResult | undefined; error: unknown }) {
  const { t } = useTranslation();
  const restarting = plan?.plan.services.filter((s) => s.restart) ?? [];
  const noRelease = error instanceof ApiError && error.status === 404;
  return (
    <div data-testid="impact">
      {noRelease ? (
        <Alert type="info" showIcon title={t('config.impactNoRelease')} />
      ) : error ? (
        <ErrorAlert error={error} />
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
  );
}
