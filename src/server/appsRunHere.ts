/**
 * Whether any app runs on this machine: what decides if the gateway (every service address and
 * edge) outlives the control plane when it stops. It does while an app runs there, so the app keeps
 * serving; with none, a stopped control plane leaves no process behind.
 */
import type { Environments } from '../environment/environments.js';
import type { Releases } from '../release/releases.js';
import { listReplicaDirs, listServiceDirs, serviceDir } from '../runtime/local/replicaStore.js';

export async function appsRunHere(home: string, releases: Releases, environments: Environments): Promise<boolean> {
  // Replicas on disk, whatever the store says (a release that failed may have left some running).
  for (const s of listServiceDirs(home))
    if (listReplicaDirs(serviceDir(home, s.app, s.env, s.service)).length > 0) return true;
  const local = new Set((await environments.list()).filter((e) => e.target.kind === 'local').map((e) => e.name));
  const [active, unfinished] = await Promise.all([releases.active(), releases.unfinished()]);
  return [...active, ...unfinished].some((r) => local.has(r.env));
}
