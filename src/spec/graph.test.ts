import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { dependencyLevels, findCycles } from './graph.js';

const graph = (edges: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(edges).map(([n, d]) => [n, { dependsOn: d }]));

describe('dependencyLevels', () => {
  it('orders a 5-level graph, names sorted inside a level', () => {
    const services = graph({
      web: ['api', 'auth'],
      admin: ['api'],
      api: ['orders', 'cache'],
      auth: ['users-db'],
      orders: ['inventory', 'orders-db'],
      inventory: ['orders-db'],
      cache: [],
      'orders-db': [],
      'users-db': [],
      metrics: [],
    });
    expect(dependencyLevels(services)).toEqual([
      ['cache', 'metrics', 'orders-db', 'users-db'],
      ['auth', 'inventory'],
      ['orders'],
      ['api'],
      ['admin', 'web'],
    ]);
  });

  it('puts every service at level 0 when none depends on another', () => {
    expect(dependencyLevels(graph({ b: [], a: [] }))).toEqual([['a', 'b']]);
  });

  it('refuses cycles and unknown services with every problem listed', () => {
    let err: unknown;
    try {
      dependencyLevels(graph({ a: ['b'], b: ['a'], c: ['nope'] }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).problems).toEqual([
      { path: 'services.c.dependsOn', message: 'unknown service `nope`' },
      { path: 'services.a.dependsOn', message: 'dependency cycle: a → b → a' },
    ]);
  });
});

describe('findCycles', () => {
  it('returns nothing for an acyclic graph', () => {
    expect(findCycles(graph({ a: ['b'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('returns each cycle once as a path that ends where it started', () => {
    const cycles = findCycles(
      graph({
        web: ['orders'],
        orders: ['inventory'],
        inventory: ['payments', 'web'],
        payments: [],
        x: ['y'],
        y: ['x'],
        self: ['self'],
      }),
    );
    expect(cycles).toEqual([
      ['inventory', 'web', 'orders', 'inventory'],
      ['self', 'self'],
      ['x', 'y', 'x'],
    ]);
  });

  it('takes the shortest way back inside a tangled group', () => {
    expect(findCycles(graph({ a: ['b', 'c'], b: ['c'], c: ['a', 'b'] }))).toEqual([['a', 'c', 'a']]);
  });

  it('ignores dependencies on unknown services', () => {
    expect(findCycles(graph({ a: ['ghost'] }))).toEqual([]);
  });
});
