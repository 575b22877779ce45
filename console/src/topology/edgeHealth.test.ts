import { describe, expect, it } from 'vitest';
import type { CallEdge } from '../api/types';
import { edgeHealth, layered, nodeHealth } from './edgeHealth';

const edge = (from: string, to: string, errorRate: number, p99Ms: number, count = 10): CallEdge => ({
  from,
  to,
  count,
  ratePerSec: 1,
  errors: Math.round(errorRate * count),
  errorRate,
  p50Ms: 1,
  p99Ms,
});

describe('call health', () => {
  it('is failing at 5% errors or a p99 of 1 s, slow at 1% or 300 ms, idle without calls', () => {
    expect(edgeHealth(edge('a', 'b', 0, 20))).toBe('healthy');
    expect(edgeHealth(edge('a', 'b', 0.01, 20))).toBe('slow');
    expect(edgeHealth(edge('a', 'b', 0, 300))).toBe('slow');
    expect(edgeHealth(edge('a', 'b', 0.05, 20))).toBe('failing');
    expect(edgeHealth(edge('a', 'b', 0, 1000))).toBe('failing');
    expect(edgeHealth(edge('a', 'b', 0, 0, 0))).toBe('idle');
  });

  it('gives a node the worst health of the calls it receives', () => {
    const edges = [edge('x', 'web', 0, 10), edge('y', 'web', 0.2, 10), edge('web', 'db', 0, 400)];
    expect(nodeHealth('web', edges)).toBe('failing');
    expect(nodeHealth('db', edges)).toBe('slow');
    expect(nodeHealth('x', edges)).toBe('idle');
  });
});

describe('layered', () => {
  it('puts each node one column right of its deepest caller, and survives a cycle', () => {
    const pos = layered(
      ['inventory', 'orders', 'web', '(outside)'],
      [
        { from: '(outside)', to: 'web' },
        { from: 'web', to: 'orders' },
        { from: 'orders', to: 'inventory' },
        { from: '(outside)', to: 'inventory' },
      ],
    );
    expect(Object.fromEntries([...pos].map(([n, p]) => [n, p.x]))).toEqual({
      '(outside)': 0,
      web: 200,
      orders: 400,
      inventory: 600,
    });
    const cyc = layered(
      ['a', 'b'],
      [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
      ],
    );
    expect(cyc.size).toBe(2);
  });
});
