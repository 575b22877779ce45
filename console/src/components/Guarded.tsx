/**
 * An action the caller may not be allowed to take: its control disabled, with a tooltip naming the
 * permission it needs and where ("Needs apps:deploy in prod"), or not shown at all (`hide`).
 */
import { cloneElement, isValidElement, type ReactElement, type ReactNode } from 'react';
import { Tooltip } from 'antd';
import type { Permission } from '../../../src/model/access.js';
import { useAccess } from '../auth/useAccess';

export interface GuardedProps {
  need: Permission;
  app?: string | undefined;
  env?: string | undefined;
  /** Allowed when the permission is granted anywhere (what the action acts on is chosen later, as a new environment's name). */
  anywhere?: boolean;
  /** Hide the control instead of disabling it (where a disabled one makes no sense). */
  hide?: boolean;
  children: ReactElement<{ disabled?: boolean }>;
}

/**
 * A wrapper that clones props onto its child (a Tooltip's mouse handlers and ref, a Popconfirm's click)
 * reaches the control through the guard: what the guard does not know it hands on to its child.
 */
export function Guarded({
  need,
  app,
  env,
  anywhere,
  hide,
  children,
  ...handedOn
}: GuardedProps & Record<string, unknown>): ReactNode {
  const { disabledReason } = useAccess();
  const reason = disabledReason(
    need,
    { ...(app !== undefined ? { app } : {}), ...(env !== undefined ? { env } : {}) },
    anywhere ? 'anywhere' : 'exact',
  );
  if (reason === undefined) return Object.keys(handedOn).length > 0 ? cloneElement(children, handedOn) : children;
  if (hide) return null;
  if (!isValidElement(children)) return children;
  // a disabled button swallows the pointer events a tooltip needs: the span around it takes them
  return (
    <Tooltip title={reason}>
      <span data-denied={need} data-reason={reason} style={{ display: 'inline-block' }}>
        {cloneElement(children, { disabled: true })}
      </span>
    </Tooltip>
  );
}
