/**
 * The observed call graph beside the declared one: a call between two services of the app that the
 * caller does not list in `dependsOn` is `undeclared`; a `dependsOn` entry with no call in the window
 * is `unused`. Calls from outside (the edge), from unknown callers and to or from other apps are
 * shown but not compared: `dependsOn` says nothing about them. A service calling its own address is
 * not compared either (it cannot depend on itself).
 */
import {
  CallMark,
  CallNodeKind,
  OUTSIDE,
  UNKNOWN,
  type CallDifference,
  type CallEdge,
  type CallNode,
  type DeclaredEdge,
} from '../model/callGraph.js';

/** What the comparison takes: the app's services and their `dependsOn`, in berth.yaml order. */
export interface DeclaredGraph {
  services: readonly string[];
  dependsOn: ReadonlyMap<string, readonly string[]>;
}

export interface ComparedGraph {
  nodes: CallNode[];
  edges: CallEdge[];
  declared: DeclaredEdge[];
  differences: CallDifference[];
}

const key = (from: string, to: string): string => `${from}\u0000${to}`;

function kindOf(name: string, services: ReadonlySet<string>): CallNodeKind {
  if (services.has(name)) return CallNodeKind.service;
  if (name === OUTSIDE) return CallNodeKind.outside;
  if (name === UNKNOWN) return CallNodeKind.unknown;
  return CallNodeKind.external;
}

/** Marks the observed edges against the declared graph and lists the differences. */
export function compareWithDeclared(observed: readonly CallEdge[], declaredGraph: DeclaredGraph): ComparedGraph {
  const services = new Set(declaredGraph.services);
  const declaredKeys = new Set<string>();
  for (const [from, tos] of declaredGraph.dependsOn) for (const to of tos) declaredKeys.add(key(from, to));
  const calledKeys = new Set(observed.map((e) => key(e.from, e.to)));

  const edges = observed.map((e): CallEdge => {
    const compared = services.has(e.from) && services.has(e.to) && e.from !== e.to;
    return compared && !declaredKeys.has(key(e.from, e.to)) ? { ...e, mark: CallMark.undeclared } : { ...e };
  });
  const declared: DeclaredEdge[] = [];
  for (const from of declaredGraph.services)
    for (const to of declaredGraph.dependsOn.get(from) ?? [])
      declared.push({ from, to, called: calledKeys.has(key(from, to)) });

  const differences: CallDifference[] = [
    ...edges.filter((e) => e.mark !== undefined).map((e) => ({ from: e.from, to: e.to, mark: CallMark.undeclared })),
    ...declared.filter((d) => !d.called).map((d) => ({ from: d.from, to: d.to, mark: CallMark.unused })),
  ];

  const nodes: CallNode[] = declaredGraph.services.map((name) => ({ name, kind: CallNodeKind.service }));
  const seen = new Set(declaredGraph.services);
  for (const e of edges)
    for (const name of [e.from, e.to])
      if (!seen.has(name)) {
        seen.add(name);
        nodes.push({ name, kind: kindOf(name, services) });
      }
  return { nodes, edges, declared, differences };
}
