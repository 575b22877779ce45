/**
 * The ingress-nginx traffic split of a progressive service: a second Ingress `<service>-canary` with
 * the same hosts and paths as the app's Ingress (which sends them to `<service>-stable`), marked
 * `canary: "true"`, sending its weight, a header value, or a cookie set to `always` to
 * `<service>-canary`. Also the reverse: the split an applied canary Ingress carries.
 */
import type { TrafficMatch, TrafficSplit } from '../../../model/routing.js';
import { ANNOTATION, type KubernetesObject } from './contract.js';
import { ingressRules, stripPrefixAnnotation } from './ingress.js';
import { objectMeta } from './labels.js';
import { trackServiceName } from './tracks.js';
import { routesAnnotation, type TrafficContext } from './trafficContext.js';

const PREFIX = 'nginx.ingress.kubernetes.io/';

/** The ingress-nginx canary annotations Berth sets. */
export const NGINX_CANARY = {
  canary: `${PREFIX}canary`,
  weight: `${PREFIX}canary-weight`,
  byHeader: `${PREFIX}canary-by-header`,
  byHeaderValue: `${PREFIX}canary-by-header-value`,
  byCookie: `${PREFIX}canary-by-cookie`,
} as const;

/** ingress-nginx sends a request to the canary when the cookie has this value, and only this one. */
export const NGINX_COOKIE_VALUE = 'always';

/** Why ingress-nginx cannot express `match`, if it cannot. */
export function nginxMatchProblem(match: TrafficMatch | undefined): string | undefined {
  if (match && 'cookie' in match && match.value !== NGINX_COOKIE_VALUE)
    return `ingress-nginx routes by cookie only when the cookie's value is "${NGINX_COOKIE_VALUE}" (got "${match.value}"): use value: ${NGINX_COOKIE_VALUE}, a header match, or the Gateway API router`;
  return undefined;
}

function matchAnnotations(match: TrafficMatch | undefined): Record<string, string> {
  if (!match) return {};
  if ('header' in match) return { [NGINX_CANARY.byHeader]: match.header, [NGINX_CANARY.byHeaderValue]: match.value };
  return { [NGINX_CANARY.byCookie]: match.cookie };
}

/** The canary Ingress of one progressive service (none without routes). */
export function canaryIngress(t: TrafficContext): KubernetesObject | undefined {
  const { input, service, split, routes } = t;
  if (routes.length === 0) return undefined;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: objectMeta(input, trackServiceName(service, 'canary'), service, 'edge', {
      track: 'canary',
      annotations: {
        [NGINX_CANARY.canary]: 'true',
        [NGINX_CANARY.weight]: String(split.canaryWeight),
        ...matchAnnotations(split.match),
        ...stripPrefixAnnotation(input, routes),
        [ANNOTATION.routes]: routesAnnotation(routes),
      },
    }),
    spec: {
      ...(input.options.ingressClassName ? { ingressClassName: input.options.ingressClassName } : {}),
      rules: ingressRules(
        routes.map((r) => ({
          host: r.host ?? input.options.defaultHost ?? '',
          path: r.pathPrefix,
          service: trackServiceName(service, 'canary'),
          port: t.portName,
        })),
      ),
    },
  };
}

/** The split an applied canary Ingress carries. */
export function canaryIngressSplit(ing: KubernetesObject): TrafficSplit {
  const a = ing.metadata.annotations ?? {};
  const weight = Number(a[NGINX_CANARY.weight] ?? 0);
  const header = a[NGINX_CANARY.byHeader];
  const cookie = a[NGINX_CANARY.byCookie];
  const match: TrafficMatch | undefined =
    header !== undefined && a[NGINX_CANARY.byHeaderValue] !== undefined
      ? { header, value: a[NGINX_CANARY.byHeaderValue] }
      : cookie !== undefined
        ? { cookie, value: NGINX_COOKIE_VALUE }
        : undefined;
  return { canaryWeight: Number.isFinite(weight) ? weight : 0, ...(match ? { match } : {}) };
}
