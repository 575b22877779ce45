/**
 * The Access page (`/access`, docs/access.md): users and service accounts, tokens, roles and role
 * bindings as tabs (`?tab=`). What the caller may not do is disabled with the permission it needs
 * (useAccess/Guarded, from the GET /api/v1/me that RequireIdentity made once per sign-in).
 */
import { Tabs, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useAccess } from '../auth/useAccess';
import { PageTitle } from '../components/PageTitle';
import { Users } from './Users';
import { Tokens } from './Tokens';
import { Roles } from './Roles';
import { Bindings } from './Bindings';

const TABS = ['users', 'tokens', 'roles', 'bindings'] as const;
type Tab = (typeof TABS)[number];

export default function AccessPage() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const asked = params.get('tab');
  const tab: Tab = (TABS as readonly string[]).includes(asked ?? '') ? (asked as Tab) : 'users';
  const { me } = useAccess();
  const body = (k: Tab) => {
    if (k === 'users') return <Users />;
    if (k === 'tokens') return <Tokens />;
    if (k === 'roles') return <Roles />;
    return <Bindings />;
  };
  return (
    <div data-page="access">
      <PageTitle title={t('access.title')}>
        {me && (
          <Typography.Text type="secondary" data-testid="signed-in-as">
            {t('access.signedInAs', { name: me.name })}
          </Typography.Text>
        )}
      </PageTitle>
      <Typography.Paragraph type="secondary">{t('access.hint')}</Typography.Paragraph>
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams({ tab: k })}
        destroyOnHidden
        items={TABS.map((k) => ({
          key: k,
          label: <span data-testid={`tab-${k}`}>{t(`access.tabs.${k}`)}</span>,
          children: body(k),
        }))}
      />
    </div>
  );
}
