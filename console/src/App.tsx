/** The console: Ant Design in the chosen language, sign-in, and the pages under the shell. */
import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { UNAUTHORIZED_EVENT } from './api/client';
import { RequireIdentity } from './auth/RequireIdentity';
import { SignIn } from './auth/SignIn';
import { Shell } from './components/Shell';
import { AppsList } from './apps/List';
import { EnvironmentsList } from './environments/List';
import { Approvals } from './approvals/Approvals';
import { useReducedMotion } from './components/useReducedMotion';

const ServicesDetails = lazy(() => import('./services/Details'));
const ConfigDetails = lazy(() => import('./config/Details'));
const ReleasesList = lazy(() => import('./releases/List'));
const Logs = lazy(() => import('./logs/Logs'));
const PoliciesList = lazy(() => import('./policies/List'));
const JobsList = lazy(() => import('./jobs/List'));
const Pipelines = lazy(() => import('./pipelines/Pipelines'));
const Topology = lazy(() => import('./topology/Topology'));
const Metrics = lazy(() => import('./metrics/Metrics'));
const AlertsPage = lazy(() => import('./alerts/Page'));
const TracesList = lazy(() => import('./traces/List'));
const TraceWaterfall = lazy(() => import('./traces/Waterfall'));
const AccessPage = lazy(() => import('./access/Page'));
const AuditLog = lazy(() => import('./audit/AuditLog'));

/** Goes to the sign-in page when the API refuses the token (expired, or the control plane's home changed). */
function OnUnauthorized() {
  const navigate = useNavigate();
  const location = useLocation();
  useEffect(() => {
    const onEvent = (): void => void navigate('/signin', { state: { from: location.pathname } });
    window.addEventListener(UNAUTHORIZED_EVENT, onEvent);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, onEvent);
  }, [navigate, location.pathname]);
  return null;
}

const page = (el: ReactNode) => <Suspense fallback={<Spin style={{ margin: 48 }} />}>{el}</Suspense>;

export function ConsoleRoutes() {
  return (
    <>
      <OnUnauthorized />
      <Routes>
        <Route path="/signin" element={<SignIn />} />
        <Route
          element={
            <RequireIdentity>
              <Shell />
            </RequireIdentity>
          }
        >
          <Route index element={<AppsList />} />
          <Route path="environments" element={<EnvironmentsList />} />
          <Route path="access" element={page(<AccessPage />)} />
          <Route path="audit" element={page(<AuditLog />)} />
          <Route path="approvals" element={<Approvals />} />
          <Route path="apps/:app/:env" element={<Navigate to="services" replace />} />
          <Route path="apps/:app/:env/services" element={page(<ServicesDetails />)} />
          <Route path="apps/:app/:env/config" element={page(<ConfigDetails />)} />
          <Route path="apps/:app/:env/releases" element={page(<ReleasesList />)} />
          <Route path="apps/:app/:env/pipelines" element={page(<Pipelines />)} />
          <Route path="apps/:app/:env/policies" element={page(<PoliciesList />)} />
          <Route path="apps/:app/:env/jobs" element={page(<JobsList />)} />
          <Route path="apps/:app/:env/logs" element={page(<Logs />)} />
          <Route path="apps/:app/:env/topology" element={page(<Topology />)} />
          <Route path="apps/:app/:env/metrics" element={page(<Metrics />)} />
          <Route path="apps/:app/:env/alerts" element={page(<AlertsPage />)} />
          <Route path="apps/:app/:env/traces" element={page(<TracesList />)} />
          <Route path="apps/:app/:env/traces/:traceId" element={page(<TraceWaterfall />)} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Route>
      </Routes>
    </>
  );
}

export function App({ children }: { children: ReactNode }) {
  const { i18n } = useTranslation();
  // Animations off for whoever asked the system for less motion (and for the e2e browser, which asks).
  const motion = !useReducedMotion();
  return (
    <ConfigProvider
      locale={i18n.language === 'zh-CN' ? zhCN : enUS}
      theme={{ token: { colorPrimary: '#1677ff', motion } }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}
