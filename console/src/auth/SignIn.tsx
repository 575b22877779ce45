/** The sign-in page: the control plane's token (from `<BERTH_HOME>/token` or `berth up`'s sign-in link). */
import { useState } from 'react';
import { Button, Card, Form, Input, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router-dom';
import { send } from '../api/client';
import { ErrorAlert } from '../components/ErrorAlert';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { setToken } from './token';

export function SignIn() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const from = (location.state as { from?: string } | null)?.from ?? '/';

  const submit = async ({ token }: { token: string }): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await send('GET', '/api/v1/info', { token: token.trim() });
      setToken(token);
      void navigate(from, { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

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
      <Card style={{ width: 420 }} title={t('signIn.title')} extra={<LanguageSwitch />}>
        <Typography.Paragraph type="secondary">{t('signIn.help')}</Typography.Paragraph>
        <ErrorAlert error={error} />
        <Form layout="vertical" onFinish={(v: { token: string }) => void submit(v)} requiredMark={false}>
          <Form.Item
            name="token"
            label={t('signIn.token')}
            rules={[{ required: true, message: t('signIn.tokenRequired') }]}
          >
            <Input.Password autoFocus placeholder={t('signIn.placeholder')} data-testid="token" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('signIn.submit')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
