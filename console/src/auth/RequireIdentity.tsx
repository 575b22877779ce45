/**
 * The signed-in part of the console: who the tab is signed in as (GET /api/v1/me, once per sign-in, with
 * the token or the session's cookie — a reload keeps a session while its cookie lives), given to every
 * page through AccessContext; the sign-in page when the tab has no identity.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { Spin } from 'antd';
import { Navigate, useLocation } from 'react-router-dom';
import { api, ApiError } from '../api/client';
import { ErrorAlert } from '../components/ErrorAlert';
import { clearSession, getToken, maySessionBeOpen, setSession } from './token';
import { AccessContext, type Me } from './useAccess';

export function RequireIdentity({ children }: { children: ReactNode }) {
  const location = useLocation();
  const signedIn = getToken() !== null || maySessionBeOpen();
  const [me, setMe] = useState<Me | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);

  useEffect(() => {
    if (!signedIn) return undefined;
    const abort = new AbortController();
    api<Me>('GET', '/api/v1/me', undefined, abort.signal).then(
      (m) => {
        if (m.csrf !== undefined) setSession(m.csrf);
        else clearSession();
        setMe(m);
      },
      (err: unknown) => {
        if (!abort.signal.aborted) setError(err);
      },
    );
    return () => abort.abort();
  }, [signedIn]);

  const from = location.pathname + location.search;
  if (!signedIn || (error instanceof ApiError && error.status === 401))
    return <Navigate to="/signin" replace state={{ from }} />;
  if (error !== undefined) return <ErrorAlert error={error} style={{ margin: 48 }} />;
  if (me === undefined) return <Spin style={{ margin: 48 }} />;
  return <AccessContext.Provider value={me}>{children}</AccessContext.Provider>;
}
