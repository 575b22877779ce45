/**
 * berth.yaml `registries` on clusters: the credentials of each registry the app pulls from
 * (`ServiceState.registryAuth`) → a `kubernetes.io/dockerconfigjson` Secret, which the pod templates
 * of the services pulling from it name in `imagePullSecrets`.
 *
 * One Secret per app and registry, `<app>-registry-<host>-<hash>`, rather than one holding every
 * registry: the Kubernetes runtime converges one service at a time, knowing only that service's
 * registry, so a Secret whose content depends on one registry is the same whichever service applies
 * it (it is applied like the shared discovery ConfigMap and carries no service label).
 */
import { createHash } from 'node:crypto';
import type { RegistryAuth } from '../../../model/workload.js';
import type { ServiceState } from '../../../model/serviceState.js';
import type { KubernetesObject, ManifestInput } from './contract.js';
import { objectMeta } from './labels.js';
import { MASK } from '../../../model/mask.js';

export const PULL_SECRET_TYPE = 'kubernetes.io/dockerconfigjson';

/** The Secret's name for `server`: readable, and distinct for distinct servers (`shop-registry-ghcr-io-1a2b3c`). */
export function pullSecretName(app: string, server: string): string {
  const slug = server
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
  const hash = createHash('sha256').update(server).digest('hex').slice(0, 6);
  return `${app}-registry-${slug ? `${slug}-` : ''}${hash}`;
}

/** The `imagePullSecrets` of a service's pods: its registry's Secret, when it pulls with credentials. */
export function imagePullSecrets(app: string, state: Pick<ServiceState, 'registryAuth'>): { name: string }[] {
  return state.registryAuth ? [{ name: pullSecretName(app, state.registryAuth.server) }] : [];
}

/** Whether `o` is a registry Secret of this file (shared by the app's services). */
export function isPullSecret(o: KubernetesObject): boolean {
  return o.kind === 'Secret' && (o as { type?: unknown }).type === PULL_SECRET_TYPE;
}

/** `.dockerconfigjson` of one registry, as `docker login` writes it (`auth` is base64 of `user:password`). */
export function dockerConfigJson(auth: RegistryAuth): string {
  const basic = Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64');
  return JSON.stringify({
    auths: { [auth.server]: { username: auth.username, password: auth.password, auth: basic } },
  });
}

/**
 * One Secret per registry the services of `input` pull from with credentials: base64 data when
 * applying, `stringData` of `******` when shown to people.
 */
export function pullSecrets(input: ManifestInput): KubernetesObject[] {
  const byServer = new Map<string, RegistryAuth>();
  for (const name of Object.keys(input.services).sort()) {
    const auth = input.services[name]!.registryAuth;
    if (auth && !byServer.has(auth.server)) byServer.set(auth.server, auth);
  }
  const masked = input.options.secrets === 'masked';
  return [...byServer.values()].map((auth) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(input, pullSecretName(input.app, auth.server), undefined, 'registry'),
    type: PULL_SECRET_TYPE,
    ...(masked
      ? { stringData: { '.dockerconfigjson': MASK } }
      : { data: { '.dockerconfigjson': Buffer.from(dockerConfigJson(auth), 'utf8').toString('base64') } }),
  }));
}
