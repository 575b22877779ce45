/** Config versions, newest first, and a side-by-side diff of any two (secrets masked by the server). */
import { useEffect, useState } from 'react';
import { Card, Select, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { appBase } from '../api/client';
import { useResource } from '../api/hooks';
import type { ConfigDiffEntry, ConfigVersionInfo } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { SideBySide } from '../components/SideBySide';
import { formatTime } from '../components/format';

export function Versions({ app, env, latest }: { app: string; env: string; latest: number }) {
  const { t, i18n } = useTranslation();
  const base = appBase(app, env);
  const history = useResource<ConfigVersionInfo[]>(`${base}/config/history`);
  const reloadHistory = history.reload;
  const [from, setFrom] = useState(Math.max(0, latest - 1));
  const [to, setTo] = useState(latest);
  useEffect(() => {
    setFrom(Math.max(0, latest - 1));
    setTo(latest);
    reloadHistory();
  }, [latest, reloadHistory]);
  const diff = useResource<ConfigDiffEntry[]>(latest > 0 ? `${base}/config/diff?from=${from}&to=${to}` : null);
  const versions = [0, ...(history.data ?? []).map((v) => v.version)]
    .filter((v, i, a) => a.indexOf(v) === i)
    .sort((a, b) => b - a);
  const options = versions.map((v) => ({
    value: v,
    label: v === 0 ? t('config.emptyVersion') : t('config.versionN', { version: v }),
  }));

  return (
    <div className="config-versions">
      <ErrorAlert error={history.error} />
      <Table<ConfigVersionInfo>
        size="small"
        rowKey="version"
        loading={history.loading && !history.data}
        dataSource={history.data ?? []}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: t('config.noVersions') }}
        columns={[
          {
            title: t('config.version'),
            dataIndex: 'version',
            render: (v: number) => t('config.versionN', { version: v }),
          },
          { title: t('common.author'), dataIndex: 'author' },
          { title: t('common.message'), dataIndex: 'message' },
          {
            title: t('common.time'),
            dataIndex: 'createdAt',
            render: (v: string | null) => formatTime(v, i18n.language),
          },
          {
            title: t('config.summary'),
            render: (_: unknown, v: ConfigVersionInfo) => (
              <Space size={4} wrap>
                {v.summary.added.map((k) => (
                  <Tag key={`a${k}`} color="green">{`+${k}`}</Tag>
                ))}
                {v.summary.changed.map((k) => (
                  <Tag key={`c${k}`} color="blue">{`~${k}`}</Tag>
                ))}
                {v.summary.removed.map((k) => (
                  <Tag key={`r${k}`} color="red">{`-${k}`}</Tag>
                ))}
              </Space>
            ),
          },
        ]}
      />
      {latest > 0 ? (
        <Card
          size="small"
          style={{ marginTop: 16 }}
          title={t('config.compare')}
          extra={
            <Space>
              <Select
                size="small"
                style={{ width: 150 }}
                value={from}
                options={options}
                onChange={setFrom}
                data-testid="diff-from"
              />
              <Typography.Text>{t('common.arrow')}</Typography.Text>
              <Select
                size="small"
                style={{ width: 150 }}
                value={to}
                options={options}
                onChange={setTo}
                data-testid="diff-to"
              />
            </Space>
          }
        >
          <ErrorAlert error={diff.error} />
          <SideBySide
            leftTitle={from === 0 ? t('config.emptyVersion') : t('config.versionN', { version: from })}
            rightTitle={to === 0 ? t('config.emptyVersion') : t('config.versionN', { version: to })}
            rows={(diff.data ?? []).map((d) => ({
              key: d.kind === 'file' ? `${t('config.fileKey')} ${d.key}` : d.key,
              ...(d.from === undefined ? {} : { left: d.from }),
              ...(d.to === undefined ? {} : { right: d.to }),
              notes: [t(`config.${d.change}`), ...(d.secret ? [t('config.secretTag')] : [])],
            }))}
          />
        </Card>
      ) : null}
    </div>
  );
}
