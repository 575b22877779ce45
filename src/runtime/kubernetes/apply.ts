/** Server-side apply of rendered objects with Berth's field manager. */
import { PatchStrategy, type KubernetesObject as ClientObject } from '@kubernetes/client-node';
import { RuntimeError } from '../../errors.js';
import { apiStatus, describeApiError, type KubeClients } from './client.js';
import { applyOrder, ref } from './kinds.js';
import type { KubernetesObject } from './manifests/contract.js';

/**
 * Applies objects in dependency order (config and services before workloads), forcing ownership of
 * conflicting fields: Berth is the source of truth for what it renders. Returns the objects as the
 * server stored them (with generation and resourceVersion).
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
        true,
        PatchStrategy.ServerSideApply,
      );
      applied.push({ ...(result as unknown as KubernetesObject), apiVersion: o.apiVersion, kind: o.kind });
    } catch (err) {
      // A cluster without the Gateway API CRDs answers discovery of its group with 404.
      const hint =
        apiStatus(err) === 404 && o.apiVersion.startsWith('gateway.networking.k8s.io/')
          ? " (the cluster does not serve the Gateway API: install its CRDs and a Gateway, or set the environment's trafficRouter to ingressNginx)"
          : '';
      throw new RuntimeError(
        `${opts.service ? `${opts.service}: ` : ''}apply of ${ref(o)} in namespace ${opts.namespace} failed: ${describeApiError(err)}${hint}`,
        { cause: err, details: { object: ref(o), namespace: opts.namespace } },
      );
    }
  }
  return applied;
}
