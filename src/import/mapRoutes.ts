/**
 * Published ports (`ports: ["8080:80"]`) as the app's edge routes. Compose publishes a port on the
 * host; Berth publishes HTTP services through the edge (the built-in proxy on one machine, an
 * Ingress on clusters). The first service, in file order, whose published port is its first port
 * and speaks HTTP gets `/`; the next ones `/<service>` with the prefix stripped, since one edge
 * serves them all. Other published ports are reached through the service's address.
 */
import type { ServiceContext } from './context.js';
import { upperName } from './names.js';

/** A route in berth.yaml's input form. */
export interface RouteOut {
  path: string;
  service: string;
  stripPrefix?: true;
}

/** The routes of the services' published HTTP ports; reports every published `ports` entry. */
export function mapRoutes(services: readonly ServiceContext[]): RouteOut[] {
  const routes: RouteOut[] = [];
  for (const s of services) {
    const first = s.out.ports[0];
    const http = first !== undefined && first.protocol !== 'UDP' && (first.appProtocol ?? 'http') === 'http';
    for (const p of s.published) {
      const to = `services.${s.name}.ports`;
      const routed = http && p.ports.includes(first.port);
      let how: string;
      if (routed && !routes.some((r) => r.service === s.name)) {
        const route: RouteOut =
          routes.length === 0
            ? { path: '/', service: s.name }
            : { path: `/${s.name}`, service: s.name, stripPrefix: true };
        routes.push(route);
        how = `the app's edge routes \`${route.path}\`${route.stripPrefix ? ' (prefix stripped)' : ''} to it instead (routes.${routes.length - 1}; \`berth status\` shows the edge's address, \`edge.port\` chooses it)`;
      } else if (routed) how = `the app's edge routes to it already`;
      else
        how = `Berth publishes HTTP services through the app's edge (\`routes\`, to a service's first port); reach this port through the service's address: \`berth status\`, and ${upperName(s.name)}_HOST / _PORT for the other services`;
      s.report.changed(
        p.path,
        to,
        `${p.what}; ${[...p.notes, `published on ${p.host} in compose: ${how}`].join('; ')}`,
      );
    }
  }
  return routes;
}
