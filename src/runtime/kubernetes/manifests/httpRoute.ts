/**
 * The Gateway API traffic split of a progressive service: an HTTPRoute per host of its routes,
 * attached to the environment's Gateway, each route a rule whose backends are `<service>-stable` and
 * `<service>-canary` weighted `100 - w` / `w`. An A/B match comes first as its own rule (a header
 * match, or a regular expression on the `Cookie` header) that sends only to the canary. Also the
 * reverse: the split an applied HTTPRoute carries.
 */
import { createHash } from 'node:crypto';
import type { Route, TrafficMatch, TrafficSplit } from '../../../model/routing.js';
import { ANNOTATION, DEFAULT_GATEWAY_NAME, type KubernetesObject } from './contract.js';
import { objectMeta } from './labels.js';
import { routesAnnotation, type TrafficContext } from './trafficContext.js';
import { trackServiceName } from './tracks.js';

/** The API group of the Gateway API. */
export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** apiVersion of the HTTPRoutes Berth renders (Gateway API v1, standard channel). */
export const HTTP_ROUTE_API_VERSION = `${GATEWAY_API_GROUP}/v1`;

const MAX_NAME = 253;

/** `<service>` for routes without a host, `<service>-<host>` for the others (a DNS subdomain). */
export function httpRouteName(service: string, host: string | undefined): string {
  if (host === undefined) return service;
  const name = `${service}-${host
    .toLowerCase()
    .replace('*', 'wildcard')
    .replace(/[^a-z0-9.-]/g, '-')}`;
  if (name.length <= MAX_NAME) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 10);
  return `${name.slice(0, MAX_NAME - 11).replace(/[-.]+$/, '')}-${digest}`;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const COOKIE_PREFIX = '^(.*;\\s*)?';
const COOKIE_SUFFIX = '(;.*)?$';

/**
 * A regular expression on the `Cookie` header that matches when cookie `name` has `value`. Anchored
 * at both ends and without look-arounds, so it means the same to RE2 (Envoy, full match) and PCRE
 * (NGINX, search).
 */
export function cookieRegex(name: string, value: string): string {
  return `${COOKIE_PREFIX}${escapeRegExp(name)}=${escapeRegExp(value)}${COOKIE_SUFFIX}`;
}

/** The cookie name and value of a `cookieRegex`, or undefined for another expression. */
export function parseCookieRegex(re: string): { cookie: string; value: string } | undefined {
  if (!re.startsWith(COOKIE_PREFIX) || !re.endsWith(COOKIE_SUFFIX)) return undefined;
  const inner = re.slice(COOKIE_PREFIX.length, -COOKIE_SUFFIX.length);
  const eq = /^((?:\\.|[^\\=])*)=/.exec(inner);
  if (!eq) return undefined;
  const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');
  return { cookie: unescape(eq[1]!), value: unescape(inner.slice(eq[0].length)) };
}

function headerMatch(m: TrafficMatch): Record<string, unknown> {
  return 'header' in m
    ? { type: 'Exact', name: m.header, value: m.value }
    : { type: 'RegularExpression', name: 'Cookie', value: cookieRegex(m.cookie, m.value) };
}

/** The HTTPRoutes of one progressive service (none without routes). */
export function httpRoutes(t: TrafficContext): KubernetesObject[] {
  const { input, service, split } = t;
  const gateway = input.options.gateway ?? { name: DEFAULT_GATEWAY_NAME };
  const byHost = new Map<string | undefined, Route[]>();
  for (const r of t.routes) byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  const backend = (track: 'stable' | 'canary', weight?: number): Record<string, unknown> => ({
    name: trackServiceName(service, track),
    port: t.port,
    ...(weight === undefined ? {} : { weight }),
  });
  return [...byHost.entries()].map(([host, routes]) => {
    const hostname = host ?? input.options.defaultHost;
    const rules = routes.flatMap((r) => {
      const path = { type: 'PathPrefix', value: r.pathPrefix };
      const filters =
        r.stripPrefix && r.pathPrefix !== '/'
          ? {
              filters: [
                { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
              ],
            }
          : {};
      const weighted = {
        matches: [{ path }],
        ...filters,
        backendRefs: [backend('stable', 100 - split.canaryWeight), backend('canary', split.canaryWeight)],
      };
      if (!split.match) return [weighted];
      return [
        { matches: [{ path, headers: [headerMatch(split.match)] }], ...filters, backendRefs: [backend('canary')] },
        weighted,
      ];
    });
    return {
      apiVersion: HTTP_ROUTE_API_VERSION,
      kind: 'HTTPRoute',
      metadata: objectMeta(input, httpRouteName(service, host), service, 'edge', {
        annotations: { [ANNOTATION.routes]: routesAnnotation(routes) },
      }),
      spec: {
        parentRefs: [{ name: gateway.name, ...(gateway.namespace ? { namespace: gateway.namespace } : {}) }],
        ...(hostname ? { hostnames: [hostname] } : {}),
        rules,
      },
    };
  });
}

interface RouteRule {
  matches?: { headers?: { type?: string; name: string; value: string }[] }[];
  backendRefs?: { name: string; weight?: number }[];
}

/** The split an applied HTTPRoute of `service` carries (its weights read back from the backends). */
export function httpRouteSplit(route: KubernetesObject, service: string): TrafficSplit {
  const rules = ((route.spec as { rules?: RouteRule[] } | undefined)?.rules ?? []) as RouteRule[];
  const isMatch = (r: RouteRule): boolean => (r.matches ?? []).some((m) => (m.headers ?? []).length > 0);
  const refs = rules.find((r) => !isMatch(r))?.backendRefs ?? [];
  // A backend without a weight has weight 1 (Gateway API default).
  const weight = (b: { weight?: number }): number => b.weight ?? 1;
  const total = refs.reduce((n, b) => n + weight(b), 0);
  const canary = refs.filter((b) => b.name === trackServiceName(service, 'canary')).reduce((n, b) => n + weight(b), 0);
  const h = rules.find(isMatch)?.matches?.find((m) => m.headers?.length)?.headers?.[0];
  let match: TrafficMatch | undefined;
  if (h && (h.type ?? 'Exact') === 'Exact') match = { header: h.name.toLowerCase(), value: h.value };
  else if (h && h.type === 'RegularExpression' && h.name.toLowerCase() === 'cookie') match = parseCookieRegex(h.value);
  return { canaryWeight: total === 0 ? 0 : Math.round((100 * canary) / total), ...(match ? { match } : {}) };
}
