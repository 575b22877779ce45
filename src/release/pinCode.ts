/**
 * Code pinning (issue 17 point 1): the folder (`cwd`) of each service that runs as a process on this
 * machine snapshotted into the code store (src/artifacts/), so the revision records the snapshot's
 * digest (`rendered.codes`, `Workload.codeDigest`) and its replicas run that snapshot's read-only tree.
 * A deploy stores the files; a plan only reads the folder into a manifest (`store: false`).
 */
import type { CodeStore } from '../artifacts/codeStore.js';
import { compareManifests } from '../artifacts/codeSnapshot.js';
import { ownGet, setOwn } from '../own.js';
import type { RenderedRelease } from './rendered.js';
import type { AppSpec } from '../spec/schema.js';
import { dirname, resolve } from 'node:path';
import type { ServiceState } from '../model/serviceState.js';

export interface CodePinOptions {
  /** Store the files and make the tree (a deploy), or only read the folder (a plan). */
  store: boolean;
}

/**
 * The services whose code is pinned, in name order: processes (not containers) with a working folder
 * of their own, unless berth.yaml says `pinCode: false`. A service that runs in the berth.yaml folder
 * itself (the default `cwd`) is pinned only with `pinCode: true`: that folder is the app's, and often
 * holds more than code (data, local files beside berth.yaml).
 */
export function codeRequests(
  states: Record<string, ServiceState>,
  spec: Pick<AppSpec, 'services'>,
  file: string,
): { service: string; dir: string }[] {
  return Object.keys(states)
    .sort()
    .flatMap((service) => {
      const w = states[service]!.workload;
      if (w.runAs === 'container' || w.cwd === undefined) return [];
      // A service with `build:` runs its build's snapshot (builtArtifacts.ts), not its folder.
      if (ownGet(spec.services, service)?.build !== undefined) return [];
      const pin = ownGet(spec.services, service)?.pinCode ?? resolve(w.cwd) !== dirname(resolve(file));
      return pin ? [{ service, dir: w.cwd }] : [];
    });
}

/** Service → snapshot digest of its folder; undefined when no service has one to pin. */
export async function pinCode(
  store: CodeStore,
  states: Record<string, ServiceState>,
  spec: Pick<AppSpec, 'services'>,
  file: string,
  opts: CodePinOptions,
): Promise<Record<string, string> | undefined> {
  const requests = codeRequests(states, spec, file);
  if (requests.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const r of requests) {
    const what = `the code of service ${r.service}`;
    const field = `services.${r.service}.cwd`;
    const snap = opts.store ? await store.pin(r.dir, what, field) : await store.look(r.dir, what, field);
    setOwn(out, r.service, snap.digest);
  }
  return out;
}

/**
 * What a plan or a diff says of a service whose code snapshot differs: `code changed: 2 files`
 * (files and links added, removed or changed), or `code changed` when either manifest is gone.
 */
export async function describeCodeChange(store: CodeStore, from: string, to: string): Promise<string> {
  const [a, b] = await Promise.all([store.manifest(from), store.manifest(to)]);
  if (!a || !b) return 'code changed';
  const d = compareManifests(a, b);
  const n = d.added.length + d.removed.length + d.changed.length;
  return `code changed: ${n} file${n === 1 ? '' : 's'}`;
}

/** `PlanContext.codeChanges` of two renderings: each service whose code snapshot differs, described. */
export async function codeChangesOf(
  store: CodeStore | undefined,
  from: Pick<RenderedRelease, 'codes'> | undefined,
  to: Pick<RenderedRelease, 'codes'>,
): Promise<Record<string, string> | undefined> {
  if (!store || !from?.codes || !to.codes) return undefined;
  const out: Record<string, string> = {};
  for (const [service, digest] of Object.entries(to.codes)) {
    const before = ownGet(from.codes, service);
    if (before !== undefined && before !== digest)
      setOwn(out, service, await describeCodeChange(store, before, digest));
  }
  return out;
}
