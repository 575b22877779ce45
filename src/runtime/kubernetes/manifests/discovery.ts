/** One ConfigMap `<app>-discovery` with every service's `<SERVICE>_HOST`, `_PORT` and `_URL`, shared by all pods. */
import type { ServiceAddress } from '../../../model/observation.js';
import { addressVariables } from '../../../spec/templates.js';
import type { KubernetesObject, ManifestInput } from './contract.js';
import { objectMeta } from './labels.js';

/** `<app>-discovery`. */
export function discoveryConfigMapName(app: string): string {
  return `${app}-discovery`;
}

/** The discovery variables of every addressed service, sorted. */
export function discoveryData(addresses: Record<string, ServiceAddress>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(addresses).sort()) {
    addressVariables(name, addresses[name]!, out);
  }
  return out;
}

/** The shared discovery variables of `input`: from its addresses, else as given; undefined without either. */
export function sharedDiscovery(input: ManifestInput): Record<string, string> | undefined {
  if (input.addresses) return discoveryData(input.addresses);
  return input.discovery;
}

/** The shared discovery ConfigMap; none when the input carries no discovery variables. */
export function discoveryConfigMap(
  input: ManifestInput,
  data: Record<string, string> | undefined,
): KubernetesObject | undefined {
  if (data === undefined || Object.keys(data).length === 0) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(input, discoveryConfigMapName(input.app), undefined, 'discovery'),
    data,
  };
}
