/**
 * What the Access page's tabs share: the state of the action under way (`useTabAction`) and the shell
 * around a tab's table (`AccessTab`) — a notice where the caller may not read the tab, the create
 * button (disabled naming the permission it needs, through Guarded), the last action's and the list's
 * errors, and the create dialog around the tab's form.
 */
import { useState, type ReactNode } from 'react';
import { Button, Modal, Space, Tag } from 'antd';
import type { ButtonProps } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { Permission } from '../../../src/model/access.js';
import { useAccess } from '../auth/useAccess';
import { ErrorAlert } from '../components/ErrorAlert';
import { Guarded } from '../components/Guarded';

export interface TabAction {
  busy: boolean;
  error: unknown;
  creating: boolean;
  setCreating(open: boolean): void;
  /** Runs a change: busy meanwhile, its error kept; after it succeeded `reload()`. Undefined when it failed. */
  run<T>(change: Promise<T>): Promise<{ value: T } | undefined>;
}

export function useTabAction(reload: () => void): TabAction {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [creating, setCreating] = useState(false);
  const run = async <T,>(change: Promise<T>): Promise<{ value: T } | undefined> => {
    setError(undefined);
    setBusy(true);
    try {
      const value = await change;
      reload();
      return { value };
    } catch (err) {
      setError(err);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, creating, setCreating, run };
}

export interface AccessTabProps {
  /** The tab (its test id; `access.<tab>.create` and `.createOk` name the button and the dialog's OK). */
  tab: 'users' | 'tokens' | 'roles' | 'bindings';
  /** What reading the tab needs on the control plane as a whole (none: everyone reads it). */
  read?: Permission;
  /** What creating needs (none: everyone may, as one's own token). */
  write?: Permission;
  action: TabAction;
  /** The list's load error. */
  listError: unknown;
  /** Beside the create button. */
  tools?: ReactNode;
  /** The create dialog's form, and how its OK submits it. */
  form: ReactNode;
  submit(): void;
  /** The table (and whatever else the tab shows). */
  children: ReactNode;
}

export function AccessTab({ tab, read, write, action, listError, tools, form, submit, children }: AccessTabProps) {
  const { t } = useTranslation();
  const { disabledReason } = useAccess();
  const denied = read === undefined ? undefined : disabledReason(read);
  if (read !== undefined && denied !== undefined)
    return (
      <Tag data-denied={read} data-reason={denied}>
        {denied}
      </Tag>
    );
  const one = tab.slice(0, -1); // users → user: the test ids new-user and create-user
  const create = (
    <Button type="primary" icon={<PlusOutlined />} onClick={() => action.setCreating(true)} data-testid={`new-${one}`}>
      {t(`access.${tab}.create`)}
    </Button>
  );
  return (
    <div data-testid={tab}>
      <Space style={{ marginBottom: 16 }} wrap>
        {write === undefined ? create : <Guarded need={write}>{create}</Guarded>}
        {tools}
      </Space>
      {action.creating ? null : <ErrorAlert error={action.error} />}
      <ErrorAlert error={listError} />
      {children}
      {action.creating ? (
        <Modal
          open
          title={t(`access.${tab}.create`)}
          okText={t(`access.${tab}.createOk`)}
          cancelText={t('common.cancel')}
          confirmLoading={action.busy}
          onCancel={() => action.setCreating(false)}
          onOk={submit}
          okButtonProps={{ 'data-testid': `create-${one}` } as ButtonProps}
        >
          {form}
          <ErrorAlert error={action.error} />
        </Modal>
      ) : null}
    </div>
  );
}
