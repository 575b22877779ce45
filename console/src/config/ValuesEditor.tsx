/**
 * Editing a config version's values: change, add or remove keys (secrets stay masked; typing a new
 * value replaces one), then review the change and its impact before it is saved as a new version.
 */
import { useEffect, useMemo, useState, type ChangeEvent } from 'react';
import { Alert, Button, Checkbox, Input, Space, Table, Tag, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined, UndoOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import type { ConfigView } from '../api/types';
import { changeOf, rowProblems, rowsOf, type ValueRow } from './change';
import { ReviewChange } from './ReviewChange';
import { Guarded } from '../components/Guarded';

export function ValuesEditor({
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
  const [rows, setRows] = useState<ValueRow[]>(() => rowsOf(view));
  const [reviewing, setReviewing] = useState(false);
  useEffect(() => {
    setRows(rowsOf(view));
  }, [view]);

  const change = useMemo(() => changeOf(view, rows), [view, rows]);
  const count = Object.keys(change.set).length + change.unset.length;
  const problems = rowProblems(rows);
  const update = (i: number, patch: Partial<ValueRow>): void =>
    setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <div className="values-editor">
      <Table<ValueRow>
        size="small"
        rowKey={(_, i) => String(i)}
        pagination={false}
        dataSource={rows}
        locale={{ emptyText: t('config.noValues') }}
        rowClassName={(r) => (r.removed ? 'row-removed' : '')}
        columns={[
          {
            title: t('config.key'),
            width: '28%',
            render: (_: unknown, r: ValueRow, i: number) =>
              r.isNew ? (
                <Input
                  size="small"
                  value={r.key}
                  placeholder={t('config.keyPlaceholder')}
                  data-testid={`key-${i}`}
                  onChange={(e) => update(i, { key: e.target.value })}
                />
              ) : (
                <code style={r.removed ? { textDecoration: 'line-through' } : undefined}>{r.key}</code>
              ),
          },
          {
            title: t('config.value'),
            render: (_: unknown, r: ValueRow, i: number) => {
              const before = view.values[r.key];
              const props = {
                size: 'small' as const,
                value: r.value,
                disabled: r.removed,
                'data-testid': `value-${r.isNew ? i : r.key}`,
                onChange: (e: ChangeEvent<HTMLInputElement>) => update(i, { value: e.target.value }),
              };
              return r.secret ? (
                <Input.Password
                  {...props}
                  placeholder={t('config.secretPlaceholder')}
                  onFocus={() => before && r.value === before.value && update(i, { value: '' })}
                />
              ) : (
                <Input {...props} />
              );
            },
          },
          {
            title: t('config.secret'),
            width: 90,
            render: (_: unknown, r: ValueRow, i: number) =>
              r.isNew ? (
                <Checkbox checked={r.secret} onChange={(e) => update(i, { secret: e.target.checked })} />
              ) : r.secret ? (
                <Tag color="purple">{t('config.secretTag')}</Tag>
              ) : null,
          },
          {
            title: '',
            width: 60,
            render: (_: unknown, r: ValueRow, i: number) => (
              <Button
                size="small"
                type="text"
                aria-label={r.removed ? t('config.restoreKey') : t('config.removeKey')}
                icon={r.removed ? <UndoOutlined /> : <DeleteOutlined />}
                onClick={() =>
                  r.isNew ? setRows((rs) => rs.filter((_, j) => j !== i)) : update(i, { removed: !r.removed })
                }
              />
            ),
          },
        ]}
      />
      {problems.length > 0 ? (
        <Alert
          type="warning"
          showIcon
          style={{ marginTop: 12 }}
          title={problems.map((p) => t(`config.problem.${p.problem}`, { key: p.key })).join('; ')}
        />
      ) : null}
      <Space style={{ marginTop: 12 }}>
        <Button
          icon={<PlusOutlined />}
          onClick={() => setRows((rs) => [...rs, { key: '', value: '', secret: false, isNew: true, removed: false }])}
        >
          {t('config.addKey')}
        </Button>
        <Button onClick={() => setRows(rowsOf(view))} disabled={count === 0}>
          {t('config.discard')}
        </Button>
        <Guarded need="config:write" app={app} env={env}>
          <Button
            type="primary"
            disabled={count === 0 || problems.length > 0}
            onClick={() => setReviewing(true)}
            data-testid="review"
          >
            {t('config.review', { count })}
          </Button>
        </Guarded>
        <Typography.Text type="secondary">{t('config.reviewHint')}</Typography.Text>
      </Space>
      {reviewing ? (
        <ReviewChange
          app={app}
          env={env}
          view={view}
          change={change}
          onClose={() => setReviewing(false)}
          onSaved={(v) => {
            setReviewing(false);
            onSaved(v);
          }}
        />
      ) : null}
    </div>
  );
}
