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

describe('deep graphs', () => {
  /** s0 ← s1 ← … ← s(n-1): each service depends on the one before it (and s0 on the last when `cycle`). */
  const chain = (n: number, cycle = false) =>
    graph(
      Object.fromEntries(
        Array.from({ length: n }, (_, i) => [`s${i}`, i > 0 ? [`s${i - 1}`] : cycle ? [`s${n - 1}`] : []]),
      ),
    );

  it('orders a 20,000-deep chain, one service per level, without exhausting the stack', () => {
    const levels = dependencyLevels(chain(20_000));
    expect(levels).toHaveLength(20_000);
    expect(levels[0]).toEqual(['s0']);
    expect(levels[19_999]).toEqual(['s19999']);
  });

  it('reports a cycle through 10,000 services as one path', () => {
    const cycles = findCycles(chain(10_000, true));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(10_001);
    expect(cycles[0]!.slice(0, 3)).toEqual(['s0', 's9999', 's9998']);
    expect(cycles[0]!.at(-1)).toBe('s0');
  });

  it('looks service names up as names, not as properties of an object', () => {
    expect(dependencyLevels(graph({ constructor: [], toString: ['constructor'] }))).toEqual([
      ['constructor'],
      ['toString'],
    ]);
    expect(() => dependencyLevels(graph({ a: ['constructor'] }))).toThrow(ValidationError);
  });
});
