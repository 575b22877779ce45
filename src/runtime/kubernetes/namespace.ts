/** The environment's namespace: read it, create it when missing. */
import { RuntimeError } from '../../errors.js';
import { apiStatus, describeApiError, type KubeClients } from './client.js';
import { LABEL } from './manifests/contract.js';

/** Makes sure `name` exists. A 403 on the read is taken as "exists, but we may not read namespaces". */
export async function ensureNamespace(clients: KubeClients, name: string): Promise<'exists' | 'created'> {
  try {
    await clients.core.readNamespace({ name });
    return 'exists';
  } catch (err) {
    const status = apiStatus(err);
    if (status === 403) return 'exists';
    if (status !== 404)
      throw new RuntimeError(`cannot read namespace ${name} (context ${clients.context}): ${describeApiError(err)}`, {
        cause: err,
      });
  }
  try {
    await clients.core.createNamespace({ body: { metadata: { name, labels: { [LABEL.managedBy]: 'berth' } } } });
    return 'created';
  } catch (err) {
    if (apiStatus(err) === 409) return 'exists';
    throw new RuntimeError(`cannot create namespace ${name} (context ${clients.context}): ${describeApiError(err)}`, {
      cause: err,
    });
  }
}
