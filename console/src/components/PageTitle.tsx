/**
 * The title of every page, the same way everywhere: a level-3 heading with no margin of its own,
 * then what goes beside it (health, revision, live badge), then actions on the right; 16 px below.
 * It also names the browser tab, so the tab says which page and app it shows.
 */
import { Space, Typography } from 'antd';
import { useEffect } from 'react';
import type { ReactNode } from 'react';

export function PageTitle({
  title,
  children,
  actions,
}: {
  title: string;
  children?: ReactNode;
  actions?: ReactNode;
}): React.JSX.Element {
  useEffect(() => {
    document.title = `${title} · Berth`;
  }, [title]);
  return (
    <div
      data-page-title
      style={{ display: 'flex', alignItems: 'center', gap: 12, flexWrap: 'wrap', marginBottom: 16, minHeight: 32 }}
    >
      <Typography.Title level={3} style={{ margin: 0 }}>
        {title}
      </Typography.Title>
      {children ? (
        <Space align="center" wrap>
          {children}
        </Space>
      ) : null}
      {actions ? <div style={{ marginLeft: 'auto' }}>{actions}</div> : null}
    </div>
  );
}
