/**
 * What `status` reports for one service on one machine: its revision, desired and ready replicas,
 * per-track counts and traffic while a canary runs, its address, and each replica's status.
 */
import { Track } from '../../model/routing.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { ServiceStatus, TrackStatus } from '../../model/observation.js';
import type { TrafficSplit } from '../../model/routing.js';
import type { Replica } from './replica.js';
import { trackStatus } from './trackStates.js';
import { serviceAddress } from '../serviceAddress.js';

/** A replica set's state, as `serviceStatus` reads it. */
export interface ServiceStatusInput {
  app: string;
  env: string;
  service: string;
  replicas: readonly Replica[];
  /** The stable track's desired state (undefined while adopted but not converged). */
  desired: ServiceState | undefined;
  /** The canary track's desired state while a progressive release runs. */
  canary: ServiceState | undefined;
  traffic: TrafficSplit | undefined;
  /** The service's port on the gateway, once it has one. */
  port: number | undefined;
  /** The gateway port of each L4 port, by name. */
  tcpPorts: ReadonlyMap<string, number>;
}

export function serviceStatus(s: ServiceStatusInput): ServiceStatus {
  const replicas = [...s.replicas].sort((a, b) => a.record.created.localeCompare(b.record.created));
  const d = s.desired;
  const any = replicas[0];
  const stable = replicas.filter((r) => r.track === Track.stable);
  const canary = replicas.filter((r) => r.track === Track.canary);
  const c = s.canary;
  const tracks: TrackStatus[] = [];
  if (c || canary.length > 0) {
    const weight = s.traffic?.canaryWeight ?? 0;
    tracks.push(
      trackStatus(Track.stable, d, stable, 100 - weight),
      trackStatus(Track.canary, c, canary, c ? weight : 0),
    );
  }
  return {
    app: s.app,
    env: s.env,
    service: s.service,
    ...(d ? { revision: d.revision, hash: d.hash } : any ? { revision: any.record.revision, hash: any.hash } : {}),
    // A job's run that succeeded counts as ready; a cronjob wants no replica between its runs.
    desiredReplicas: d ? (d.run?.kind === 'cronjob' ? 0 : d.replicas) : stable.filter((r) => !r.terminating).length,
    readyReplicas:
      d?.run?.kind === 'cronjob'
        ? 0
        : stable.filter((r) => (r.serving || r.record.completion?.result === 'succeeded') && (!d || r.hash === d.hash))
            .length,
    runAs: (d ? d.workload.runAs : any?.record.runAs) === 'container' ? 'container' : 'process',
    ...(tracks.length > 0 ? { tracks } : {}),
    ...(s.traffic && c ? { traffic: s.traffic } : {}),
    ...(s.port !== undefined
      ? {
          address: serviceAddress('127.0.0.1', s.port, d?.workload.ports, (p) => s.tcpPorts.get(p.name) ?? 0),
        }
      : {}),
    replicas: replicas.map((r) => r.status()),
  };
}
