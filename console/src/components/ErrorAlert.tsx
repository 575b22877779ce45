/** An API error as an alert: its message, then every problem with its field path (and file:line). */
import type { CSSProperties } from 'react';
import { Alert } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

export function ErrorAlert({ error, style }: { error: unknown; style?: CSSProperties }) {
  const { t } = useTranslation();
  if (error === undefined || error === null) return null;
  const api = error instanceof ApiError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const title = api?.status === 0 ? t('errors.unreachable', { message }) : message;
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      style={{ marginBottom: 16, ...style }}
      title={title}
      description={
        api && api.problems.length > 0 ? (
          <ul className="problems" style={{ margin: 0, paddingLeft: 18 }}>
            {api.problems.map((p, i) => (
              <li key={i}>
                {p.path ? <code className="problem-path">{p.path}</code> : null}
                {p.path ? ': ' : null}
                <span>{p.message}</span>
                {p.file || p.line ? (
                  <span style={{ color: '#8c8c8c' }}>
                    {' '}
                    ({[p.file, p.line, p.column].filter((x) => x !== undefined && x !== '').join(':')})
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
        ) : api?.code ? (
          <span style={{ color: '#8c8c8c' }}>{api.code}</span>
        ) : undefined
      }
    />
  );
}
