/**
 * The config of an app in this environment beside another environment's (GET /api/v1/environments/{env}/config-diff):
 * plain values shown, plain files by hash and size, secrets only as differing — what a promotion shows before it runs.
 */
import { useState } from 'react';
import { Alert, Select, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useResource } from '../api/hooks';
import type { AppConfigDiff, Environment } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { ConfigDiffTable } from '../components/ConfigDiffTable';

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
        <ConfigDiffTable entries={result.entries} from={env} to={other ?? ''} testId="env-compare-table" />
      ) : null}
    </div>
  );
}
