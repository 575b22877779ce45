/**
 * The dependency graph of an app's services: deployment levels (what can roll out together)
 * and cycles, each reported as a readable path.
 */
import { InternalError, ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';

type Graph = Record<string, { dependsOn: readonly string[] }>;

/** Formats a cycle path as `a → b → a`. */
export function formatCycle(cycle: readonly string[]): string {
  return `dependency cycle: ${cycle.join(' → ')}`;
}

/**
 * Every strongly connected group of services, each as one cycle path that ends where it started
 * (`[a, b, a]`; a self-dependency is `[a, a]`). Starts at the group's first name, takes the shortest
 * way back; dependencies on unknown services are ignored.
 */
export function findCycles(services: Graph): string[][] {
  const names = Object.keys(services).sort();
  const edges = (n: string) => [...new Set(services[n]!.dependsOn)].filter((d) => Object.hasOwn(services, d)).sort();
  const cycles: string[][] = [];
  for (const group of stronglyConnected(names, edges)) {
    const start = group[0]!;
    if (group.length === 1 && !edges(start).includes(start)) continue;
    cycles.push(shortestCycle(start, new Set(group), edges));
  }
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
}

/** Tarjan's algorithm; each group sorted by name. */
function stronglyConnected(names: string[], edges: (n: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const visit = (n: string) => {
    index.set(n, counter);
    low.set(n, counter);
    counter++;
    stack.push(n);
    onStack.add(n);
    for (const d of edges(n)) {
      if (!index.has(d)) {
        visit(d);
        low.set(n, Math.min(low.get(n)!, low.get(d)!));
      } else if (onStack.has(d)) {
        low.set(n, Math.min(low.get(n)!, index.get(d)!));
      }
    }
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
  };
  for (const n of names) if (!index.has(n)) visit(n);
  return groups;
}

function shortestCycle(start: string, group: Set<string>, edges: (n: string) => string[]): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const n = queue.shift()!;
    for (const d of edges(n)) {
      if (!group.has(d)) continue;
      if (d === start) {
        const path = [start];
        for (let m = n; m !== start; m = parent.get(m)!) path.unshift(m);
        path.unshift(start);
        return path;
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
  for (const [name, s] of Object.entries(services)) {
    for (const d of s.dependsOn) {
      if (!Object.hasOwn(services, d))
        problems.push({ path: `services.${name}.dependsOn`, message: `unknown service \`${d}\`` });
    }
  }
  for (const c of findCycles(services)) problems.push({ path: `services.${c[0]}.dependsOn`, message: formatCycle(c) });
  if (problems.length > 0) throw new ValidationError('the service dependencies cannot be ordered', problems);

  const level = new Map<string, number>();
  const levelOf = (n: string): number => {
    const known = level.get(n);
    if (known !== undefined) return known;
    const l = services[n]!.dependsOn.reduce((max, d) => Math.max(max, levelOf(d) + 1), 0);
    level.set(n, l);
    return l;
  };
  const levels: string[][] = [];
  for (const n of Object.keys(services).sort()) (levels[levelOf(n)] ??= []).push(n);
  return levels;
}
