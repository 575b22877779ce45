/**
 * The two tracks of a service on one machine: the canary track of a desired state as a ServiceState
 * of its own (so the replica set converges it like any), and what `status` reports per track.
 */
import type { Track } from '../../model/routing.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { TrackStatus } from '../../model/observation.js';
import type { Replica } from './replica.js';

/** The canary track of `state` as a ServiceState of its own (same service, rollout and restart policy). */
export function canaryStateOf(state: ServiceState): ServiceState | undefined {
  const c = state.canary;
  if (!c) return undefined;
  const { canary: _c, traffic: _t, ...base } = state;
  return {
    ...base,
    revision: c.revision,
    configVersion: c.configVersion,
    hash: c.hash,
    replicas: c.replicas,
    workload: c.workload,
  };
}

/** Desired and ready replicas of one track and its share of traffic. */
export function trackStatus(
  track: Track,
  target: ServiceState | undefined,
  replicas: Replica[],
  weight: number,
): TrackStatus {
  return {
    track,
    ...(target ? { revision: target.revision, hash: target.hash } : {}),
    desiredReplicas: target?.replicas ?? 0,
    readyReplicas: replicas.filter((r) => r.serving && (!target || r.hash === target.hash)).length,
    weight,
  };
}
