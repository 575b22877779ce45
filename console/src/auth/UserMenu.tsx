/**
 * Who is signed in, in the header (name, and how: SSO, password or token), with a menu to sign out: a
 * session is ended on the server (DELETE /api/v1/session with its CSRF token), a token forgotten by the tab.
 */
import { Button, Dropdown, Space, Tag } from 'antd';
import { DownOutlined, LogoutOutlined, UserOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import { send } from '../api/client';
import { forgetCredentials } from './token';
import { signInMethod, useAccess } from './useAccess';

export function UserMenu() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { me } = useAccess();

  const signOut = async (): Promise<void> => {
    // the request leaves with the CSRF token now; leaving the pages at once stops their polls and
    // streams, so none of them meets the ended session (a 401) on the way out
    const ending = me?.via === 'session' ? send('DELETE', '/api/v1/session') : undefined;
    forgetCredentials();
    void navigate('/signin');
    // the session ends on the server even if the answer is lost; the tab has forgotten it either way
    await ending?.catch(() => undefined);
  };

  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [{ key: 'signOut', icon: <LogoutOutlined />, label: t('shell.signOut'), 'data-testid': 'sign-out' }],
        onClick: ({ key }) => {
          if (key === 'signOut') void signOut();
        },
      }}
    >
      <Button data-testid="user-menu">
        <Space>
          <UserOutlined />
          <span data-testid="user-name" data-server-text>
            {me?.name ?? ''}
          </span>
          {me ? <Tag data-testid="user-method">{t(`auth.method.${signInMethod(me)}`)}</Tag> : null}
          <DownOutlined />
        </Space>
      </Button>
    </Dropdown>
  );
}
