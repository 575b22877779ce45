/**
 * Config files of a version: view plain files, edit or add them, replace secret files (whose content
 * is never shown), remove files. Each save is a new version, based on the version shown.
 */
import { useState } from 'react';
import { App as AntApp, Button, Checkbox, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, appBase } from '../api/client';
import type { ConfigVersionInfo, ConfigView } from '../api/types';
import { ErrorAlert } from '../components/ErrorAlert';
import { Impact, usePlanOf } from './Impact';
import { Guarded } from '../components/Guarded';

/** The change an edit makes: a plain file, or a secret one. */
function bodyOf(e: Editing): { files: Record<string, string> } | { secretFiles: Record<string, string> } {
  return e.secret ? { secretFiles: { [e.path]: e.content } } : { files: { [e.path]: e.content } };
}

interface FileRow {
  path: string;
  content: string;
  secret: boolean;
}

interface Editing {
  path: string;
  content: string;
  secret: boolean;
  isNew: boolean;
}

export function FilesEditor({
  app,
  env,
  view,
  onSaved,
}: {
  app: string;
  env: string;
  view: ConfigView;
  onSaved: (version: number) => void;
}) {
  const { t } = useTranslation();
  const { modal } = AntApp.useApp();
  const [editing, setEditing] = useState<Editing | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState('');
  const pending = editing && editing.path.trim() ? bodyOf(editing) : undefined;
  const { plan, error: planError } = usePlanOf(
    app,
    env,
    pending ? { baseVersion: view.version, ...pending } : undefined,
    400,
  );
  const files: FileRow[] = Object.entries(view.files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, f]) => ({ path, ...f }));

  const write = async (body: Record<string, unknown>): Promise<void> => {
    setSaving(true);
    setError(undefined);
    try {
      const v = await api<ConfigVersionInfo>('PATCH', `${appBase(app, env)}/config`, {
        baseVersion: view.version,
        ...(message.trim() ? { message: message.trim() } : {}),
        ...body,
      });
      setEditing(undefined);
      setMessage('');
      onSaved(v.version);
    } catch (err) {
      setError(err);
    } finally {
      setSaving(false);
    }
  };

  const remove = (path: string): void => {
    modal.confirm({
      title: t('config.confirmRemoveFile', { path }),
      content: t('config.removeFileHint'),
      okText: t('common.remove'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: () => write({ files: { [path]: null } }),
    });
  };

  return (
    <div className="files-editor">
      <ErrorAlert error={editing ? undefined : error} />
      <Table<FileRow>
        size="small"
        rowKey="path"
        pagination={false}
        dataSource={files}
        locale={{ emptyText: t('config.noFiles') }}
        expandable={{
          rowExpandable: (f) => !f.secret,
          expandedRowRender: (f) => <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{f.content}</pre>,
        }}
        columns={[
          { title: t('config.path'), dataIndex: 'path', render: (p: string) => <code>{p}</code> },
          {
            title: t('config.secret'),
            dataIndex: 'secret',
            render: (s: boolean) => (s ? <Tag color="purple">{t('config.secretTag')}</Tag> : null),
          },
          {
            title: t('config.size'),
            render: (_: unknown, f: FileRow) =>
              f.secret ? '–' : t('config.bytes', { count: new TextEncoder().encode(f.content).length }),
          },
          {
            title: t('common.actions'),
            render: (_: unknown, f: FileRow) => (
              <Space>
                <Guarded need="config:write" app={app} env={env}>
                  <Button
                    size="small"
                    onClick={() =>
                      setEditing({ path: f.path, content: f.secret ? '' : f.content, secret: f.secret, isNew: false })
                    }
                  >
                    {f.secret ? t('config.replace') : t('common.edit')}
                  </Button>
                </Guarded>
                <Guarded need="config:write" app={app} env={env}>
                  <Button size="small" danger onClick={() => remove(f.path)}>
                    {t('common.remove')}
                  </Button>
                </Guarded>
              </Space>
            ),
          },
        ]}
      />
      <Space style={{ marginTop: 12 }}>
        <Guarded need="config:write" app={app} env={env}>
          <Button onClick={() => setEditing({ path: '', content: '', secret: false, isNew: true })}>
            {t('config.addFile')}
          </Button>
        </Guarded>
      </Space>
      {editing ? (
        <Modal
          open
          width={760}
          title={editing.isNew ? t('config.addFile') : t('config.editFile', { path: editing.path })}
          okText={t('config.save')}
          cancelText={t('common.cancel')}
          confirmLoading={saving}
          onCancel={() => setEditing(undefined)}
          onOk={() => void write(bodyOf(editing))}
        >
          <Form layout="vertical">
            {editing.isNew ? (
              <>
                <Form.Item label={t('config.path')}>
                  <Input
                    value={editing.path}
                    placeholder={t('config.pathPlaceholder')}
                    onChange={(e) => setEditing({ ...editing, path: e.target.value })}
                  />
                </Form.Item>
                <Form.Item>
                  <Checkbox
                    checked={editing.secret}
                    onChange={(e) => setEditing({ ...editing, secret: e.target.checked })}
                  >
                    {t('config.secretFile')}
                  </Checkbox>
                </Form.Item>
              </>
            ) : null}
            <Form.Item label={t('config.content')}>
              <Input.TextArea
                rows={12}
                value={editing.content}
                placeholder={editing.secret ? t('config.secretFilePlaceholder') : undefined}
                style={{ fontFamily: 'monospace' }}
                onChange={(e) => setEditing({ ...editing, content: e.target.value })}
              />
            </Form.Item>
            <Form.Item label={t('config.message')}>
              <Input value={message} onChange={(e) => setMessage(e.target.value)} maxLength={500} />
            </Form.Item>
          </Form>
          <Typography.Title level={5}>{t('config.impact')}</Typography.Title>
          <Impact plan={plan} error={planError} />
          <ErrorAlert error={error} />
        </Modal>
      ) : null}
    </div>
  );
}
