/**
 * An app's edge on one machine: its routes in the gateway's table, on the app's edge port, with its
 * HTTPS side (certificates written as files, a development CA's for `devHosts`).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EdgeTlsListener, GatewayControl } from '../../gateway/table.js';
import type { AppRoutes, EdgeTls } from '../../model/routing.js';
import { devCertificate } from './devCa.js';
import { pruneEdgeCertificates, writeEdgeCertificates } from './edgeCertificates.js';
import { edgeCannotListen } from './listenerProblem.js';
import type { PortRegistry } from './ports.js';
import { checkName } from './replicaStore.js';

const DEFAULT_TLS_PORT = 8443;

export interface EdgeDeps {
  home: string;
  ports: PortRegistry;
  gateway: GatewayControl;
  logger: Logger;
  /** Starts (or adopts) the gateway process once. */
  gatewayReady(): Promise<void>;
}

/** Serves `routes` on the app's edge (none: the edge goes away). Idempotent. */
export async function applyEdgeRoutes(deps: EdgeDeps, routes: AppRoutes): Promise<void> {
  const key = `${checkName('app', routes.app)}/${checkName('env', routes.env)}`;
  const port = await deps.ports.edgePort(key, routes.edge);
  const tls = routes.routes.length > 0 ? await edgeTls(deps, key, routes.edge?.tls) : undefined;
  await deps.gatewayReady();
  await deps.gateway.update((t) => {
    t.edges = t.edges.filter((e) => e.key !== key);
    if (routes.routes.length > 0) {
      t.edges.push({
        key,
        port,
        routes: routes.routes.map((r) => ({
          ...(r.host !== undefined ? { host: r.host } : {}),
          pathPrefix: r.pathPrefix,
          target: `${key}/${r.service}`,
          stripPrefix: r.stripPrefix,
          ...(r.policy ? { policy: r.policy } : {}),
        })),
        ...(tls ? { tls } : {}),
      });
    }
    t.generation++;
  });
  pruneCertificates(deps);
  const failed = deps.gateway.listenerErrors().find((e) => e.key === key);
  if (failed) throw edgeCannotListen(key, failed);
}

/** Removes certificate files no edge of the gateway's table uses any more. */
export function pruneCertificates(deps: Pick<EdgeDeps, 'home' | 'gateway' | 'logger'>): void {
  try {
    pruneEdgeCertificates(certificateDir(deps.home), deps.gateway.table().edges);
  } catch (err) {
    deps.logger.warn({ err }, 'could not remove unused edge certificates');
  }
}

function certificateDir(home: string): string {
  return join(home, 'gateway', 'tls');
}

/** The HTTPS side of an edge: its port (from 8443 up unless set) and its certificates as files. */
async function edgeTls(deps: EdgeDeps, key: string, tls: EdgeTls | undefined): Promise<EdgeTlsListener | undefined> {
  if (!tls) return undefined;
  const certificates = [...tls.certificates];
  if (tls.devHosts?.length)
    certificates.push({ hosts: tls.devHosts, ...(await devCertificate(deps.home, tls.devHosts)) });
  if (certificates.length === 0) return undefined;
  const port = await deps.ports.edgePort(
    `${key} https`,
    tls.port ? { port: tls.port } : { preferredPort: DEFAULT_TLS_PORT },
  );
  const files = writeEdgeCertificates(certificateDir(deps.home), certificates);
  return { port, redirect: tls.redirect, certificates: files };
}
