/**
 * Splits one service's environment and files between its ConfigMap (plain values) and its Secret
 * (values built from a secret), and computes the checksum that rolls the pods when either changes.
 */
import { hash } from 'node:crypto';
import { canonicalJSON } from '../../../canonical.js';
import type { Problem } from '../../../errors.js';
import { CONTAINER_CONFIG_DIR } from '../../../model/workload.js';
import type { ServiceState } from '../../../model/serviceState.js';
import { clusterFileContent } from './replicaFiles.js';
import { compareText } from '../../../collate.js';

/** Where a service's config files are mounted, and what `$BERTH_CONFIG_DIR` is on a cluster. */
export const CONFIG_DIR = CONTAINER_CONFIG_DIR;

export interface ServiceConfig {
  configMapName: string;
  secretName: string;
  /** ConfigMap data: `env.<KEY>` and `file.<key>` entries. */
  configData: Record<string, string>;
  /** Secret data in plain text (encoded or masked by the Secret renderer). */
  secretData: Record<string, string>;
  /** Container env, sorted: each entry references its ConfigMap or Secret key. */
  env: Record<string, unknown>[];
  /** Files: data key → path inside CONFIG_DIR, by where the key lives. */
  files: { key: string; path: string; secret: boolean }[];
  /** sha256 of the config data and of the secrets' keyed digests (never of a secret itself). */
  checksum: string;
  /** Files whose per-replica values cannot be resolved on a cluster. */
  problems: Problem[];
}

/** sha256 of the shared discovery variables, part of every pod's config checksum. */
export function discoveryDigest(discovery: Record<string, string>): string {
  return hash('sha256', canonicalJSON(discovery));
}

/** `nginx/site.conf` → `file.nginx_site.conf`: ConfigMap keys allow only `[-._a-zA-Z0-9]`. */
function fileKeys(paths: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const p of paths) {
    const base = `file.${p.replace(/[^-._a-zA-Z0-9]/g, '_')}`;
    let key = base;
    for (let i = 2; used.has(key); i++) key = `${base}.${i}`;
    used.add(key);
    out.set(p, key);
  }
  return out;
}

/**
 * The config of `state` on a cluster; `digests` is `RenderedService.secretDigests` of the service,
 * `discovery` the shared discovery variables (left out of the service's own ConfigMap when equal).
 */
export function serviceConfig(
  state: ServiceState,
  digests: Record<string, string> = {},
  discovery: Record<string, string> = {},
  /** `discoveryDigest(discovery)`, computed once for all services. */
  discoveryDigestHex = discoveryDigest(discovery),
): ServiceConfig {
  const name = state.service;
  const configMapName = `${name}-config`;
  const secretName = `${name}-secret`;
  const configData: Record<string, string> = {};
  const secretData: Record<string, string> = {};
  const env: Record<string, unknown>[] = [];
  const { workload } = state;
  const first = workload.ports[0];

  const builtIn: Record<string, string> = {};
  if (first) builtIn.PORT = String(first.port);
  if (workload.files.length > 0) builtIn.BERTH_CONFIG_DIR = CONFIG_DIR;
  for (const [k, v] of Object.entries(builtIn)) if (!Object.hasOwn(workload.env, k)) env.push({ name: k, value: v });

  // Skip the shared discovery variables before sorting: they are most of the keys in a large app.
  const own = Object.keys(workload.env).filter((k) => !Object.hasOwn(discovery, k) || discovery[k] !== workload.env[k]);
  for (const k of own.sort()) {
    const key = `env.${k}`;
    const secret = Object.hasOwn(digests, key);
    (secret ? secretData : configData)[key] = workload.env[k]!;
    const ref = secret ? 'secretKeyRef' : 'configMapKeyRef';
    env.push({ name: k, valueFrom: { [ref]: { name: secret ? secretName : configMapName, key } } });
  }
  env.sort((a, b) => compareText(String(a.name), String(b.name)));

  const keys = fileKeys(workload.files.map((f) => f.path));
  const problems: Problem[] = [];
  const files = workload.files.map((f, i) => {
    const key = keys.get(f.path)!;
    const secret = f.secret || Object.hasOwn(digests, `files.${f.path}`);
    (secret ? secretData : configData)[key] = f.perReplica
      ? clusterFileContent(state, i, CONFIG_DIR, problems)
      : f.content;
    return { key, path: f.path, secret };
  });

  const secretDigests = Object.fromEntries(
    [...Object.keys(secretData)].map((k) => {
      const field = k.startsWith('env.') ? k : `files.${files.find((f) => f.key === k)!.path}`;
      return [k, digests[field] ?? `hash:${state.hash}`];
    }),
  );
  const checksum = hash(
    'sha256',
    canonicalJSON({ config: configData, secrets: secretDigests, discovery: discoveryDigestHex }),
  );
  return { configMapName, secretName, configData, secretData, env, files, checksum, problems };
}
