/** The logs page: the live tail of the replicas' output, and a search of the log index beside it (`?tab=search`). */
import { Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { useParams, useSearchParams } from 'react-router-dom';
import { PageTitle } from '../components/PageTitle';
import LogsTail from './Tail';
import LogSearch from './Search';

export default function Logs() {
  const { t } = useTranslation();
  const { app = '', env = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') === 'search' ? 'search' : 'tail';
  return (
    <div data-page="logs">
      <PageTitle title={t('logs.title', { app, env })} />
      <Tabs
        activeKey={tab}
        onChange={(key) => setParams(key === 'search' ? { tab: 'search' } : {})}
        items={[
          { key: 'tail', label: t('logSearch.tabs.tail'), children: tab === 'tail' ? <LogsTail /> : null },
          { key: 'search', label: t('logSearch.tabs.search'), children: tab === 'search' ? <LogSearch /> : null },
        ]}
      />
    </div>
  );
}
