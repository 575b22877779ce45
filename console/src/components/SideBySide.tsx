/** A side-by-side comparison: one row per changed key, the old value on the left, the new on the right. */
import { Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';

export interface SideBySideRow {
  key: string;
  left?: string;
  right?: string;
  /** Extra words under the key (why it changed, that it is a secret...). */
  notes?: string[];
}

const cell = (v: string | undefined, bg: string) =>
  v === undefined ? (
    <Typography.Text type="secondary">–</Typography.Text>
  ) : (
    <pre
      className="diff-cell"
      style={{ background: bg, margin: 0, padding: '2px 6px', whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}
    >
      {v}
    </pre>
  );

export function SideBySide({
  rows,
  leftTitle,
  rightTitle,
  keyTitle,
}: {
  rows: SideBySideRow[];
  leftTitle: string;
  rightTitle: string;
  keyTitle?: string;
}) {
  const { t } = useTranslation();
  return (
    <Table<SideBySideRow>
      className="side-by-side"
      size="small"
      pagination={false}
      rowKey="key"
      dataSource={rows}
      locale={{ emptyText: t('diff.noDifferences') }}
      columns={[
        {
          title: keyTitle ?? t('diff.key'),
          dataIndex: 'key',
          width: '24%',
          render: (k: string, r) => (
            <>
              <code>{k}</code>
              {r.notes?.map((n) => (
                <div key={n}>
                  <Tag style={{ marginTop: 4 }}>{n}</Tag>
                </div>
              ))}
            </>
          ),
        },
        { title: leftTitle, dataIndex: 'left', width: '38%', render: (v: string | undefined) => cell(v, '#fff1f0') },
        { title: rightTitle, dataIndex: 'right', width: '38%', render: (v: string | undefined) => cell(v, '#f6ffed') },
      ]}
    />
  );
}
