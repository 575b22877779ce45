import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { RenderedRelease, RenderedService } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import { ReleaseImages } from './Images';

const DIGEST = 'sha256:ff32e7bf81b016afdfe8bc6d456410d5c9ae23294b6a70b7e851c1fd78887172';

const svc = (workload: Partial<RenderedService['workload']>): RenderedService =>
  ({
    workload: { env: {}, files: [], ports: [], resources: {}, terminationGracePeriodMs: 30_000, ...workload },
  }) as RenderedService;

const rendered = {
  app: 'shop',
  env: 'local',
  configVersion: 2,
  levels: [],
  routes: [],
  services: {
    web: svc({ image: 'registry.example:5000/shop/web:1.2', runAs: 'container', imageDigest: DIGEST }),
    cache: svc({
      image: 'localhost/redis:7',
      runAs: 'container',
      imageDigest: 'sha256:86dad7ad1be16975e4e9801d3cdc3e3c2c89d5f646975ba613ae84ddbeb0b23d',
    }),
    api: svc({ image: 'shop/api:1', command: ['node', 'server.js'] }),
    worker: svc({ command: ['node', 'worker.js'] }),
  },
} as unknown as RenderedRelease;

describe('the images of a release', () => {
  it('lists each service with an image, the digest its revision pinned, and how it runs', async () => {
    answerFetch({ '/api/v1/apps/shop/envs/local/releases/4/rendered': rendered });
    renderAt(<ReleaseImages app="shop" env="local" revision={4} />, '/');
    expect(await screen.findByText('Images of revision 4')).toBeTruthy();
    const rows = [...document.querySelectorAll('.release-images tbody tr.ant-table-row')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent),
    );
    expect(rows).toEqual([
      ['api', 'shop/api:1', 'not pinned (runs as a process, or on a cluster)', ''],
      [
        'cache',
        'localhost/redis:7',
        'sha256:86dad7ad1be16975e4e9801d3cdc3e3c2c89d5f646975ba613ae84ddbeb0b23d',
        'container',
      ],
      ['web', 'registry.example:5000/shop/web:1.2', DIGEST, 'container'],
    ]);
  });

  it('shows nothing for a release without images', async () => {
    const fetch = answerFetch({
      '/api/v1/apps/shop/envs/local/releases/1/rendered': {
        ...rendered,
        services: { worker: rendered.services.worker },
      },
    });
    renderAt(<ReleaseImages app="shop" env="local" revision={1} />, '/');
    await new Promise((r) => setTimeout(r, 200));
    expect(fetch).toHaveBeenCalled();
    expect(document.querySelector('.release-images')).toBeNull();
  });

  it('says it in simplified Chinese', async () => {
    const { default: i18n } = await import('../i18n');
    await i18n.changeLanguage('zh-CN');
    try {
      answerFetch({ '/api/v1/apps/shop/envs/local/releases/4/rendered': rendered });
      renderAt(<ReleaseImages app="shop" env="local" revision={4} />, '/');
      expect(await screen.findByText('修订版 4 的镜像')).toBeTruthy();
      expect(screen.getAllByText('摘要').length).toBeGreaterThan(0);
      expect(screen.getAllByText('容器').length).toBe(2);
    } finally {
      await i18n.changeLanguage('en');
    }
  });
});
