/**
 * The rules of an app with their channels, and a rules file pasted and checked before it is
 * applied: the problems, each with its line and field, or the rules it would write.
 */
import { useState } from 'react';
import { Button, Card, Input, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Resource } from '../api/hooks';
import type { AlertRulePreview, AlertRuleView, RulesFileResult } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { formatValue } from './format';
import { Guarded } from '../components/Guarded';
import { useParams } from 'react-router-dom';

const SEVERITY_COLORS: Record<AlertRuleView['severity'], string> = { critical: 'red', warning: 'orange', info: 'blue' };

function RulesTable({ rules, testId }: { rules: AlertRulePreview[]; testId: string }) {
  const { t } = useTranslation();
  return (
    <Table<AlertRulePreview>
      data-testid={testId}
      size="small"
      pagination={false}
      rowKey="name"
      dataSource={rules}
      locale={{ emptyText: t('alerts.noRules') }}
      columns={[
        { title: t('alerts.rule'), dataIndex: 'name' },
        {
          title: t('alerts.metric'),
          dataIndex: 'metric',
          render: (m: AlertRuleView['metric']) => t(`alerts.metrics.${m}`),
        },
        { title: t('alerts.service'), dataIndex: 'service', render: (s?: string) => s ?? t('alerts.allServices') },
        { title: t('alerts.threshold'), dataIndex: 'threshold', render: (v?: number) => formatValue(v) },
        { title: t('alerts.for'), dataIndex: 'for' },
        {
          title: t('alerts.severity'),
          dataIndex: 'severity',
          render: (s: AlertRuleView['severity']) => <Tag color={SEVERITY_COLORS[s]}>{t(`alerts.severities.${s}`)}</Tag>,
        },
        {
          title: t('alerts.channels'),
          dataIndex: 'notify',
          render: (n: AlertRuleView['notify']) => (
            <Space direction="vertical" size={0}>
              {n.map((c, i) => (
                <Typography.Text key={i} code>
                  {c.type} {c.url}
                </Typography.Text>
              ))}
            </Space>
          ),
        },
      ]}
    />
  );
}

export function RulesCard({ base, rules }: { base: string; rules: Resource<AlertRuleView[]> }) {
  const { t } = useTranslation();
  const { app, env } = useParams();
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(undefined);
  const [result, setResult] = useState<RulesFileResult | undefined>(undefined);
  const send = (dryRun: boolean): void => {
    setError(undefined);
    setResult(undefined);
    api<RulesFileResult>('POST', `${base}/rules-file`, { file: text, dryRun })
      .then((r) => {
        setResult(r);
        if (r.applied) rules.reload();
      })
      .catch(setError);
  };
  return (
    <Card title={t('alerts.rules')} style={{ marginBottom: 16 }}>
      {rules.error !== undefined && <ErrorAlert error={rules.error} />}
      <RulesTable rules={rules.data ?? []} testId="rules-table" />
      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('alerts.applyFile')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('alerts.applyHint')}</Typography.Paragraph>
      <Input.TextArea
        data-testid="rules-file"
        aria-label={t('alerts.fileText')}
        placeholder={t('alerts.fileText')}
        value={text}
        onChange={(e) => setText(e.target.value)}
        autoSize={{ minRows: 4, maxRows: 16 }}
        style={{ fontFamily: 'monospace', marginBottom: 8 }}
      />
      <Space style={{ marginBottom: 8 }}>
        <Guarded need="alerts:write" app={app} env={env}>
          <Button data-testid="check-rules" disabled={text.trim() === ''} onClick={() => send(true)}>
            {t('alerts.check')}
          </Button>
        </Guarded>
        <Guarded need="alerts:write" app={app} env={env}>
          <Button type="primary" data-testid="apply-rules" disabled={text.trim() === ''} onClick={() => send(false)}>
            {t('alerts.apply')}
          </Button>
        </Guarded>
      </Space>
      <div data-testid="rules-problems" data-server-text lang="en">
        {error !== undefined && <ErrorAlert error={error} />}
      </div>
      {result && (
        <div data-testid="rules-preview">
          <Typography.Paragraph>
            {result.applied
              ? t('alerts.applied', { count: result.rules.length })
              : t('alerts.ready', { count: result.rules.length })}
          </Typography.Paragraph>
          {!result.applied && <RulesTable rules={result.rules} testId="rules-preview-table" />}
        </div>
      )}
    </Card>
  );
}
