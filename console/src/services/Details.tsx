/**
 * One app in one environment: its services as a dependency graph and a table (tracks with their
 * live weights, the rollout's step, circuit breaker, autoscaling, replicas ready/desired, restarts,
 * CPU and memory, addresses, edge routes), updated live from the status stream. Promote (one step
 * or fully) and abort appear for a service that runs two tracks.
 */
import { lazy, Suspense, useCallback, useState, type ReactNode } from 'react';
import type { ButtonProps } from 'antd';
import {
  App as AntApp,
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Empty,
  Space,
  Spin,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { VolumesCard } from '../volumes/Card';
import { api, appBase } from '../api/client';
import { useResource, useSse } from '../api/hooks';
import type {
  AppStatus,
  AutoscaleStatus,
  ErrorBody,
  Release,
  RenderedRelease,
  ReplicaStatus,
  Route,
  ServiceStatus,
} from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { HealthTag } from '../components/Tags';
import { appHealth, serviceHealth } from '../components/health';
import { formatBytes, formatPercent, formatTime } from '../components/format';
import { AutoscaleCell, CircuitTag, RolloutStep, TracksCell, rolloutOf } from './Rollout';
import { PageTitle } from '../components/PageTitle';
import { ContainerId, RunAsTag } from './RunAs';
import { reasonText } from '../components/reason';
import { Guarded } from '../components/Guarded';

const ServiceGraph = lazy(() => import('./ServiceGraph'));

const sum = (xs: (number | undefined)[]): number | undefined =>
  xs.every((x) => x === undefined) ? undefined : xs.reduce<number>((a, b) => a + (b ?? 0), 0);

/** A service's replicas: phase, process, usage, and why it is not ready or how it last ended (in the console's language). */
export function ReplicaTable({ replicas }: { replicas: ReplicaStatus[] }) {
  const { t, i18n } = useTranslation();
  return (
    <Table<ReplicaStatus>
      size="small"
      rowKey="id"
      pagination={false}
      dataSource={replicas}
      locale={{ emptyText: t('services.noReplicas') }}
      columns={[
        { title: t('services.replica'), dataIndex: 'id', render: (id: string) => <code>{id}</code> },
        {
          title: t('services.phase'),
          dataIndex: 'phase',
          render: (p: ReplicaStatus['phase']) => <Tag>{t(`phase.${p}`)}</Tag>,
        },
        { title: t('services.pid'), dataIndex: 'pid' },
        ...(replicas.some((r) => r.container)
          ? [{ title: t('services.container'), dataIndex: 'container', render: (c?: string) => <ContainerId id={c} /> }]
          : []),
        { title: t('services.port'), dataIndex: 'port' },
        { title: t('services.started'), dataIndex: 'startedAt', render: (v?: string) => formatTime(v, i18n.language) },
        { title: t('services.restarts'), dataIndex: 'restarts' },
        { title: t('services.cpu'), dataIndex: 'cpuPercent', render: (v?: number) => formatPercent(v) },
        { title: t('services.memory'), dataIndex: 'memoryBytes', render: (v?: number) => formatBytes(v) },
        {
          title: t('services.message'),
          render: (_: unknown, r: ReplicaStatus) =>
            r.message !== undefined
              ? reasonText(t, r.messageDetail, r.message)
              : r.lastExit
                ? t('services.lastExit', { reason: reasonText(t, r.lastExit.reasonMessage, r.lastExit.reason) })
                : '',
        },
      ]}
    />
  );
}

export default function ServicesDetails() {
  const { t } = useTranslation();
  const { modal, message } = AntApp.useApp();
  const { app = '', env = '' } = useParams();
  const base = appBase(app, env);
  const [status, setStatus] = useState<AppStatus | undefined>(undefined);
  const [streamError, setStreamError] = useState<ErrorBody | undefined>(undefined);
  const [actionError, setActionError] = useState<unknown>(undefined);

  const onMessage = useCallback((m: { event: string; data: string }) => {
    if (m.event === 'status') {
      setStatus(JSON.parse(m.data) as AppStatus);
      setStreamError(undefined);
    } else if (m.event === 'error') setStreamError(JSON.parse(m.data) as ErrorBody);
  }, []);
  const live = useSse(`${base}/status/stream`, onMessage);
  const rendered = useResource<RenderedRelease>(
    status?.currentRevision ? `${base}/releases/${status.currentRevision}/rendered` : null,
  );
  // the autoscaler's decisions are not part of the status stream; they change once per sync period
  const autoscale = useResource<AutoscaleStatus>(status ? `${base}/autoscale` : null, { pollMs: 5000 });
  const scaled = autoscale.data?.tracks ?? [];

  const act = (
    title: string,
    path: string,
    body: () => unknown,
    opts: { danger?: boolean; content?: ReactNode; done?: (r: Release) => string; testId?: string } = {},
  ): void => {
    modal.confirm({
      title,
      content: opts.content,
      okText: t('common.confirm'),
      cancelText: t('common.cancel'),
      okButtonProps: { danger: opts.danger ?? true, ...(opts.testId ? { 'data-testid': opts.testId } : {}) },
      onOk: async () => {
        setActionError(undefined);
        try {
          const r = await api<Release>('POST', path, body());
          void message.success(opts.done?.(r) ?? t('services.actionStarted', { revision: r.revision }));
        } catch (err) {
          setActionError(err);
        }
      },
    });
  };

  const promote = (service: string, path: string): void => {
    // a plain variable: the confirmation's content is rendered outside this component's state
    let full = false;
    const dialog = modal.confirm({
      title: t('services.confirmPromote', { service }),
      content: (
        <PromoteChoice
          onChange={(checked) => {
            full = checked;
            // the dialog's button says what it does: "Promote" or "Promote fully"
            dialog.update({ okText: t(checked ? 'services.promoteFullyOk' : 'services.promoteOk') });
          }}
        />
      ),
      okText: t('services.promoteOk'),
      cancelText: t('common.cancel'),
      okButtonProps: { 'data-testid': 'confirm-promote' } as ButtonProps,
      onOk: async () => {
        setActionError(undefined);
        try {
          const r = await api<Release>('POST', path, { full });
          void message.success(
            t(full ? 'services.promotedFully' : 'services.promoted', { service, revision: r.revision }),
          );
        } catch (err) {
          setActionError(err);
        }
      },
    });
  };

  if (!status) {
    return (
      <div data-page="services">
        <ErrorAlert error={live.error} />
        <Spin />
      </div>
    );
  }

  const routes = rendered.data?.routes ?? [];
  const routesOf = (service: string): Route[] => routes.filter((r) => r.service === service);
  const graphServices = status.services.map((s) => ({
    name: s.service,
    dependsOn: rendered.data?.services[s.service]?.dependsOn ?? [],
    status: s,
  }));

  return (
    <div data-page="services">
      <PageTitle title={t('services.title', { app, env })}>
        <HealthTag health={appHealth(status.services)} />
        <Badge
          status={live.connected ? 'processing' : 'default'}
          text={live.connected ? t('common.live') : t('common.reconnecting')}
        />
        {status.currentRevision ? (
          <Link to={`/apps/${encodeURIComponent(app)}/${encodeURIComponent(env)}/releases`}>
            {t('releases.revisionN', { revision: status.currentRevision })}
          </Link>
        ) : null}
      </PageTitle>
      {streamError ? <Alert type="warning" showIcon title={streamError.message} style={{ marginBottom: 16 }} /> : null}
      <ErrorAlert error={actionError} />
      {status.edge ? (
        <Alert
          style={{ marginBottom: 16 }}
          type={status.edge.error ? 'error' : 'info'}
          title={
            <span>
              {t('services.edge')}{' '}
              <Typography.Link href={status.edge.url} target="_blank" rel="noreferrer">
                {status.edge.url}
              </Typography.Link>
              {status.edge.error ? ` — ${reasonText(t, status.edge.errorMessage, status.edge.error)}` : ''}
            </span>
          }
        />
      ) : null}
      {status.services.length === 0 ? (
        <Card>
          <Empty description={t('services.empty')} />
        </Card>
      ) : (
        <>
          <Card title={t('services.graph')} size="small" style={{ marginBottom: 16 }}>
            <Suspense fallback={<Spin />}>
              <ServiceGraph services={graphServices} levels={rendered.data?.levels ?? []} />
            </Suspense>
          </Card>
          <VolumesCard app={app} env={env} />
          <Table<ServiceStatus>
            className="services-table"
            rowKey="service"
            scroll={{ x: 'max-content' }}
            dataSource={status.services}
            pagination={false}
            expandable={{ expandedRowRender: (s) => <ReplicaTable replicas={s.replicas} /> }}
            columns={[
              {
                title: t('services.service'),
                dataIndex: 'service',
                render: (name: string, s: ServiceStatus) => (
                  <Space size={4} data-service-name={name}>
                    <strong>{name}</strong>
                    <RunAsTag runAs={s.runAs} />
                  </Space>
                ),
              },
              {
                title: t('services.health'),
                render: (_: unknown, s: ServiceStatus) => (
                  <Space size={0} wrap>
                    <HealthTag health={serviceHealth(s)} />
                    <CircuitTag circuit={s.circuit} />
                  </Space>
                ),
              },
              {
                title: t('services.tracks'),
                render: (_: unknown, s: ServiceStatus) => (
                  <div data-tracks={s.service}>
                    <TracksCell tracks={s.tracks} traffic={s.traffic} />
                    <RolloutStep progress={rolloutOf(status.lastRelease, s.service)} />
                  </div>
                ),
              },
              ...(scaled.length > 0
                ? [
                    {
                      title: t('services.autoscale'),
                      render: (_: unknown, s: ServiceStatus) => (
                        <AutoscaleCell tracks={scaled.filter((a) => a.service === s.service)} />
                      ),
                    },
                  ]
                : []),
              {
                title: t('services.ready'),
                render: (_: unknown, s: ServiceStatus) => (
                  <span data-ready={s.service}>{`${s.readyReplicas}/${s.desiredReplicas}`}</span>
                ),
              },
              {
                title: t('services.restarts'),
                render: (_: unknown, s: ServiceStatus) => s.replicas.reduce((a, r) => a + r.restarts, 0),
              },
              {
                title: t('services.cpu'),
                render: (_: unknown, s: ServiceStatus) => formatPercent(sum(s.replicas.map((r) => r.cpuPercent))),
              },
              {
                title: t('services.memory'),
                render: (_: unknown, s: ServiceStatus) => formatBytes(sum(s.replicas.map((r) => r.memoryBytes))),
              },
              {
                title: t('services.address'),
                render: (_: unknown, s: ServiceStatus) =>
                  s.address ? (
                    <Tooltip title={s.address.error && reasonText(t, s.address.errorMessage, s.address.error)}>
                      <code style={s.address.error ? { color: '#ff4d4f' } : undefined}>{s.address.url}</code>
                    </Tooltip>
                  ) : (
                    '–'
                  ),
              },
              {
                title: t('services.routes'),
                render: (_: unknown, s: ServiceStatus) =>
                  routesOf(s.service).length === 0 ? (
                    <Typography.Text type="secondary">{t('services.noRoutes')}</Typography.Text>
                  ) : (
                    routesOf(s.service).map((r) => (
                      <Tag key={`${r.host ?? ''}${r.pathPrefix}`}>{`${r.host ?? ''}${r.pathPrefix}`}</Tag>
                    ))
                  ),
              },
              {
                title: t('common.actions'),
                // pinned: however wide the other columns get (routes, addresses, a canary's tracks),
                // Restart, Promote and Abort stay on screen; the table scrolls under them
                fixed: 'right' as const,
                render: (_: unknown, s: ServiceStatus) => {
                  const svc = `${base}/services/${encodeURIComponent(s.service)}`;
                  return (
                    <Space size={4}>
                      <Guarded need="apps:deploy" app={app} env={env}>
                        <Button
                          size="small"
                          data-testid={`restart-${s.service}`}
                          onClick={() =>
                            act(t('services.confirmRestart', { service: s.service }), `${svc}/restart`, () => ({}))
                          }
                        >
                          {t('services.restart')}
                        </Button>
                      </Guarded>
                      {s.tracks && s.tracks.length === 2 ? (
                        <>
                          <Guarded need="apps:deploy" app={app} env={env}>
                            <Button
                              size="small"
                              type="primary"
                              data-testid={`promote-${s.service}`}
                              onClick={() => promote(s.service, `${svc}/promote`)}
                            >
                              {t('services.promote')}
                            </Button>
                          </Guarded>
                          <Guarded need="apps:deploy" app={app} env={env}>
                            <Button
                              size="small"
                              danger
                              data-testid={`abort-${s.service}`}
                              onClick={() =>
                                act(t('services.confirmAbort', { service: s.service }), `${svc}/abort`, () => ({}), {
                                  testId: 'confirm-abort',
                                  done: (r) => t('services.aborted', { service: s.service, revision: r.revision }),
                                })
                              }
                            >
                              {t('services.abort')}
                            </Button>
                          </Guarded>
                        </>
                      ) : null}
                    </Space>
                  );
                },
              },
            ]}
          />
        </>
      )}
    </div>
  );
}

/** The Promote dialog's body: what a promotion does, and the "Promote fully" choice with what that does. */
function PromoteChoice({ onChange }: { onChange: (full: boolean) => void }): React.JSX.Element {
  const { t } = useTranslation();
  const [full, setFull] = useState(false);
  return (
    <div data-testid="promote-text">
      <Typography.Paragraph>{t(full ? 'services.promoteFullyHelp' : 'services.promoteStep')}</Typography.Paragraph>
      <Checkbox
        data-testid="promote-full"
        checked={full}
        onChange={(e) => {
          setFull(e.target.checked);
          onChange(e.target.checked);
        }}
      >
        {t('services.promoteFully')}
      </Checkbox>
    </div>
  );
}
