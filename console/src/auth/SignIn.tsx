/**
 * The sign-in page: a user name and password (a console session: an HttpOnly cookie the page never
 * sees, and its CSRF token), single sign-on when the control plane has it, and the control plane's API
 * token (from `<BERTH_HOME>/token` or `berth up`'s sign-in link) as a second tab.
 */
import { useEffect, useState } from 'react';
import { Alert, Button, Card, Divider, Form, Input, Tabs, Typography } from 'antd';
import { LoginOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError, send } from '../api/client';
import { ErrorAlert } from '../components/ErrorAlert';
import { LanguageSwitch } from '../components/LanguageSwitch';
import type { enAuth } from '../i18n/enAuth';
import { clearSession, clearToken, expectSession, setSession, setToken } from './token';

/** The failures of single sign-on the console says in words (src/access/sso/oidc.ts `SsoErrorCode`). */
type SsoErrorCode = keyof typeof enAuth.ssoError;

/** Whether the control plane offers single sign-on (GET /api/v1/sso; an error: no). */
function useSso(): boolean {
  const [enabled, setEnabled] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    send('GET', '/api/v1/sso', { signal: abort.signal, signingIn: true })
      .then((r) => r.json() as Promise<{ enabled?: boolean }>)
      .then(
        (b) => setEnabled(b.enabled === true),
        () => setEnabled(false),
      );
    return () => abort.abort();
  }, []);
  return enabled;
}

/** A refused single sign-on (`?error=<code>` from the control plane's callback) in words; an unknown code as it is. */
function SsoFailure({ code }: { code: string }) {
  const { t, i18n } = useTranslation();
  // the code comes from the address: only an own key of the strings, never a path into them
  const known = (c: string): c is SsoErrorCode => /^sso_[a-z_]+$/.test(c) && i18n.exists(`auth.ssoError.${c}`);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      style={{ marginBottom: 16 }}
      data-testid="sso-error"
      title={known(code) ? t(`auth.ssoError.${code}`) : t('auth.ssoFailed', { code })}
    />
  );
}

/** A password sign-in's failure in words: wrong credentials and too many attempts in the page's language. */
function SignInError({ error }: { error: unknown }) {
  const { t } = useTranslation();
  if (error instanceof ApiError && error.status === 429)
    return <Alert type="error" showIcon role="alert" title={t('auth.tooMany', { seconds: error.retryAfter ?? 60 })} />;
  if (error instanceof ApiError && error.status === 401)
    return <Alert type="error" showIcon role="alert" title={t('auth.wrongPassword')} />;
  return <ErrorAlert error={error} />;
}

export function SignIn() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const sso = useSso();
  const from = (location.state as { from?: string } | null)?.from ?? params.get('to') ?? '/';
  const ssoError = params.get('error');
  // a refused single sign-on opened no session
  useEffect(() => {
    if (ssoError) clearSession();
  }, [ssoError]);

  const attempt = async (run: () => Promise<void>): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await run();
      void navigate(from.startsWith('/') && !from.startsWith('/signin') ? from : '/', { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const withPassword = ({ user, password }: { user: string; password: string }) =>
    attempt(async () => {
      const res = await send('POST', '/api/v1/session', { body: { user: user.trim(), password }, signingIn: true });
      const { csrf } = (await res.json()) as { csrf: string };
      clearToken();
      setSession(csrf);
    });

  const withToken = ({ token }: { token: string }) =>
    attempt(async () => {
      await send('GET', '/api/v1/info', { token: token.trim() });
      clearSession();
      setToken(token);
    });

  const passwordTab = (
    <>
      <SignInError error={error} />
      <Form
        layout="vertical"
        onFinish={(v: { user: string; password: string }) => void withPassword(v)}
        requiredMark={false}
      >
        <Form.Item name="user" label={t('auth.user')} rules={[{ required: true, message: t('auth.userRequired') }]}>
          <Input autoFocus autoComplete="username" data-testid="user" />
        </Form.Item>
        <Form.Item
          name="password"
          label={t('auth.password')}
          rules={[{ required: true, message: t('auth.passwordRequired') }]}
        >
          <Input.Password autoComplete="current-password" data-testid="password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} data-testid="password-submit">
          {t('signIn.submit')}
        </Button>
      </Form>
      {sso ? (
        <>
          <Divider plain>{t('auth.or')}</Divider>
          <Button
            block
            icon={<LoginOutlined />}
            href={`/api/v1/sso/login?to=${encodeURIComponent(from)}`}
            // back from the provider the page holds only the (HttpOnly) cookie: look for the session then
            onClick={() => {
              clearToken();
              expectSession();
            }}
            data-testid="sso"
          >
            {t('auth.sso')}
          </Button>
        </>
      ) : null}
    </>
  );

  const tokenTab = (
    <>
      <Typography.Paragraph type="secondary">{t('signIn.help')}</Typography.Paragraph>
      <ErrorAlert error={error} />
      <Form layout="vertical" onFinish={(v: { token: string }) => void withToken(v)} requiredMark={false}>
        <Form.Item
          name="token"
          label={t('signIn.token')}
          rules={[{ required: true, message: t('signIn.tokenRequired') }]}
        >
          <Input.Password placeholder={t('signIn.placeholder')} data-testid="token" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy}>
          {t('signIn.submit')}
        </Button>
      </Form>
    </>
  );

  return (
    <div
      style={{
        minHeight: '100vh',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        background: '#f0f2f5',
      }}
    >
      <Card style={{ width: 420 }} title={t('signIn.title')} extra={<LanguageSwitch />} data-page="signin">
        {ssoError ? <SsoFailure code={ssoError} /> : null}
        <Tabs
          onChange={() => setError(undefined)}
          items={[
            { key: 'password', label: t('auth.passwordTab'), children: passwordTab },
            { key: 'token', label: t('auth.tokenTab'), children: tokenTab },
          ]}
        />
      </Card>
    </div>
  );
}
