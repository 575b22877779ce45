/** The app's routes → one Ingress named after the app (class configurable). */
import type { Problem } from '../../../errors.js';
import type { KubernetesObject, ManifestInput } from './contract.js';
import { objectMeta } from './labels.js';

/**
 * Routes with `stripPrefix` are listed in this annotation: the Ingress API has no prefix rewriting,
 * so the controller's own mechanism (e.g. an ingress-nginx rewrite or a Traefik middleware) must do it.
 */
export const STRIP_PREFIX_ANNOTATION = 'berth.dev/strip-prefix';

/** The Ingress of the app; none without routes. */
export function ingress(input: ManifestInput, problems: Problem[]): KubernetesObject | undefined {
  if (input.routes.length === 0) return undefined;
  const byHost = new Map<string, Record<string, unknown>[]>();
  const strip: string[] = [];
  input.routes.forEach((r, i) => {
    const port = input.services[r.service]?.workload.ports[0];
    if (!port) {
      problems.push({
        path: `routes.${i}.service`,
        message: `service ${r.service} declares no port, so an Ingress cannot reach it`,
      });
      return;
    }
    const host = r.host ?? input.options.defaultHost ?? '';
    if (r.stripPrefix && r.pathPrefix !== '/') strip.push(`${host}${r.pathPrefix}`);
    const paths = byHost.get(host) ?? [];
    paths.push({
      path: r.pathPrefix,
      pathType: 'Prefix',
      backend: { service: { name: r.service, port: { name: port.name } } },
    });
    byHost.set(host, paths);
  });
  const rules = [...byHost.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([host, paths]) => ({
      ...(host ? { host } : {}),
      http: {
        // Longest prefix first: the order people read; controllers match the longest prefix anyway.
        paths: paths.sort(
          (a, b) => String(b.path).length - String(a.path).length || String(a.path).localeCompare(String(b.path)),
        ),
      },
    }));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: objectMeta(input, input.app, undefined, 'edge', {
      ...(strip.length ? { annotations: { [STRIP_PREFIX_ANNOTATION]: strip.sort().join(',') } } : {}),
    }),
    spec: {
      ...(input.options.ingressClassName ? { ingressClassName: input.options.ingressClassName } : {}),
      rules,
    },
  };
}
