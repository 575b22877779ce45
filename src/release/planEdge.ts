/**
 * What a plan says about an app's edge: its HTTP port, its HTTPS port, the redirect, each
 * certificate (by its hosts, shown as the certificate's SHA-256), the development CA's hosts and the
 * Ingress TLS Secret, named by berth.yaml's `edge` paths. A port set by the environment says so.
 */
import type { EdgeSettings } from '../model/routing.js';
import type { FieldChange } from './planTypes.js';

interface EdgeField {
  value: unknown;
  /** Where it was set, when the edge knows (`environment stage (--edge-port)`). */
  from?: string;
}

function flattenEdge(e: EdgeSettings | undefined): Map<string, EdgeField> {
  const out = new Map<string, EdgeField>();
  if (!e) return out;
  if (e.port) out.set('edge.port', { value: e.port.port, from: e.port.from });
  // The environment's --edge-port without an app: the port asked for (a taken one moves up).
  else if (e.preferredPort !== undefined) out.set('edge.port', { value: e.preferredPort });
  const tls = e.tls;
  if (tls) {
    if (tls.port) out.set('edge.tls.port', { value: tls.port.port, from: tls.port.from });
    out.set('edge.tls.redirect', { value: tls.redirect });
    for (const c of tls.certificates) out.set(`edge.tls.certificates[${c.hosts.join(', ')}]`, { value: c.cert });
    if (tls.devHosts?.length) out.set('edge.tls.devCertificates', { value: tls.devHosts.join(', ') });
  }
  if (e.ingressTls?.secrets) {
    // Berth's Secrets of the certificates (Kubernetes): a renewed certificate is a change.
    for (const c of e.ingressTls.secrets) out.set(`edge.tls.certificates[${c.hosts.join(', ')}]`, { value: c.cert });
  } else if (e.ingressTls) {
    out.set('edge.tls.kubernetes.secretName', { value: e.ingressTls.secretName });
    if (e.ingressTls.clusterIssuer) out.set('edge.tls.kubernetes.clusterIssuer', { value: e.ingressTls.clusterIssuer });
  }
  return out;
}

/** The edge fields that differ between two releases' shown edges. */
export function edgeChanges(
  from: EdgeSettings | undefined,
  to: EdgeSettings | undefined,
  specChanged: boolean,
): FieldChange[] {
  const a = flattenEdge(from);
  const b = flattenEdge(to);
  const changes: FieldChange[] = [];
  for (const path of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const va = a.get(path);
    const vb = b.get(path);
    if (va?.value === vb?.value) continue;
    const where = vb?.from ?? va?.from;
    changes.push({
      path,
      ...(va === undefined ? {} : { from: va.value }),
      ...(vb === undefined ? {} : { to: vb.value }),
      because: [where ?? (specChanged ? 'berth.yaml' : 'environment')],
    });
  }
  return changes;
}
