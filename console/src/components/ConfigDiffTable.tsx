/**
 * The config difference of an app between two environments, one row per key: plain values shown,
 * files by hash and size, secrets only as differing (never a value). Shown by Config → Compare
 * environments and by the Promote dialog, from the same EnvConfigDiffEntry rows.
 */
import { Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { EnvConfigDiffEntry } from '../api/types';

const COLORS = { added: 'green', removed: 'red', changed: 'blue' } as const;

export function ConfigDiffTable({
  entries,
  from,
  to,
  testId,
}: {
  entries: EnvConfigDiffEntry[];
  /** The environments compared: `from`'s side first. */
  from: string;
  to: string;
  testId?: string;
}) {
  const { t } = useTranslation();
  const side = (e: EnvConfigDiffEntry, which: 'from' | 'to'): string => {
    if (e.secret) return '';
    if (e.kind === 'value') return e[which] ?? t('envCompare.missing');
    const hash = which === 'from' ? e.fromHash : e.toHash;
    const size = which === 'from' ? e.fromSize : e.toSize;
    return hash === undefined ? t('envCompare.missing') : `${hash.slice(0, 12)}… (${t('envCompare.bytes', { size })})`;
  };
  const secrecy = (e: EnvConfigDiffEntry): string =>
    e.secrecy === 'secretInFrom'
      ? t('envCompare.secretOnly', { env: from })
      : e.secrecy === 'secretInTo'
        ? t('envCompare.secretOnly', { env: to })
        : e.change === 'changed'
          ? t('envCompare.secretDiffers')
          : t('envCompare.secret');
  return (
    <Table<EnvConfigDiffEntry>
      size="small"
      {...(testId ? { 'data-testid': testId } : {})}
      rowKey={(e) => `${e.kind}:${e.key}`}
      dataSource={entries}
      pagination={false}
      onRow={(e) => ({ 'data-key': `${e.kind}:${e.key}` }) as React.HTMLAttributes<HTMLElement>}
      columns={[
        {
          title: t('envCompare.key'),
          render: (_: unknown, e: EnvConfigDiffEntry) => (
            <Space size={4}>
              {e.kind === 'file' ? <Tag>{t('envCompare.file')}</Tag> : null}
              <Typography.Text code>{e.key}</Typography.Text>
            </Space>
          ),
        },
        {
          title: t('envCompare.change'),
          render: (_: unknown, e: EnvConfigDiffEntry) => (
            <Space size={4}>
              <Tag color={COLORS[e.change]}>{t(`envCompare.changes.${e.change}`, { env: from, other: to })}</Tag>
              {e.secret ? <Tag color="gold">{secrecy(e)}</Tag> : null}
            </Space>
          ),
        },
        { title: from, render: (_: unknown, e: EnvConfigDiffEntry) => side(e, 'from') },
        { title: to, render: (_: unknown, e: EnvConfigDiffEntry) => side(e, 'to') },
      ]}
    />
  );
}
