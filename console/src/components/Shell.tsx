/**
 * The console's frame: a sider menu (overview, services, config, releases, policies, logs, environments), a
 * header with the app/environment selector, the language switch and who is signed in (with sign-out), and the page.
 */
import { useEffect, useMemo, type ReactNode } from 'react';
import { Layout, Menu, Select, Space, Typography } from 'antd';
import {
  AppstoreOutlined,
  ApartmentOutlined,
  SettingOutlined,
  RocketOutlined,
  FileTextOutlined,
  AuditOutlined,
  CloudServerOutlined,
  TeamOutlined,
  SafetyOutlined,
  ScheduleOutlined,
  NodeIndexOutlined,
  DeploymentUnitOutlined,
  LineChartOutlined,
  AlertOutlined,
  BranchesOutlined,
  CheckSquareOutlined,
} from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useResource } from '../api/hooks';
import type { AppSummary } from '../api/types';
import { UserMenu } from '../auth/UserMenu';
import { LanguageSwitch } from './LanguageSwitch';

const SECTIONS = [
  'services',
  'config',
  'releases',
  'pipelines',
  'policies',
  'jobs',
  'logs',
  'traces',
  'topology',
  'metrics',
  'alerts',
] as const;
type Section = (typeof SECTIONS)[number];

/** Pages of the control plane as a whole (not of one app): `/<key>`, below the app's sections, one per line. */
const TOP_PAGES = [
  'environments', // one page per line
  'access',
  'audit',
  'approvals',
] as const;
type TopPage = (typeof TOP_PAGES)[number];
const TOP_ICONS: Record<TopPage, ReactNode> = {
  environments: <CloudServerOutlined />,
  access: <TeamOutlined />,
  audit: <AuditOutlined />,
  approvals: <CheckSquareOutlined />,
};
const isTopPage = (key: string | undefined): key is TopPage => (TOP_PAGES as readonly string[]).includes(key ?? '');
const LAST = 'berth.lastApp';

/** The app and environment the pages work on: from the address, else the last one chosen. */
export function useSelection(): { app?: string; env?: string } {
  const parts = useLocation().pathname.split('/');
  if (parts[1] === 'apps' && parts[2] && parts[3])
    return { app: decodeURIComponent(parts[2]), env: decodeURIComponent(parts[3]) };
  const last = localStorage.getItem(LAST);
  if (!last) return {};
  const [a, e] = last.split('/');
  return a && e ? { app: a, env: e } : {};
}

export function Shell() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const { app, env } = useSelection();
  const apps = useResource<AppSummary[]>('/api/v1/apps', { pollMs: 10_000 });

  const inApp = location.pathname.startsWith('/apps/');
  useEffect(() => {
    if (inApp && app && env) localStorage.setItem(LAST, `${app}/${env}`);
  }, [inApp, app, env]);

  const segment = location.pathname.split('/');
  const section: string =
    segment[1] === 'apps' && segment[4] ? segment[4] : isTopPage(segment[1]) ? segment[1] : 'overview';

  const pairs = useMemo(() => {
    const list = (apps.data ?? []).map((a) => `${a.app}/${a.env}`);
    if (app && env && !list.includes(`${app}/${env}`)) list.unshift(`${app}/${env}`);
    return list;
  }, [apps.data, app, env]);

  const go = (key: string): void => {
    if (key === 'overview') void navigate('/');
    else if (isTopPage(key)) void navigate(`/${key}`);
    else if (app && env) void navigate(`/apps/${encodeURIComponent(app)}/${encodeURIComponent(env)}/${key}`);
  };
  const icons: Record<Section, ReactNode> = {
    services: <ApartmentOutlined />,
    config: <SettingOutlined />,
    releases: <RocketOutlined />,
    pipelines: <BranchesOutlined />,
    policies: <SafetyOutlined />,
    jobs: <ScheduleOutlined />,
    logs: <FileTextOutlined />,
    topology: <DeploymentUnitOutlined />,
    metrics: <LineChartOutlined />,
    alerts: <AlertOutlined />,
    traces: <NodeIndexOutlined />,
  };

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={56} width={200} theme="dark">
        <div style={{ color: '#fff', fontWeight: 600, fontSize: 18, padding: '16px 20px' }}>{t('shell.brand')}</div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[section]}
          onClick={(e) => go(e.key)}
          items={[
            { key: 'overview', icon: <AppstoreOutlined />, label: t('nav.overview') },
            ...SECTIONS.map((s) => ({ key: s, icon: icons[s], label: t(`nav.${s}`), disabled: !app || !env })),
            ...TOP_PAGES.map((p) => ({ key: p, icon: TOP_ICONS[p], label: t(`nav.${p}`) })),
          ]}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 24px',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Space>
            <Typography.Text type="secondary">{t('shell.app')}</Typography.Text>
            <Select
              data-testid="app-select"
              style={{ minWidth: 220 }}
              placeholder={t('shell.chooseApp')}
              value={app && env ? `${app}/${env}` : undefined}
              options={pairs.map((p) => ({ value: p, label: p }))}
              notFoundContent={t('shell.noApps')}
              onChange={(v: string) => {
                const [a, e] = v.split('/');
                const keep: Section = (SECTIONS as readonly string[]).includes(section)
                  ? (section as Section)
                  : 'services';
                void navigate(`/apps/${encodeURIComponent(a!)}/${encodeURIComponent(e!)}/${keep}`);
              }}
            />
          </Space>
          <Space>
            <LanguageSwitch />
            <UserMenu />
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 24 }}>
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
