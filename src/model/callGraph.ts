/**
 * The call graph from real traffic (issue 16, point 3): which service called which over a window,
 * aggregated from the gateway's spans, beside the graph the app declares (`dependsOn`). Part of the
 * shared model: src/traces/ computes it, the API and CLI send and print it, the console draws it.
 */

/** The caller of hops that entered at the app's edge: a client outside Berth. */
export const OUTSIDE = '(outside)';
/**
 * The caller of service hops whose parent the gateway did not record: a replica that did not
 * forward `traceparent` (each of its calls starts a new trace), or one that traces itself.
 */
export const UNKNOWN = '(unknown)';

/** What a node of the graph stands for. */
export const CallNodeKind = {
  /** A service of the app in this environment. */
  service: 'service',
  /** Clients outside Berth, through the app's edge. */
  outside: 'outside',
  /** Callers the gateway could not tell (no forwarded `traceparent`). */
  unknown: 'unknown',
  /** A service of another app or environment (`app/env/service`). */
  external: 'external',
} as const;
export type CallNodeKind = (typeof CallNodeKind)[keyof typeof CallNodeKind];

/** One node: a service by its name, another app's service as `app/env/service`, or OUTSIDE / UNKNOWN. */
export interface CallNode {
  name: string;
  kind: CallNodeKind;
}

/** How an edge differs from the declared graph. */
export const CallMark = {
  /** Observed between two services, but the caller does not declare the callee in `dependsOn`. */
  undeclared: 'undeclared',
  /** Declared in `dependsOn`, never called in the window. */
  unused: 'unused',
} as const;
export type CallMark = (typeof CallMark)[keyof typeof CallMark];

/** Calls from one node to another over the window, as the gateway answered them. */
export interface CallEdge {
  from: string;
  to: string;
  /** Hops (requests) in the window. */
  count: number;
  /** `count` over the window's length, requests per second (3 significant digits). */
  ratePerSec: number;
  /** Hops that failed: a 5xx, a gateway failure, or an answer cut short. */
  errors: number;
  /** `errors / count`, 0 to 1. */
  errorRate: number;
  /** Median duration at the gateway, ms (nearest rank). */
  p50Ms: number;
  /** 99th percentile duration at the gateway, ms (nearest rank). */
  p99Ms: number;
  /** Set when the call is between two services of the app and not declared. */
  mark?: 'undeclared';
}

/** One `dependsOn` entry of the app's release: `from` depends on `to`. */
export interface DeclaredEdge {
  from: string;
  to: string;
  /** Whether `from` called `to` in the window. */
  called: boolean;
}

/** One difference between what runs and what is declared. */
export interface CallDifference {
  from: string;
  to: string;
  mark: CallMark;
}

/** `GET /api/v1/apps/:app/envs/:env/callgraph`: the observed calls beside the declared dependencies. */
export interface CallGraph {
  app: string;
  env: string;
  /** The window as asked (`15m`, `1h`, `2d`). */
  window: string;
  windowMs: number;
  /** Start and end of the window (ISO 8601). */
  since: string;
  until: string;
  /** The revision whose berth.yaml gave the declared graph. */
  revision: number;
  /** The app's services, then the other callers and callees that appear in `edges`. */
  nodes: CallNode[];
  /** Observed calls, busiest first. */
  edges: CallEdge[];
  /** Every `dependsOn` of the revision. */
  declared: DeclaredEdge[];
  /** Undeclared calls, then unused dependencies. */
  differences: CallDifference[];
}
