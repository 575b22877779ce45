/** The active silences of an app: made here (a duration, optionally a rule and a service, a comment) and ended early. */
import { useState } from 'react';
import { Button, Card, Input, Select, Space, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import { useResource } from '../api/hooks';
import type { AlertRuleView, Silence } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatTime } from '../components/format';
import { Guarded } from '../components/Guarded';
import { useParams } from 'react-router-dom';

export function SilencesCard({ base, rules }: { base: string; rules: AlertRuleView[] }) {
  const { app, env } = useParams();
  const { t, i18n } = useTranslation();
  const silences = useResource<Silence[]>(`${base}/silences`, { pollMs: 10_000 });
  const [duration, setDuration] = useState('1h');
  const [rule, setRule] = useState<string | undefined>(undefined);
  const [service, setService] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const create = (): void => {
    setError(undefined);
    api<Silence>('POST', `${base}/silences`, {
      for: duration,
      ...(rule ? { rule } : {}),
      ...(service.trim() ? { service: service.trim() } : {}),
      ...(comment.trim() ? { comment: comment.trim() } : {}),
    })
      .then(() => {
        setComment('');
        silences.reload();
      })
      .catch(setError);
  };
  const expire = (id: number): void => {
    setError(undefined);
    api('DELETE', `${base}/silences/${id}`)
      .then(() => silences.reload())
      .catch(setError);
  };
  return (
    <Card title={t('alerts.silences')} style={{ marginBottom: 16 }}>
      <Typography.Paragraph type="secondary">{t('alerts.silenceHint')}</Typography.Paragraph>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input
          data-testid="silence-for"
          aria-label={t('alerts.duration')}
          addonBefore={t('alerts.duration')}
          placeholder={t('alerts.durationPlaceholder')}
          value={duration}
          onChange={(e) => setDuration(e.target.value)}
          style={{ width: 180 }}
        />
        <Select<string>
          data-testid="silence-rule"
          aria-label={t('alerts.rule')}
          allowClear
          placeholder={t('alerts.allRules')}
          value={rule}
          onChange={(v) => setRule(v)}
          options={rules.map((r) => ({ value: r.name, label: r.name }))}
          style={{ minWidth: 180 }}
        />
        <Input
          data-testid="silence-service"
          aria-label={t('alerts.service')}
          placeholder={t('alerts.allServices')}
          value={service}
          onChange={(e) => setService(e.target.value)}
          style={{ width: 160 }}
        />
        <Input
          data-testid="silence-comment"
          aria-label={t('alerts.comment')}
          placeholder={t('alerts.comment')}
          value={comment}
          onChange={(e) => setComment(e.target.value)}
          style={{ width: 220 }}
        />
        <Guarded need="alerts:write" app={app} env={env}>
          <Button type="primary" data-testid="create-silence" onClick={create}>
            {t('alerts.create')}
          </Button>
        </Guarded>
      </Space>
      {error !== undefined && <ErrorAlert error={error} />}
      {silences.error !== undefined && <ErrorAlert error={silences.error} />}
      <Table<Silence>
        data-testid="silences-table"
        size="small"
        pagination={false}
        rowKey="id"
        dataSource={silences.data ?? []}
        locale={{ emptyText: t('alerts.noSilences') }}
        onRow={(s) => ({ 'data-silence': s.id }) as object}
        columns={[
          { title: t('alerts.rule'), dataIndex: 'rule', render: (r?: string) => r ?? t('alerts.allRules') },
          { title: t('alerts.service'), dataIndex: 'service', render: (s?: string) => s ?? t('alerts.allServices') },
          { title: t('alerts.until'), dataIndex: 'endsAt', render: (v: string) => formatTime(v, i18n.language) },
          { title: t('alerts.by'), dataIndex: 'createdBy' },
          { title: t('alerts.comment'), dataIndex: 'comment' },
          {
            title: '',
            key: 'expire',
            render: (_: unknown, s: Silence) => (
              <Guarded need="alerts:write" app={app} env={env}>
                <Button size="small" danger data-testid={`expire-${s.id}`} onClick={() => expire(s.id)}>
                  {t('alerts.expire')}
                </Button>
              </Guarded>
            ),
          },
        ]}
      />
    </Card>
  );
}
