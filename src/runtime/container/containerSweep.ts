/**
 * At the local runtime's start: removes the containers of this Berth home that no replica keeps
 * (left by a control plane that died between creating a container and recording it, or by a replica
 * directory removed under a running container), so none is orphaned and none runs twice. Containers
 * are found by the `berth.home` label; the kept ones are those a replica's container.json names.
 */
import type Docker from 'dockerode';
import { LABEL } from './containerLaunch.js';
import { engineReason } from './engine.js';

/** A container the sweep removed. */
export interface SweptContainer {
  id: string;
  name: string;
  /** `app/env/service` and replica from its labels. */
  service: string;
  replica: string;
}

export interface SweepOptions {
  /** A container the engine refuses to remove (it is skipped). */
  onError?: (name: string, reason: string) => void;
}

/**
 * Removes every container labelled `berth.home=<homeId>` whose id is not among `kept()` (force: a
 * running orphan is killed). `kept` is read after the engine listed its containers, so a replica that
 * recorded its container meanwhile keeps it. Returns what it removed.
 */
export async function sweepContainers(
  docker: Docker,
  homeId: string,
  kept: () => ReadonlySet<string>,
  opts: SweepOptions = {},
): Promise<SweptContainer[]> {
  const listed = await docker.listContainers({ all: true, filters: { label: [`${LABEL.home}=${homeId}`] } });
  const keep = kept();
  const out: SweptContainer[] = [];
  for (const c of listed) {
    if (keep.has(c.Id)) continue;
    const labels = new Map(Object.entries(c.Labels ?? {}));
    // The engine filtered on the label already; this guards an engine that ignores filters.
    if (labels.get(LABEL.home) !== homeId) continue;
    const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
    try {
      await docker.getContainer(c.Id).remove({ force: true });
    } catch (err) {
      opts.onError?.(name, engineReason(err));
      continue;
    }
    out.push({
      id: c.Id,
      name,
      service: [LABEL.app, LABEL.env, LABEL.service].map((l) => labels.get(l) ?? '?').join('/'),
      replica: labels.get(LABEL.replica) ?? '?',
    });
  }
  return out;
}
