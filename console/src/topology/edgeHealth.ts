/**
 * How the topology page colours a call: by its error rate and p99 against fixed thresholds, and a
 * service by the worst of the calls it receives. The legend shows the same thresholds.
 */
import type { CallEdge } from '../api/types';

export const CallHealth = { healthy: 'healthy', slow: 'slow', failing: 'failing', idle: 'idle' } as const;
export type CallHealth = (typeof CallHealth)[keyof typeof CallHealth];

/** Above either, a call is slow (warning); above either of FAILING, failing. */
export const SLOW = { errorRate: 0.01, p99Ms: 300 } as const;
export const FAILING = { errorRate: 0.05, p99Ms: 1000 } as const;

export const callHealthColor: Record<CallHealth, string> = {
  healthy: '#52c41a',
  slow: '#faad14',
  failing: '#ff4d4f',
  idle: '#bfbfbf',
};

/** Dashed edges: a call dependsOn does not declare, a dependency never called. */
export const markColor = { undeclared: '#eb2f96', unused: '#fa8c16', declared: '#8c8c8c' } as const;

export function edgeHealth(e: Pick<CallEdge, 'errorRate' | 'p99Ms' | 'count'>): CallHealth {
  if (e.count === 0) return CallHealth.idle;
  if (e.errorRate >= FAILING.errorRate || e.p99Ms >= FAILING.p99Ms) return CallHealth.failing;
  if (e.errorRate >= SLOW.errorRate || e.p99Ms >= SLOW.p99Ms) return CallHealth.slow;
  return CallHealth.healthy;
}

const rank: Record<CallHealth, number> = { idle: 0, healthy: 1, slow: 2, failing: 3 };

/** A node's health: the worst call it receives; idle when it receives none. */
export function nodeHealth(name: string, edges: readonly CallEdge[]): CallHealth {
  let worst: CallHealth = CallHealth.idle;
  for (const e of edges)
    if (e.to === name) {
      const h = edgeHealth(e);
      if (rank[h] > rank[worst]) worst = h;
    }
  return worst;
}

/**
 * Node positions, left to right: a column per call depth (callers without callers first), nodes
 * spread within their column. A cycle is cut where it closes.
 */
export function layered(
  names: readonly string[],
  links: readonly { from: string; to: string }[],
): Map<string, { x: number; y: number }> {
  const depth = new Map<string, number>(names.map((n) => [n, 0]));
  // Longest path from a source, at most names.length rounds (a cycle stops growing then).
  for (let round = 0; round < names.length; round++) {
    let changed = false;
    for (const l of links) {
      if (l.from === l.to) continue;
      const d = (depth.get(l.from) ?? 0) + 1;
      if (d > (depth.get(l.to) ?? 0) && d < names.length) {
        depth.set(l.to, d);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const columns: string[][] = [];
  for (const n of names) (columns[depth.get(n) ?? 0] ??= []).push(n);
  const tallest = Math.max(1, ...columns.map((c) => c?.length ?? 0));
  const pos = new Map<string, { x: number; y: number }>();
  columns.forEach((col, i) =>
    col.forEach((n, j) => pos.set(n, { x: i * 200, y: (j - (col.length - 1) / 2) * (300 / tallest) })),
  );
  return pos;
}
