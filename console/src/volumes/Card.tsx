/**
 * The app's volumes in an environment on its services page: each one's use beside its requested
 * size, the services mounting it and its directory (what `berth volume ls APP` prints). Nothing is
 * shown for an app without volumes (or when they cannot be read).
 */
import { Card, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useResource } from '../api/hooks';
import type { VolumeStatus } from '../api/types';
import { formatBytes } from '../components/format';

export function VolumesCard({ app, env }: { app: string; env: string }) {
  const { t } = useTranslation();
  const query = new URLSearchParams({ app, env }).toString();
  const volumes = useResource<VolumeStatus[]>(`/api/v1/volumes?${query}`, { pollMs: 10_000 });
  // The page's own status shows what is wrong with the app; a failed read of its volumes only hides them.
  if (volumes.error !== undefined || !volumes.data?.length) return null;
  return (
    <Card className="volumes-card" title={t('volumes.title')} size="small" style={{ marginBottom: 16 }}>
      <Typography.Paragraph type="secondary">{t('volumes.kept')}</Typography.Paragraph>
      <Table<VolumeStatus>
        rowKey="name"
        size="small"
        pagination={false}
        dataSource={volumes.data}
        columns={[
          { title: t('volumes.volume'), dataIndex: 'name' },
          { title: t('volumes.used'), render: (_, v) => formatBytes(v.usedBytes) },
          { title: t('volumes.size'), render: (_, v) => formatBytes(v.sizeBytes) },
          { title: t('volumes.services'), render: (_, v) => v.services.join(', ') || '–' },
          { title: t('volumes.path'), render: (_, v) => <Typography.Text code>{v.path}</Typography.Text> },
        ]}
      />
    </Card>
  );
}
