/**
 * An environment's containers mode on this machine (auto / always / never): shown and changed in the
 * environments table (PATCH /api/v1/environments/:name `{ containers }`). Environments made before the
 * mode existed have none, which is `auto`.
 */
import { useState } from 'react';
import { App as AntApp, Select, Tag, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api/client';
import type { Environment } from '../api/types';
import { Guarded } from '../components/Guarded';

export const CONTAINERS_MODES = ['auto', 'always', 'never'] as const;
export type ContainersMode = (typeof CONTAINERS_MODES)[number];

/** The mode of an environment on this machine; undefined on Kubernetes (every service runs its image). */
export function containersMode(e: Environment): ContainersMode | undefined {
  if (e.target.kind !== 'local') return undefined;
  const m = (e.target as { containers?: unknown }).containers;
  return m === 'always' || m === 'never' ? m : 'auto';
}

/** The options of a mode select, translated. */
export function useModeOptions(): { value: ContainersMode; label: string }[] {
  const { t } = useTranslation();
  return CONTAINERS_MODES.map((m) => ({ value: m, label: t(`environments.containersMode.${m}`) }));
}

/** The mode of `env` as a select that changes it, or a tag for a cluster. */
export function ContainersCell({
  env,
  onChanged,
  onError,
}: {
  env: Environment;
  onChanged: () => void;
  onError: (err: unknown) => void;
}) {
  const { t } = useTranslation();
  const { message } = AntApp.useApp();
  const options = useModeOptions();
  const [busy, setBusy] = useState(false);
  const mode = containersMode(env);
  if (mode === undefined) return <Tag>{t('environments.containersClusters')}</Tag>;
  const change = async (next: ContainersMode): Promise<void> => {
    setBusy(true);
    try {
      await api('PATCH', `/api/v1/environments/${encodeURIComponent(env.name)}`, { containers: next });
      void message.success(
        t('environments.containersChanged', { env: env.name, mode: t(`environments.containersMode.${next}`) }),
      );
      onChanged();
    } catch (err) {
      onError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Tooltip title={t('environments.containersHelp')} placement="left">
      <Guarded need="environments:write" env={env.name}>
        <Select<ContainersMode>
          size="small"
          style={{ width: 110 }}
          value={mode}
          loading={busy}
          disabled={busy}
          options={options}
          onChange={(v) => void change(v)}
          data-testid={`containers-${env.name}`}
        />
      </Guarded>
    </Tooltip>
  );
}
