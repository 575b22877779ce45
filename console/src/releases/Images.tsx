/**
 * The images a revision runs: per service its image and the digest the revision pinned at deploy
 * (Workload.imageDigest): the registry digest, or a locally built image's id. A rollback runs it again.
 */
import { Card, Table, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { RenderedRelease } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { RunAsTag } from '../services/RunAs';

interface ImageRow {
  service: string;
  image: string;
  digest?: string;
  runAs?: 'container';
}

/** The rows of a rendered release: services with an image, by name. */
export function imageRows(rendered: RenderedRelease | undefined): ImageRow[] {
  if (!rendered) return [];
  return Object.entries(rendered.services)
    .filter(([, s]) => s.workload.image !== undefined)
    .map(([service, s]) => ({
      service,
      image: s.workload.image!,
      ...(s.workload.imageDigest ? { digest: s.workload.imageDigest } : {}),
      ...(s.workload.runAs ? { runAs: s.workload.runAs } : {}),
    }))
    .sort((a, b) => a.service.localeCompare(b.service));
}

export function ReleaseImages({ app, env, revision }: { app: string; env: string; revision: number }) {
  const { t } = useTranslation();
  const rendered = useResource<RenderedRelease>(`${appBase(app, env)}/releases/${revision}/rendered`);
  const rows = imageRows(rendered.data);
  if (!rendered.error && rows.length === 0) return null;
  return (
    <Card
      size="small"
      className="release-images"
      title={t('releases.images', { revision })}
      style={{ marginBottom: 16 }}
    >
      <ErrorAlert error={rendered.error} />
      <Table<ImageRow>
        size="small"
        rowKey="service"
        pagination={false}
        dataSource={rows}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('services.service'), dataIndex: 'service', render: (s: string) => <strong>{s}</strong> },
          { title: t('releases.image'), dataIndex: 'image', render: (i: string) => <code>{i}</code> },
          {
            title: <Tooltip title={t('releases.digestHelp')}>{t('releases.digest')}</Tooltip>,
            render: (_: unknown, r: ImageRow) =>
              r.digest ? (
                <Typography.Text code copyable={{ text: r.digest }} data-digest={r.service}>
                  {r.digest}
                </Typography.Text>
              ) : (
                <Typography.Text type="secondary">{t('releases.noDigest')}</Typography.Text>
              ),
          },
          { title: '', render: (_: unknown, r: ImageRow) => <RunAsTag runAs={r.runAs} /> },
        ]}
      />
    </Card>
  );
}
