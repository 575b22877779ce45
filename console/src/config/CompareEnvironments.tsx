/**
 * The config of an app in this environment beside another environment's (GET /api/v1/environments/{env}/config-diff):
 * plain values shown, plain files by hash and size, secrets only as differing — what a promotion shows before it runs.
 */
import { useState } from 'react';
import { Alert, Select, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useResource } from '../api/hooks';
import type { AppConfigDiff, EnvConfigDiffEntry, Environment } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';

const COLORS = { added: 'green', removed: 'red', changed: 'blue' } as const;

export function CompareEnvironments({ app, env }: { app: string; env: string }) {
  const { t } = useTranslation();
  const environments = useResource<Environment[]>('/api/v1/environments');
  const others = (environments.data ?? []).map((e) => e.name).filter((n) => n !== env);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const other = chosen ?? others[0];
  const diff = useResource<AppConfigDiff[]>(
    other === undefined
      ? null
      : `/api/v1/environments/${encodeURIComponent(env)}/config-diff?to=${encodeURIComponent(other)}&apps=${encodeURIComponent(app)}`,
  );
  const result = diff.data?.[0];
  const side = (e: EnvConfigDiffEntry, which: 'from' | 'to'): string => {
    if (e.secret) return '';
    if (e.kind === 'value') return e[which] ?? t('envCompare.missing');
    const hash = which === 'from' ? e.fromHash : e.toHash;
    const size = which === 'from' ? e.fromSize : e.toSize;
    return hash === undefined ? t('envCompare.missing') : `${hash.slice(0, 12)}… (${t('envCompare.bytes', { size })})`;
  };

  return (
    <div data-testid="env-compare">
      <Typography.Paragraph type="secondary">{t('envCompare.hint', { app, env })}</Typography.Paragraph>
      <ErrorAlert error={environments.error ?? diff.error} />
      {environments.data !== undefined && others.length === 0 ? (
        <Alert type="info" showIcon title={t('envCompare.noOther')} />
      ) : (
        <Space style={{ marginBottom: 12 }}>
          <Typography.Text>{t('envCompare.other')}</Typography.Text>
          <Select
            data-testid="env-compare-select"
            style={{ minWidth: 180 }}
            placeholder={t('envCompare.choose')}
            value={other}
            onChange={setChosen}
            options={others.map((n) => ({ value: n, label: n }))}
          />
          {result ? (
            <Typography.Text type="secondary" data-testid="env-compare-versions">
              {t('envCompare.versions', { env, other, from: result.fromVersion, to: result.toVersion })}
            </Typography.Text>
          ) : null}
        </Space>
      )}
      {result && result.entries.length === 0 ? (
        <Alert type="success" showIcon title={t('envCompare.same', { env, other })} />
      ) : null}
      {result && result.entries.length > 0 ? (
        <Table<EnvConfigDiffEntry>
          size="small"
          data-testid="env-compare-table"
          rowKey={(e) => `${e.kind}:${e.key}`}
          dataSource={result.entries}
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
                  <Tag color={COLORS[e.change]}>{t(`envCompare.changes.${e.change}`, { env, other })}</Tag>
                  {e.secret ? (
                    <Tag color="gold">
                      {e.secrecy === 'secretInFrom'
                        ? t('envCompare.secretOnly', { env })
                        : e.secrecy === 'secretInTo'
                          ? t('envCompare.secretOnly', { env: other })
                          : e.change === 'changed'
                            ? t('envCompare.secretDiffers')
                            : t('envCompare.secret')}
                    </Tag>
                  ) : null}
                </Space>
              ),
            },
            { title: env, render: (_: unknown, e: EnvConfigDiffEntry) => side(e, 'from') },
            { title: other, render: (_: unknown, e: EnvConfigDiffEntry) => side(e, 'to') },
          ]}
        />
      ) : null}
    </div>
  );
}
