/**
 * Releases of an app in an environment: history, live progress of the running one, deploy with the
 * plan shown first, rollback to any earlier good revision, and a side-by-side diff of any two revisions.
 */
import { useCallback, useEffect, useState } from 'react';
import { Alert, App as AntApp, Button, Card, Empty, Select, Space, Table, Tag, Typography } from 'antd';
import { RocketOutlined, RollbackOutlined, SendOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api, appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { Environment, Plan, Release } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { PlanView } from '../components/PlanView';
import { StatusTag } from '../components/Tags';
import { formatElapsed, formatTime } from '../components/format';
import { DeployDialog } from './DeployDialog';
import { PromoteDialog } from './PromoteDialog';
import { ReleaseProgress } from './ReleaseProgress';
import { ReleaseImages } from './Images';
import { PageTitle } from '../components/PageTitle';
import { reasonText } from '../components/reason';
import { Guarded } from '../components/Guarded';

function RevisionDiff({ app, env, releases }: { app: string; env: string; releases: Release[] }) {
  const { t } = useTranslation();
  const revisions = releases.map((r) => r.revision);
  const [from, setFrom] = useState<number | undefined>(revisions[1]);
  const [to, setTo] = useState<number | undefined>(revisions[0]);
  const diff = useResource<Plan>(from && to ? `${appBase(app, env)}/diff?from=${from}&to=${to}` : null);
  const options = revisions.map((r) => ({ value: r, label: t('releases.revisionN', { revision: r }) }));
  return (
    <Card
      size="small"
      style={{ marginTop: 16 }}
      title={t('releases.compare')}
      className="revision-diff"
      extra={
        <Space>
          <Select
            size="small"
            style={{ width: 140 }}
            value={from}
            options={options}
            onChange={setFrom}
            data-testid="rev-from"
          />
          <Typography.Text>{t('common.arrow')}</Typography.Text>
          <Select
            size="small"
            style={{ width: 140 }}
            value={to}
            options={options}
            onChange={setTo}
            data-testid="rev-to"
          />
        </Space>
      }
    >
      <ErrorAlert error={diff.error} />
      {diff.data && from && to ? (
        <PlanView
          plan={diff.data}
          leftTitle={t('releases.revisionN', { revision: from })}
          rightTitle={t('releases.revisionN', { revision: to })}
        />
      ) : null}
    </Card>
  );
}

export default function ReleasesList() {
  const { t, i18n } = useTranslation();
  const { modal } = AntApp.useApp();
  const { app = '', env = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const base = appBase(app, env);
  const releases = useResource<Release[]>(`${base}/releases?limit=100`, { pollMs: 5000 });
  const [watching, setWatching] = useState<number | undefined>(undefined);
  const [actionError, setActionError] = useState<unknown>(undefined);
  const deploying = search.get('deploy') === '1';
  const promoting = search.get('promote') === '1';
  const navigate = useNavigate();
  const environment = useResource<Environment>(`/api/v1/environments/${encodeURIComponent(env)}`);
  const guarded = environment.data?.target.protected === true;
  const list = releases.data ?? [];
  const current = list.find((r) => r.status === 'succeeded' && r.kind !== 'down');

  // Follow a release that is under way when the page opens (started elsewhere: CLI, another tab).
  const running = list.find((r) => r.status === 'running' || r.status === 'pending');
  useEffect(() => {
    if (running && watching === undefined) setWatching(running.revision);
  }, [running, watching]);

  const reload = releases.reload;
  const onFinished = useCallback(() => reload(), [reload]);

  const rollback = (to: Release): void => {
    modal.confirm({
      title: t('releases.confirmRollback', { revision: to.revision }),
      content: (
        <>
          {t('releases.rollbackHint', { revision: to.revision, configVersion: to.configVersion })}
          {guarded ? (
            <Alert type="warning" showIcon style={{ marginTop: 8 }} title={t('promote.protectedRollback', { env })} />
          ) : null}
        </>
      ),
      okText: t('releases.rollback'),
      okButtonProps: { danger: true, 'data-testid': 'confirm-rollback' },
      cancelText: t('common.cancel'),
      onOk: async () => {
        setActionError(undefined);
        try {
          // This dialog is the explicit confirmation a protected environment needs.
          const r = await api<Release>('POST', `${base}/rollback`, { toRevision: to.revision, confirmed: guarded });
          setWatching(r.revision);
          reload();
        } catch (err) {
          setActionError(err);
        }
      },
    });
  };

  return (
    <div data-page="releases">
      <PageTitle
        title={t('releases.title', { app, env })}
        actions={
          <>
            <Guarded need="apps:deploy" app={app} env={env}>
              <Button
                type="primary"
                icon={<RocketOutlined />}
                onClick={() => setSearch({ deploy: '1' })}
                disabled={list.length === 0}
                data-testid="deploy"
              >
                {t('releases.deploy')}
              </Button>
            </Guarded>
            <Button
              icon={<SendOutlined />}
              onClick={() => setSearch({ promote: '1' })}
              disabled={!current}
              data-testid="promote"
            >
              {t('promote.action')}
            </Button>
          </>
        }
      />
      <ErrorAlert error={releases.error} />
      <ErrorAlert error={actionError} />
      {watching !== undefined ? (
        <div style={{ marginBottom: 16 }}>
          <ReleaseProgress key={watching} app={app} env={env} revision={watching} onFinished={onFinished} />
        </div>
      ) : null}
      {watching !== undefined ? (
        <ReleaseImages key={`images-${watching}`} app={app} env={env} revision={watching} />
      ) : null}
      {releases.data && list.length === 0 ? (
        <Card>
          <Empty description={t('releases.empty')} />
        </Card>
      ) : (
        <Table<Release>
          className="releases-table"
          rowKey="revision"
          size="small"
          loading={releases.loading && !releases.data}
          dataSource={list}
          pagination={{ pageSize: 15, hideOnSinglePage: true }}
          columns={[
            {
              title: t('releases.revision'),
              dataIndex: 'revision',
              render: (r: number) => (
                <Space>
                  <strong>{`#${r}`}</strong>
                  {current?.revision === r ? <Tag color="green">{t('releases.current')}</Tag> : null}
                </Space>
              ),
            },
            {
              title: t('releases.kindTitle'),
              render: (_: unknown, r: Release) => (
                <Space size={4}>
                  <Tag>{t(`releases.kind.${r.kind}`)}</Tag>
                  {r.options?.promotedFrom ? (
                    <Typography.Text type="secondary" data-testid={`origin-${r.revision}`}>
                      {t('promote.from', { ...r.options.promotedFrom })}
                    </Typography.Text>
                  ) : null}
                </Space>
              ),
            },
            {
              title: t('releases.status'),
              dataIndex: 'status',
              render: (s: Release['status']) => <StatusTag status={s} />,
            },
            {
              title: t('releases.configVersion'),
              dataIndex: 'configVersion',
              render: (v: number) => t('config.versionN', { version: v }),
            },
            { title: t('common.author'), dataIndex: 'author' },
            {
              title: t('common.message'),
              render: (_: unknown, r: Release) =>
                r.message !== null
                  ? reasonText(t, r.messageDetail, r.message)
                  : r.reason === null
                    ? ''
                    : reasonText(t, r.reasonMessage, r.reason),
            },
            { title: t('common.time'), dataIndex: 'createdAt', render: (v: string) => formatTime(v, i18n.language) },
            {
              title: t('releases.duration'),
              render: (_: unknown, r: Release) => formatElapsed(r.startedAt, r.finishedAt),
            },
            {
              title: t('common.actions'),
              render: (_: unknown, r: Release) => (
                <Space>
                  <Button size="small" onClick={() => setWatching(r.revision)}>
                    {t('releases.details')}
                  </Button>
                  {r.status === 'succeeded' && r.kind !== 'down' && current?.revision !== r.revision ? (
                    <Guarded need="apps:deploy" app={app} env={env}>
                      <Button
                        size="small"
                        danger
                        icon={<RollbackOutlined />}
                        onClick={() => rollback(r)}
                        data-testid={`rollback-${r.revision}`}
                      >
                        {t('releases.rollbackTo')}
                      </Button>
                    </Guarded>
                  ) : null}
                </Space>
              ),
            },
          ]}
        />
      )}
      {list.length >= 2 ? <RevisionDiff app={app} env={env} releases={list} /> : null}
      {deploying ? (
        <DeployDialog
          app={app}
          env={env}
          onClose={() => setSearch({})}
          onDeployed={(r) => {
            setSearch({});
            setWatching(r.revision);
            reload();
          }}
        />
      ) : null}
      {promoting ? (
        <PromoteDialog
          app={app}
          env={env}
          onClose={() => setSearch({})}
          onPromoted={(r) => void navigate(`/apps/${encodeURIComponent(app)}/${encodeURIComponent(r.env)}/releases`)}
        />
      ) : null}
    </div>
  );
}
