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

/**
 * Removes every container labelled `berth.home=<homeId>` whose id is not in `kept` (force: a running
 * orphan is killed). Returns what it removed; a container the engine refuses to remove is skipped and
 * reported through `onError`.
 */
export async function sweepContainers(
  docker: Docker,
  homeId: string,
  kept: ReadonlySet<string>,
  onError: (name: string, reason: string) => void = () => undefined,
): Promise<SweptContainer[]> {
  const listed = await docker.listContainers({ all: true, filters: { label: [`${LABEL.home}=${homeId}`] } });
  const out: SweptContainer[] = [];
  for (const c of listed) {
    if (kept.has(c.Id)) continue;
    const labels = new Map(Object.entries(c.Labels ?? {}));
    // The engine filtered on the label already; this guards an engine that ignores filters.
    if (labels.get(LABEL.home) !== homeId) continue;
    const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
    try {
      await docker.getContainer(c.Id).remove({ force: true });
    } catch (err) {
      onError(name, engineReason(err));
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
