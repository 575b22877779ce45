/**
 * What the traffic-split renderers (HTTPRoute, ingress-nginx canary Ingress) get for one progressive
 * service, and the `berth.dev/routes` annotation that records which routes a traffic object serves.
 */
import { z } from 'zod';
import type { Problem } from '../../../errors.js';
import type { Route, TrafficSplit } from '../../../model/routing.js';
import type { ServiceState } from '../../../model/serviceState.js';
import type { ManifestInput } from './contract.js';

/** One progressive service's traffic split, as its renderers need it. */
export interface TrafficContext {
  input: ManifestInput;
  service: string;
  /** The service's routes (host, path prefix, strip prefix). */
  routes: Route[];
  /** The first port of the service (what the track Services listen on): number and name. */
  port: number;
  portName: string;
  split: TrafficSplit;
  problems: Problem[];
}

/**
 * The split to render for a state: its `traffic` while a canary runs; everything to stable when no
 * canary runs (a header match to a track without pods would answer 503).
 */
export function desiredSplit(state: Pick<ServiceState, 'canary' | 'traffic'>): TrafficSplit {
  return state.canary ? (state.traffic ?? { canaryWeight: 0 }) : { canaryWeight: 0 };
}

/** The routes of a traffic object as the compact JSON of `berth.dev/routes` (the service is the object's). */
export function routesAnnotation(routes: Route[]): string {
  return JSON.stringify(
    routes.map((r) => ({
      ...(r.host === undefined ? {} : { host: r.host }),
      path: r.pathPrefix,
      strip: r.stripPrefix,
    })),
  );
}

const annotated = z.array(z.object({ host: z.string().optional(), path: z.string(), strip: z.boolean() }));

/** The routes a `berth.dev/routes` annotation lists for `service`; none when it is missing or not Berth's. */
export function routesFromAnnotation(value: string | undefined, service: string): Route[] {
  if (value === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return [];
  }
  const parsed = annotated.safeParse(json);
  if (!parsed.success) return [];
  return parsed.data.map((r) => ({
    ...(r.host === undefined ? {} : { host: r.host }),
    pathPrefix: r.path,
    service,
    stripPrefix: r.strip,
  }));
}
