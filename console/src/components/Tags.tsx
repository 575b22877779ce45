/** Coloured tags for health, release status and plan actions, with translated labels. */
import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import type { ReleaseStatus, ServicePlan, StepStatus } from '../api/types';
import { healthColor, type Health } from './health';

export function HealthTag({ health }: { health: Health }) {
  const { t } = useTranslation();
  return (
    <Tag color={healthColor[health]} data-health={health}>
      {t(`health.${health}`)}
    </Tag>
  );
}

const statusColor: Record<StepStatus, string> = {
  pending: 'default',
  running: 'processing',
  succeeded: 'success',
  failed: 'error',
  skipped: 'default',
};

export function StatusTag({ status }: { status: ReleaseStatus | StepStatus }) {
  const { t } = useTranslation();
  return (
    <Tag color={statusColor[status]} data-status={status}>
      {t(`status.${status}`)}
    </Tag>
  );
}

const actionColor: Record<ServicePlan['action'], string> = {
  create: 'green',
  update: 'blue',
  scale: 'cyan',
  remove: 'red',
  unchanged: 'default',
};

export function ActionTag({ action }: { action: ServicePlan['action'] }) {
  const { t } = useTranslation();
  return <Tag color={actionColor[action]}>{t(`plan.action.${action}`)}</Tag>;
}
