/**
 * Edits one traffic policy as YAML in berth.yaml's form. Saving sends it to the control plane,
 * which makes a `policy` revision; a refused policy shows every problem with its field path, and a
 * syntax error its line and column, without closing the editor.
 */
import { useState } from 'react';
import { Input, Modal, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError, api, appBase } from '../api/client';
import type { Release, TrafficPolicy } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { parsePolicyYaml, policyToYaml } from './policyYaml';
import { useAccess } from '../auth/useAccess';

/** What a policy belongs to: a service, or a route named by its path and host. */
export type PolicyTarget = { kind: 'service'; service: string } | { kind: 'route'; path: string; host?: string };

/** The label of a target as the page shows it: `api`, or `example.com/shop`. */
export function targetLabel(target: PolicyTarget): string {
  return target.kind === 'service' ? target.service : `${target.host ?? ''}${target.path}`;
}

/** Sends a policy (null clears it) for a target; resolves with the `policy` revision it made. */
export async function putPolicy(app: string, env: string, target: PolicyTarget, policy: unknown): Promise<Release> {
  const base = appBase(app, env);
  return target.kind === 'service'
    ? api<Release>('PUT', `${base}/services/${encodeURIComponent(target.service)}/policy`, { policy })
    : api<Release>('PUT', `${base}/routes/policy`, {
        path: target.path,
        ...(target.host === undefined ? {} : { host: target.host }),
        policy,
      });
}

export function PolicyEditor({
  app,
  env,
  target,
  policy,
  onClose,
  onSaved,
}: {
  app: string;
  env: string;
  target: PolicyTarget;
  policy: TrafficPolicy | null;
  onClose(): void;
  onSaved(r: Release): void;
}) {
  const access = useAccess();
  const { t } = useTranslation();
  const [text, setText] = useState(() => policyToYaml(policy));
  const [error, setError] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);

  const save = async (): Promise<void> => {
    const parsed = parsePolicyYaml(text);
    if (!parsed.ok) {
      setError(new ApiError(400, { code: 'INVALID_YAML', message: t('policies.notYaml'), problems: parsed.problems }));
      return;
    }
    setSaving(true);
    setError(undefined);
    try {
      onSaved(await putPolicy(app, env, target, parsed.policy));
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open
      width={720}
      title={t('policies.editTitle', { target: targetLabel(target) })}
      okText={t('policies.save')}
      cancelText={t('common.cancel')}
      okButtonProps={{
        loading: saving,
        'data-testid': 'save-policy',
        disabled: !access.can('policy:write', { app, env }),
      }}
      onOk={() => void save()}
      onCancel={onClose}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('policies.editHint')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Input.TextArea
        data-testid="policy-yaml"
        value={text}
        onChange={(e) => setText(e.target.value)}
        autoSize={{ minRows: 10, maxRows: 24 }}
        spellCheck={false}
        placeholder={t('policies.placeholder')}
        style={{ fontFamily: 'monospace' }}
      />
    </Modal>
  );
}
