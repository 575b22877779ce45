import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AppStatus, ServiceStatus } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import ServicesDetails from './Details';

const service = (name: string, runAs: ServiceStatus['runAs'], container?: string): ServiceStatus => ({
  app: 'shop',
  env: 'local',
  service: name,
  ...(runAs ? { runAs } : {}),
  revision: 3,
  hash: 'abc123',
  desiredReplicas: 1,
  readyReplicas: 1,
  replicas: [
    {
      id: `${name}-abc123-1`,
      phase: 'ready',
      hash: 'abc123',
      port: 41000,
      restarts: 0,
      ...(container ? { container } : { pid: 4242 }),
    },
  ],
});

const status: AppStatus = {
  app: 'shop',
  env: 'local',
  currentRevision: null,
  lastRelease: null,
  services: [service('api', 'container', '0123456789ab'), service('worker', 'process')],
};

/** The JSON answers, and the status stream as server-sent events. */
function answer(s: AppStatus): void {
  const json = answerFetch({}) as unknown as typeof fetch;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: RequestInfo | URL, init?: RequestInit) =>
      String(input).includes('/status/stream')
        ? new Response(`event: status\ndata: ${JSON.stringify(s)}\n\n`, {
            headers: { 'content-type': 'text/event-stream' },
          })
        : json(input, init),
    ),
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('the status page and containers', () => {
  it('shows how each service runs, and the container of each container replica', async () => {
    answer(status);
    renderAt(<ServicesDetails />, '/apps/shop/local/services', '/apps/:app/:env/services');
    const api = await screen.findByText('api');
    const apiCell = api.closest('[data-service-name]') as HTMLElement;
    expect(within(apiCell).getByText('container')).toBeTruthy();
    const workerCell = screen.getByText('worker').closest('[data-service-name]') as HTMLElement;
    expect(within(workerCell).getByText('process')).toBeTruthy();

    // The replicas of the container service: a Container column with its id.
    const row = api.closest('tr')!;
    fireEvent.click(row.querySelector('.ant-table-row-expand-icon')!);
    expect(await screen.findByText('Container')).toBeTruthy();
    expect(document.querySelector('[data-container="0123456789ab"]')?.textContent).toBe('0123456789ab');
  });

  it('says it in simplified Chinese, and shows no tag on clusters', async () => {
    const { default: i18n } = await import('../i18n');
    await i18n.changeLanguage('zh-CN');
    try {
      answer({ ...status, services: [service('api', 'container', 'feedfacecafe'), service('db', undefined)] });
      renderAt(<ServicesDetails />, '/apps/shop/local/services', '/apps/:app/:env/services');
      const api = await screen.findByText('api');
      expect(within(api.closest('[data-service-name]') as HTMLElement).getByText('容器')).toBeTruthy();
      expect(
        (screen.getByText('db').closest('[data-service-name]') as HTMLElement).querySelector('[data-run-as]'),
      ).toBeNull();
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
