/**
 * What a plan says: per service its action and field changes (with their causes), the routes' and
 * the edge's changes. plan.ts computes it, planEdge.ts the edge's part; the CLI and the console show it.
 */
import type { Route, TrafficPolicy } from '../model/routing.js';
import type { Strategy } from '../spec/strategy.js';

export const PlanAction = {
  create: 'create',
  update: 'update',
  scale: 'scale',
  remove: 'remove',
  unchanged: 'unchanged',
} as const;
export type PlanAction = (typeof PlanAction)[keyof typeof PlanAction];

export interface FieldChange {
  /** As in berth.yaml, e.g. `env.LOG_LEVEL`, `files[app.conf]`, `replicas`, `health.readiness.period`. */
  path: string;
  from?: unknown;
  to?: unknown;
  /** Why: `config LOG_LEVEL`, `secret SESSION_SECRET`, `berth.yaml`, `environment`, `service address`. */
  because: string[];
}

export interface ServicePlan {
  service: string;
  action: PlanAction;
  /** Replicas will be replaced (the workload hash changes). */
  restart: boolean;
  fromHash?: string;
  toHash?: string;
  fromReplicas?: number;
  toReplicas?: number;
  /** How the new version replaces the running one when the service is updated. */
  strategy: Strategy['type'];
  changes: FieldChange[];
}

/** A route whose traffic policy changes (the route itself stays). */
export interface RoutePolicyChange {
  route: Route;
  from?: TrafficPolicy;
  to?: TrafficPolicy;
}

export interface Plan {
  app: string;
  env: string;
  fromConfigVersion?: number;
  toConfigVersion: number;
  services: ServicePlan[];
  routes: { added: Route[]; removed: Route[]; policyChanged: RoutePolicyChange[] };
  /** The edge's ports and TLS that change (`edge.port`, `edge.tls.port`, a certificate). */
  edge: FieldChange[];
  levels: string[][];
  /** True when anything at all changes. */
  changed: boolean;
}
