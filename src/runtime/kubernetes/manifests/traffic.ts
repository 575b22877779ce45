/**
 * A progressive service's traffic split, by the environment's router: Gateway API HTTPRoutes
 * (httpRoute.ts) or an ingress-nginx canary Ingress (canaryIngress.ts); and the split read back from
 * whichever of them is applied.
 */
import type { Problem } from '../../../errors.js';
import type { Route, TrafficSplit } from '../../../model/routing.js';
import type { ServiceState } from '../../../model/serviceState.js';
import { LABEL, type KubernetesObject, type ManifestInput, type ServiceShape } from './contract.js';
import { TrafficRouter } from '../../../model/routing.js';
import { canaryIngress, canaryIngressSplit, nginxMatchProblem } from './canaryIngress.js';
import { HTTP_ROUTE_API_VERSION, httpRouteSplit, httpRoutes } from './httpRoute.js';
import { trackServiceName } from './tracks.js';
import { desiredSplit } from './trafficContext.js';
import { compareText } from '../../../collate.js';

/**
 * The traffic objects of one progressive service for `routes` (the app's routes; others' are
 * skipped), at `split` (default: the state's, see `desiredSplit`).
 */
export function trafficObjects(
  input: ManifestInput,
  state: ServiceState,
  shape: ServiceShape,
  routes: Route[],
  problems: Problem[],
  split: TrafficSplit = desiredSplit(state),
): KubernetesObject[] {
  const service = state.service;
  const own = routes.filter((r) => r.service === service);
  const port = state.workload.ports[0];
  // A route to a service without a port is reported by the app's Ingress.
  if (own.length === 0 || !port) return [];
  const at = `services.${service}`;
  if (!Number.isInteger(split.canaryWeight) || split.canaryWeight < 0 || split.canaryWeight > 100)
    problems.push({
      path: `${at}.traffic.canaryWeight`,
      message: `must be a whole number from 0 to 100 (got ${split.canaryWeight})`,
    });
  const router = input.options.trafficRouter ?? TrafficRouter.gatewayApi;
  const t = { input, service, routes: own, port: port.port, portName: port.name, split, problems };
  if (router === TrafficRouter.ingressNginx) {
    const why = nginxMatchProblem(split.match) ?? nginxMatchProblem(shape.progressive?.match);
    if (why) problems.push({ path: `${at}.strategy.match.value`, message: why });
    const ing = canaryIngress(t);
    return ing ? [ing] : [];
  }
  return httpRoutes(t);
}

/** Whether an object is a traffic object (HTTPRoute or canary Ingress) of `service`. */
export function isTrafficObject(o: KubernetesObject, service?: string): boolean {
  const svc = o.metadata.labels?.[LABEL.name];
  if (svc === undefined || (service !== undefined && svc !== service)) return false;
  if (o.apiVersion === HTTP_ROUTE_API_VERSION && o.kind === 'HTTPRoute') return true;
  return o.kind === 'Ingress' && o.metadata.name === trackServiceName(svc, 'canary');
}

/** The live split of `service` from its applied traffic objects; undefined when it has none. */
export function liveSplit(objects: KubernetesObject[], service: string): TrafficSplit | undefined {
  const own = objects
    .filter((o) => isTrafficObject(o, service))
    .sort((a, b) => compareText(a.metadata.name, b.metadata.name));
  const route = own.find((o) => o.kind === 'HTTPRoute');
  if (route) return httpRouteSplit(route, service);
  const ing = own.find((o) => o.kind === 'Ingress');
  return ing ? canaryIngressSplit(ing) : undefined;
}
