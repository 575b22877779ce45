/** Server-side apply of rendered objects with Berth's field manager. */
import { PatchStrategy, type KubernetesObject as ClientObject } from '@kubernetes/client-node';
import { RuntimeError } from '../../errors.js';
import { apiStatus, describeApiError, type KubeClients } from './client.js';
import { applyOrder, ref } from './kinds.js';
import type { KubernetesObject } from './manifests/contract.js';

/**
 * Applies objects in dependency order (config and services before workloads). Never forced: a field
 * Berth renders that another field manager changed since (`kubectl scale`, `kubectl edit`, another
 * controller) is a 409 Conflict, reported with the fields and their managers instead of silently
 * taken back. Fields Berth does not render (an HPA's `spec.replicas`, a webhook's sidecar) are the
 * other managers' and never conflict. Returns the objects as the server stored them (with
 * generation and resourceVersion).
 */
export async function applyObjects(
  clients: KubeClients,
  objects: KubernetesObject[],
  opts: { namespace: string; fieldManager: string; service?: string },
): Promise<KubernetesObject[]> {
  const ordered = [...objects].sort((a, b) => applyOrder(a) - applyOrder(b));
  const applied: KubernetesObject[] = [];
  for (const o of ordered) {
    const body = structuredClone({ ...o, metadata: { ...o.metadata, namespace: opts.namespace } });
    try {
      const result = await clients.objects.patch(
        body as ClientObject,
        undefined,
        undefined,
        opts.fieldManager,
        false,
        PatchStrategy.ServerSideApply,
      );
      applied.push({ ...(result as unknown as KubernetesObject), apiVersion: o.apiVersion, kind: o.kind });
    } catch (err) {
      // A cluster without the Gateway API CRDs answers discovery of its group with 404.
      const status = apiStatus(err);
      const hint =
        status === 404 && o.apiVersion.startsWith('gateway.networking.k8s.io/')
          ? " (the cluster does not serve the Gateway API: install its CRDs and a Gateway, or set the environment's trafficRouter to ingressNginx)"
          : status === 409
            ? ` (another field manager changed fields Berth renders; Berth does not take them back by force: undo that change, or hand the fields back with \`kubectl apply --server-side --force-conflicts --field-manager=${opts.fieldManager}\`, or stop rendering them in berth.yaml)`
            : '';
      throw new RuntimeError(
        `${opts.service ? `${opts.service}: ` : ''}apply of ${ref(o)} in namespace ${opts.namespace} failed: ${describeApiError(err)}${hint}`,
        { cause: err, details: { object: ref(o), namespace: opts.namespace } },
      );
    }
  }
  return applied;
}
