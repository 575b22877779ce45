/** How a service runs on one machine (a process or a container) and a replica's container id. */
import { Tag, Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import type { ServiceStatus } from '../api/types';

/** `process` or `container` beside a service's name; nothing on clusters (every service runs its image). */
export function RunAsTag({ runAs }: { runAs: ServiceStatus['runAs'] }) {
  const { t } = useTranslation();
  if (runAs === undefined) return null;
  return (
    <Tooltip title={t(`services.runAsHelp.${runAs}`)}>
      <Tag color={runAs === 'container' ? 'geekblue' : undefined} data-run-as={runAs}>
        {t(`services.runAs.${runAs}`)}
      </Tag>
    </Tooltip>
  );
}

/** A replica's container id (12 hex digits), as `podman ps` and `docker ps` show it. */
export function ContainerId({ id }: { id: string | undefined }) {
  return id ? <code data-container={id}>{id.slice(0, 12)}</code> : null;
}
