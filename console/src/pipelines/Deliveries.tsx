/**
 * The Pipelines page's Webhook deliveries tab: what each delivery to the app came to, newest first
 * (refused ones too) with a link to the run it started, and the URL to give each git host (as
 * `berth hooks url` prints it) with the header that carries the secret and how to set the secret.
 */
import { Card, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { useResource } from '../api/hooks';
import type { HookDelivery, HookDeliveryOutcome, PipelineInfo } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import type { enBuilds } from '../i18n/enBuilds';
import { WEBHOOK_SETUP, webhookPath } from '../../../src/model/webhookSetup.js';

const COLORS: Record<HookDeliveryOutcome, string> = {
  received: 'processing',
  triggered: 'success',
  ignored: 'default',
  ping: 'default',
  refused: 'error',
  replay: 'warning',
  failed: 'error',
};

/** `pipeline` is null when the app has none, undefined while it loads. */
function WebhookUrls({ app, pipeline }: { app: string; pipeline: PipelineInfo | null | undefined }) {
  const { t } = useTranslation();
  const rows = [...WEBHOOK_SETUP].map(([provider, s]) => ({ provider, ...s }));
  const secret =
    pipeline === undefined
      ? ''
      : pipeline === null
        ? t('builds.deliveries.noPipeline', { app })
        : pipeline.webhookSecret
          ? t('builds.deliveries.secretSet')
          : t('builds.deliveries.secretMissing');
  return (
    <Card size="small" title={t('builds.deliveries.urlsTitle')} data-testid="webhook-urls" style={{ marginTop: 16 }}>
      <Typography.Paragraph type="secondary">{t('builds.deliveries.urlsHint')}</Typography.Paragraph>
      <Table
        size="small"
        rowKey="provider"
        pagination={false}
        dataSource={rows}
        columns={[
          { title: t('builds.deliveries.provider'), dataIndex: 'name' },
          {
            title: t('builds.deliveries.url'),
            key: 'url',
            render: (_: unknown, r: (typeof rows)[number]) => (
              <Typography.Text code copyable data-url={r.provider}>
                {`${window.location.origin}${webhookPath(r.provider, app)}`}
              </Typography.Text>
            ),
          },
          {
            title: t('builds.deliveries.checkedBy'),
            key: 'proof',
            render: (_: unknown, r: (typeof rows)[number]) =>
              t(r.hmac ? 'builds.deliveries.proofHmac' : 'builds.deliveries.proofToken', { header: r.header }),
          },
          { title: t('builds.deliveries.events'), dataIndex: 'events' },
        ]}
      />
      <Typography.Paragraph style={{ marginTop: 12 }} data-testid="webhook-secret">
        {secret}
      </Typography.Paragraph>
      <Typography.Paragraph>{t('builds.deliveries.secretHow', { app })}</Typography.Paragraph>
    </Card>
  );
}

export default function Deliveries({ app, pipeline }: { app: string; pipeline: PipelineInfo | null | undefined }) {
  const { t } = useTranslation();
  const q = new URLSearchParams({ app, limit: '50' });
  const deliveries = useResource<HookDelivery[]>(`/api/v1/hooks/deliveries?${q.toString()}`, { pollMs: 3000 });
  const c = (k: keyof typeof enBuilds.deliveries.columns): string => t(`builds.deliveries.columns.${k}`);
  return (
    <div data-tab="deliveries">
      <Typography.Paragraph type="secondary">{t('builds.deliveries.hint', { app })}</Typography.Paragraph>
      {deliveries.error !== undefined && <ErrorAlert error={deliveries.error} />}
      {deliveries.data && (
        <div data-testid="deliveries">
          <Table<HookDelivery>
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={deliveries.data}
            locale={{ emptyText: t('builds.deliveries.none') }}
            columns={[
              { title: c('time'), dataIndex: 'receivedAt' },
              { title: c('provider'), dataIndex: 'provider' },
              { title: c('event'), dataIndex: 'event', render: (v: string | undefined) => v ?? '-' },
              { title: c('delivery'), dataIndex: 'deliveryId', render: (v: string | undefined) => v ?? '-' },
              { title: c('status'), dataIndex: 'status' },
              {
                title: c('outcome'),
                dataIndex: 'outcome',
                render: (v: HookDeliveryOutcome) => <Tag color={COLORS[v]}>{t(`builds.deliveries.outcomes.${v}`)}</Tag>,
              },
              {
                title: c('run'),
                dataIndex: 'runId',
                render: (v: string | undefined) =>
                  v === undefined ? (
                    '-'
                  ) : (
                    <Link to={{ search: `?tab=runs&run=${encodeURIComponent(v)}` }} data-testid={`run-link-${v}`}>
                      {t('builds.deliveries.runLink', { id: v })}
                    </Link>
                  ),
              },
              { title: c('ref'), dataIndex: 'ref', render: (v: string | undefined) => v ?? '-' },
              { title: c('detail'), dataIndex: 'detail', render: (v: string | undefined) => v ?? '' },
            ]}
          />
        </div>
      )}
      <WebhookUrls app={app} pipeline={pipeline} />
    </div>
  );
}
