import { describe, expect, it } from 'vitest';
import type { CallEdge } from '../model/callGraph.js';
import { compareWithDeclared } from './callGraphDiff.js';

const call = (from: string, to: string): CallEdge => ({
  from,
  to,
  count: 1,
  ratePerSec: 0.1,
  errors: 0,
  errorRate: 0,
  p50Ms: 1,
  p99Ms: 1,
});

const shop = {
  services: ['inventory', 'orders', 'web'],
  dependsOn: new Map([
    ['inventory', []],
    ['orders', ['inventory']],
    ['web', ['orders', 'inventory']],
  ]),
};

describe('compareWithDeclared', () => {
  it('marks a call between services that is not declared, and a dependency never called', () => {
    const observed = [
      call('(outside)', 'web'),
      call('web', 'orders'),
      call('inventory', 'orders'), // inventory declares nothing
      call('(unknown)', 'inventory'),
      call('orders', 'pay/local/api'),
      call('orders', 'orders'),
    ];
    const g = compareWithDeclared(observed, shop);
    expect(g.edges.map((e) => [e.from, e.to, e.mark])).toEqual([
      ['(outside)', 'web', undefined],
      ['web', 'orders', undefined],
      ['inventory', 'orders', 'undeclared'],
      ['(unknown)', 'inventory', undefined],
      ['orders', 'pay/local/api', undefined],
      ['orders', 'orders', undefined],
    ]);
    expect(g.declared).toEqual([
      { from: 'orders', to: 'inventory', called: false },
      { from: 'web', to: 'orders', called: true },
      { from: 'web', to: 'inventory', called: false },
    ]);
    expect(g.differences).toEqual([
      { from: 'inventory', to: 'orders', mark: 'undeclared' },
      { from: 'orders', to: 'inventory', mark: 'unused' },
      { from: 'web', to: 'inventory', mark: 'unused' },
    ]);
    expect(g.nodes).toEqual([
      { name: 'inventory', kind: 'service' },
      { name: 'orders', kind: 'service' },
      { name: 'web', kind: 'service' },
      { name: '(outside)', kind: 'outside' },
      { name: '(unknown)', kind: 'unknown' },
      { name: 'pay/local/api', kind: 'external' },
    ]);
  });

  it('has no differences when the traffic takes every declared edge and no other', () => {
    const g = compareWithDeclared([call('web', 'orders'), call('web', 'inventory'), call('orders', 'inventory')], shop);
    expect(g.differences).toEqual([]);
    expect(g.declared.every((d) => d.called)).toBe(true);
  });

  it('lists every dependency as unused and the services as nodes when nothing was called', () => {
    const g = compareWithDeclared([], shop);
    expect(g.edges).toEqual([]);
    expect(g.differences.map((d) => `${d.from}→${d.to} ${d.mark}`)).toEqual([
      'orders→inventory unused',
      'web→orders unused',
      'web→inventory unused',
    ]);
    expect(g.nodes.map((n) => n.name)).toEqual(['inventory', 'orders', 'web']);
  });
});
