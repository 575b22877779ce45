import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Variables } from '../api/types';
import { answerFetch, renderAt } from '../test/render';
import { VariablesTable } from './VariablesTable';

const report: Variables = {
  app: 'shop',
  env: 'dev',
  revision: 7,
  configVersion: 4,
  variables: [
    {
      name: 'GREETING',
      declared: true,
      default: 'hi',
      secret: false,
      source: 'config',
      value: 'hello',
      usedBy: ['web'],
      missing: false,
    },
    {
      name: 'DB_PASSWORD',
      declared: true,
      secret: true,
      source: 'config',
      value: '******',
      usedBy: ['orders'],
      missing: false,
    },
    {
      name: 'TOKEN',
      declared: true,
      description: 'from the platform team',
      secret: false,
      usedBy: ['orders', 'web'],
      missing: true,
    },
    { name: 'LOG_LEVL', declared: false, secret: false, source: 'config', value: 'debug', usedBy: [], missing: false },
  ],
};

describe('variables table', () => {
  it('lists the missing ones first with a warning, masks secrets and marks keys berth.yaml does not use', async () => {
    const fetch = answerFetch({ 'GET /api/v1/apps/shop/envs/dev/variables': report });
    renderAt(<VariablesTable app="shop" env="dev" configVersion={4} />, '/');
    const table = await screen.findByTestId('variables');
    expect(await within(table).findByText('Used but without a value (a deploy would fail): TOKEN')).toBeTruthy();
    const names = [...table.querySelectorAll('[data-variable]')].map((e) => e.getAttribute('data-variable'));
    expect(names).toEqual(['TOKEN', 'GREETING', 'DB_PASSWORD', 'LOG_LEVL']);
    const row = (name: string) => table.querySelector(`[data-variable="${name}"]`)!.closest('tr')!.textContent;
    expect(row('TOKEN')).toContain('no value');
    expect(row('TOKEN')).toContain('orders, web');
    expect(row('DB_PASSWORD')).toContain('******');
    expect(row('DB_PASSWORD')).toContain('secret');
    expect(row('LOG_LEVL')).toContain('not in berth.yaml');
    expect(row('LOG_LEVL')).toContain('unused');
    expect(row('GREETING')).toContain('config');
    expect(table.textContent).toContain('berth.yaml of revision 7, config version v4');
    expect(String(fetch.mock.calls[0]![0])).toContain('/variables?v=4');
  });
});
