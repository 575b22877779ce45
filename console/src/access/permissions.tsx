/**
 * What the signed-in caller may do on the control plane as a whole (`GET /api/v1/me` and the one
 * matching rule of src/model/access.ts): actions it may not take are disabled, saying which permission
 * they need.
 */
import type { ReactElement } from 'react';
import { Tooltip } from 'antd';
import { useTranslation } from 'react-i18next';
import { allows, type Permission } from '../../../src/model/access.js';
import type { MeView } from '../api/types';

/** Whether `me` holds `permission` on the control plane as a whole. */
export const mayGlobally = (me: MeView | undefined, permission: Permission): boolean =>
  me !== undefined && allows(me.grants, permission, {});

/** `child` (a button) disabled with the reason when `me` lacks `permission`. */
export function Needs({
  me,
  permission,
  children,
}: {
  me: MeView | undefined;
  permission: Permission;
  children: (disabled: boolean) => ReactElement;
}) {
  const { t } = useTranslation();
  const ok = mayGlobally(me, permission);
  if (ok) return children(false);
  return (
    <Tooltip title={t('access.needs', { permission })}>
      <span data-needs={permission}>{children(true)}</span>
    </Tooltip>
  );
}
