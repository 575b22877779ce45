import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { answerFetch, renderAt } from '../test/render';
import type { VolumeStatus } from '../api/types';
import { VolumesCard } from './Card';

const pgdata = (index: number, usedBytes: number): VolumeStatus => ({
  app: 'shop',
  env: 'local',
  volume: 'pgdata',
  index,
  name: `pgdata-${index}`,
  usedBytes,
  sizeBytes: 10 * 1024 ** 3,
  services: ['db'],
  path: `/home/u/.berth/volumes/shop/local/pgdata-${index}`,
});

describe('the volumes card', () => {
  it("lists the app's volumes with their use, requested size, services and directory", async () => {
    const fetch = answerFetch({ '/api/v1/volumes': [pgdata(0, 40 * 1024 ** 2), pgdata(1, 512)] });
    renderAt(<VolumesCard app="shop" env="local" />, '/');
    expect(await screen.findByText('pgdata-0')).toBeTruthy();
    const card = document.querySelector('.volumes-card')!;
    const rows = [...card.querySelectorAll('tbody tr')].map((tr) =>
      [...tr.querySelectorAll('td')].map((td) => td.textContent),
    );
    expect(rows).toEqual([
      ['pgdata-0', '40.0 MiB', '10.0 GiB', 'db', '/home/u/.berth/volumes/shop/local/pgdata-0'],
      ['pgdata-1', '512 B', '10.0 GiB', 'db', '/home/u/.berth/volumes/shop/local/pgdata-1'],
    ]);
    expect(String(fetch.mock.calls[0]![0])).toContain('/api/v1/volumes?app=shop&env=local');
  });

  it('shows nothing for an app without volumes', async () => {
    const fetch = answerFetch({ '/api/v1/volumes': [] });
    renderAt(<VolumesCard app="shop" env="local" />, '/');
    await new Promise((r) => setTimeout(r, 200));
    expect(fetch).toHaveBeenCalled();
    expect(document.querySelector('.volumes-card')).toBeNull();
  });
});
