/**
 * The overview: every app in every environment with its health at a glance, how many services it
 * has and how many are healthy, its last release and that release's state, and its edge address.
 */
import { Card, Col, Empty, Row, Space, Spin, Statistic, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useResource } from '../api/hooks';
import { appBase } from '../api/client';
import type { AppStatus, AppSummary } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { HealthTag, StatusTag } from '../components/Tags';
import { appHealth, serviceHealth } from '../components/health';
import { formatAgo } from '../components/format';
import { PageTitle } from '../components/PageTitle';

function AppCard({ summary }: { summary: AppSummary }) {
  const { t, i18n } = useTranslation();
  const status = useResource<AppStatus>(`${appBase(summary.app, summary.env)}/status`, { pollMs: 5000 });
  const services = status.data?.services;
  const healthy = services?.filter((s) => serviceHealth(s) === 'healthy').length ?? 0;
  const last = summary.lastRelease;
  const to = `/apps/${encodeURIComponent(summary.app)}/${encodeURIComponent(summary.env)}`;
  return (
    <Card
      className="app-card"
      data-app={`${summary.app}/${summary.env}`}
      title={
        <Space>
          <Link to={`${to}/services`}>{summary.app}</Link>
          <Tag>{summary.env}</Tag>
        </Space>
      }
      extra={
        summary.down ? (
          <HealthTag health="stopped" />
        ) : (
          <HealthTag health={status.error ? 'unknown' : appHealth(services)} />
        )
      }
    >
      {status.error ? <ErrorAlert error={status.error} /> : null}
      <Row gutter={16}>
        <Col span={12}>
          <Statistic title={t('overview.services')} value={services?.length ?? '–'} />
        </Col>
        <Col span={12}>
          <Statistic title={t('overview.healthy')} value={services ? `${healthy}/${services.length}` : '–'} />
        </Col>
      </Row>
      <div style={{ marginTop: 16 }}>
        <Typography.Text type="secondary">{t('overview.lastRelease')} </Typography.Text>
        {last ? (
          <Space wrap>
            <Link to={`${to}/releases`}>{t('releases.revisionN', { revision: last.revision })}</Link>
            <Tag>{t(`releases.kind.${last.kind}`)}</Tag>
            <StatusTag status={last.status} />
            <Typography.Text type="secondary">{formatAgo(last.createdAt, i18n.language)}</Typography.Text>
          </Space>
        ) : (
          <Typography.Text type="secondary">{t('overview.noRelease')}</Typography.Text>
        )}
      </div>
      {status.data?.edge ? (
        <div style={{ marginTop: 8 }}>
          <Typography.Text type="secondary">{t('overview.edge')} </Typography.Text>
          <Typography.Link href={status.data.edge.url} target="_blank" rel="noreferrer">
            {status.data.edge.url}
          </Typography.Link>
        </div>
      ) : null}
    </Card>
  );
}

export function AppsList() {
  const { t } = useTranslation();
  const apps = useResource<AppSummary[]>('/api/v1/apps', { pollMs: 5000 });
  return (
    <div data-page="overview">
      <PageTitle title={t('overview.title')} />
      <ErrorAlert error={apps.error} />
      {apps.data === undefined && apps.loading ? <Spin /> : null}
      {apps.data && apps.data.length === 0 ? (
        <Card>
          <Empty description={t('overview.empty')}>
            <Typography.Paragraph>
              <code>{t('overview.emptyCommand')}</code>
            </Typography.Paragraph>
          </Empty>
        </Card>
      ) : null}
      <Row gutter={[16, 16]}>
        {(apps.data ?? []).map((a) => (
          <Col key={`${a.app}/${a.env}`} xs={24} md={12} xl={8}>
            <AppCard summary={a} />
          </Col>
        ))}
      </Row>
    </div>
  );
}
