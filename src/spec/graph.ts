/**
 * The dependency graph of an app's services: deployment levels (what can roll out together)
 * and cycles, each reported as a readable path.
 *
 * Every walk here is iterative: a chain of thousands of services (`a` depends on `b`, which depends on
 * `c`, ...) or a cycle through all of them is a valid input to report on, not a reason to exhaust the
 * call stack. Names are looked up in Maps, never as properties of the input.
 */
import { InternalError, ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';

type Graph = Record<string, { dependsOn: readonly string[] }>;

/** Formats a cycle path as `a → b → a`. */
export function formatCycle(cycle: readonly string[]): string {
  return `dependency cycle: ${cycle.join(' → ')}`;
}

/** Each service's known dependencies, without duplicates, sorted: the graph's edges. */
function edgesOf(services: Graph): Map<string, string[]> {
  const names = new Set(Object.keys(services));
  const edges = new Map<string, string[]>();
  for (const n of [...names].sort())
    edges.set(n, [...new Set(services[n]!.dependsOn)].filter((d) => names.has(d)).sort());
  return edges;
}

/**
 * Every strongly connected group of services, each as one cycle path that ends where it started
 * (`[a, b, a]`; a self-dependency is `[a, a]`). Starts at the group's first name, takes the shortest
 * way back; dependencies on unknown services are ignored.
 */
export function findCycles(services: Graph): string[][] {
  const edges = edgesOf(services);
  const cycles: string[][] = [];
  for (const group of stronglyConnected(edges)) {
    const start = group[0]!;
    if (group.length === 1 && !edges.get(start)!.includes(start)) continue;
    cycles.push(shortestCycle(start, new Set(group), edges));
  }
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
}

/** Tarjan's algorithm with an explicit stack of (node, next edge) frames; each group sorted by name. */
function stronglyConnected(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const enter = (n: string) => {
    index.set(n, counter);
    low.set(n, counter);
    counter++;
    stack.push(n);
    onStack.add(n);
  };
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    enter(root);
    const frames: { node: string; next: number }[] = [{ node: root, next: 0 }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!;
      const n = frame.node;
      const out = edges.get(n)!;
      if (frame.next < out.length) {
        const d = out[frame.next++]!;
        if (!index.has(d)) {
          enter(d);
          frames.push({ node: d, next: 0 });
        } else if (onStack.has(d)) {
          low.set(n, Math.min(low.get(n)!, index.get(d)!));
        }
        continue;
      }
      // Every edge of n is done: close its group if it is a root, then hand its low link to its caller.
      frames.pop();
      if (low.get(n) === index.get(n)) {
        const group: string[] = [];
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          group.push(m);
        } while (m !== n);
        groups.push(group.sort());
      }
      const caller = frames[frames.length - 1];
      if (caller) low.set(caller.node, Math.min(low.get(caller.node)!, low.get(n)!));
    }
  }
  return groups;
}

function shortestCycle(start: string, group: Set<string>, edges: Map<string, string[]>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const n = queue[head]!;
    for (const d of edges.get(n)!) {
      if (!group.has(d)) continue;
      if (d === start) {
        const back: string[] = [];
        for (let m = n; m !== start; m = parent.get(m)!) back.push(m);
        return [start, ...back.reverse(), start];
      }
      if (!parent.has(d)) {
        parent.set(d, n);
        queue.push(d);
      }
    }
  }
  throw new InternalError(`no cycle through ${start}`);
}

/**
 * Services by deployment level: level 0 has no dependencies, level n depends only on levels below n.
 * Names are sorted inside a level. Throws ValidationError on unknown dependencies or cycles.
 */
export function dependencyLevels(services: Graph): string[][] {
  const problems: Problem[] = [];
  const names = new Set(Object.keys(services));
  for (const [name, s] of Object.entries(services)) {
    for (const d of s.dependsOn) {
      if (!names.has(d)) problems.push({ path: `services.${name}.dependsOn`, message: `unknown service \`${d}\`` });
    }
  }
  for (const c of findCycles(services)) problems.push({ path: `services.${c[0]}.dependsOn`, message: formatCycle(c) });
  if (problems.length > 0) throw new ValidationError('the service dependencies cannot be ordered', problems);

  // Kahn's order: a service's level is known once every dependency's is, one past the highest.
  const edges = edgesOf(services);
  const dependents = new Map<string, string[]>();
  const waiting = new Map<string, number>();
  for (const [n, deps] of edges) {
    waiting.set(n, deps.length);
    for (const d of deps) {
      const list = dependents.get(d);
      if (list) list.push(n);
      else dependents.set(d, [n]);
    }
  }
  const level = new Map<string, number>();
  const ready = [...edges.keys()].filter((n) => waiting.get(n) === 0);
  for (const n of ready) level.set(n, 0);
  for (let head = 0; head < ready.length; head++) {
    const n = ready[head]!;
    for (const m of dependents.get(n) ?? []) {
      level.set(m, Math.max(level.get(m) ?? 0, level.get(n)! + 1));
      const left = waiting.get(m)! - 1;
      waiting.set(m, left);
      if (left === 0) ready.push(m);
    }
  }
  const levels: string[][] = [];
  for (const n of edges.keys()) (levels[level.get(n)!] ??= []).push(n);
  return levels;
}
