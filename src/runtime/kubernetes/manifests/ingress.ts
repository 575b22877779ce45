/** The app's routes → one Ingress named after the app (class configurable). */
import type { Problem } from '../../../errors.js';
import type { Route } from '../../../model/routing.js';
import type { KubernetesObject, ManifestInput } from './contract.js';
import { TrafficRouter } from '../../../model/routing.js';
import { objectMeta } from './labels.js';
import { hasTracks, shapeIn, trackServiceName } from './tracks.js';
import { DNS_LABEL } from '../../../model/names.js';
import { compareText } from '../../../collate.js';

/**
 * Routes with `stripPrefix` are listed in this annotation: the Ingress API has no prefix rewriting,
 * so the controller's own mechanism (e.g. an ingress-nginx rewrite or a Traefik middleware) must do it.
 */
export const STRIP_PREFIX_ANNOTATION = 'berth.dev/strip-prefix';

/** cert-manager's annotation: it issues the Ingress's `tls` Secret from this ClusterIssuer. */
export const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';

/** One path of an Ingress rule: host (or none), path prefix, and the backend Service and port name. */
export interface IngressPath {
  host: string;
  path: string;
  service: string;
  port: string;
}

/**
 * Why Kubernetes would refuse `host` as an Ingress rule's host, or undefined: a DNS-1123 subdomain,
 * not an IP address, at most 253 characters, labels of at most 63; a wildcard `*` only as the whole
 * first label (`*.shop.local`; it matches exactly one label there, as on one machine).
 */
export function ingressHostProblem(host: string): string | undefined {
  const labels = host.split('.');
  const wildcard = labels[0] === '*';
  const rest = wildcard ? labels.slice(1) : labels;
  if (host.length > 253) return 'is longer than 253 characters, the longest host an Ingress takes';
  if (host.includes('*') && !(wildcard && !rest.some((l) => l.includes('*'))))
    return 'a wildcard must be the whole first label, as in `*.shop.local`';
  if (rest.length === 0) return 'a wildcard needs a domain after it, as in `*.shop.local`';
  if (!rest.every((l) => DNS_LABEL.test(l) && l.length <= 63))
    return 'must be a DNS name of lower-case labels (letters, digits, `-`; at most 63 characters each)';
  if (!wildcard && rest.length === 4 && rest.every((l) => /^\d+$/.test(l)))
    return 'is an IP address; an Ingress host must be a DNS name';
  return undefined;
}

/** Ingress rules: one per host (sorted), its paths longest first. */
export function ingressRules(paths: IngressPath[]): Record<string, unknown>[] {
  const byHost = new Map<string, IngressPath[]>();
  for (const p of paths) byHost.set(p.host, [...(byHost.get(p.host) ?? []), p]);
  return [...byHost.entries()]
    .sort(([a], [b]) => compareText(a, b))
    .map(([host, list]) => ({
      ...(host ? { host } : {}),
      http: {
        // Longest prefix first: the order people read; controllers match the longest prefix anyway.
        paths: list
          .sort((a, b) => b.path.length - a.path.length || compareText(a.path, b.path))
          .map((p) => ({
            path: p.path,
            pathType: 'Prefix',
            backend: { service: { name: p.service, port: { name: p.port } } },
          })),
      },
    }));
}

/** The `berth.dev/strip-prefix` annotation of these routes, when any strips its prefix. */
export function stripPrefixAnnotation(input: ManifestInput, routes: Route[]): Record<string, string> {
  const strip = routes
    .filter((r) => r.stripPrefix && r.pathPrefix !== '/')
    .map((r) => `${r.host ?? input.options.defaultHost ?? ''}${r.pathPrefix}`);
  return strip.length ? { [STRIP_PREFIX_ANNOTATION]: strip.sort().join(',') } : {};
}

/**
 * The Ingress of the app; none without routes. A progressive service's routes go to its stable
 * track's Service when ingress-nginx splits the traffic (its canary Ingress takes the rest), and are
 * left to its HTTPRoutes when the Gateway API does.
 */
export function ingress(input: ManifestInput, problems: Problem[]): KubernetesObject | undefined {
  const router = input.options.trafficRouter ?? TrafficRouter.gatewayApi;
  const paths: IngressPath[] = [];
  const served: Route[] = [];
  input.routes.forEach((r, i) => {
    const state = input.services[r.service];
    const port = state?.workload.ports[0];
    if (!port) {
      problems.push({
        path: `routes.${i}.service`,
        message: `service ${r.service} declares no port, so an Ingress cannot reach it`,
      });
      return;
    }
    const host = r.host ?? (input.options.defaultHost || undefined);
    const bad = host === undefined ? undefined : ingressHostProblem(host);
    if (bad !== undefined) {
      problems.push({
        path: r.host !== undefined ? `routes.${i}.host` : 'defaultHost',
        message: `host ${host} ${bad}`,
      });
      return;
    }
    const tracked = hasTracks({ shape: shapeIn(input, r.service), state });
    if (tracked && router === TrafficRouter.gatewayApi) return;
    served.push(r);
    paths.push({
      host: host ?? '',
      path: r.pathPrefix,
      service: tracked ? trackServiceName(r.service, 'stable') : r.service,
      port: port.name,
    });
  });
  if (paths.length === 0) return undefined;
  const tls = input.ingressTls;
  // The certificate covers every host the Ingress serves (a wildcard as written).
  const hosts = [...new Set(paths.map((p) => p.host).filter(Boolean))].sort();
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: objectMeta(input, input.app, undefined, 'edge', {
      annotations: {
        ...stripPrefixAnnotation(input, served),
        ...(tls?.clusterIssuer ? { [CLUSTER_ISSUER_ANNOTATION]: tls.clusterIssuer } : {}),
      },
    }),
    spec: {
      ...(input.options.ingressClassName ? { ingressClassName: input.options.ingressClassName } : {}),
      ...(tls?.secrets
        ? { tls: tls.secrets.map((s) => ({ hosts: [...s.hosts].sort(), secretName: s.name })) }
        : tls
          ? { tls: [{ ...(hosts.length ? { hosts } : {}), secretName: tls.secretName }] }
          : {}),
      rules: ingressRules(paths),
    },
  };
}
