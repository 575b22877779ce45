/**
 * What a runtime under test gives the conformance kit: the runtime, desired states of its own making,
 * a second instance over the same state, and how the kit sees what runs, what is served and what a
 * volume holds where the Runtime interface alone cannot show it.
 */
import type { Runtime } from '../runtime.js';
import type { Route } from '../../model/routing.js';
import type { ServiceState } from '../../model/serviceState.js';

/** A desired state the kit asks for. */
export interface StateOptions {
  app: string;
  env: string;
  service: string;
  replicas: number;
  /** Different values are different workload versions. */
  hash: string;
  revision?: number;
  /** False: a version whose replicas run but never pass their readiness probe. Default true. */
  ready?: boolean;
  /**
   * Mounts the app's volume of this name (read-write); each replica appends its `hash` to a file in
   * it when it starts.
   */
  volume?: string;
  /** Released progressively (berth.yaml `strategy: canary`): its states may carry a canary track and a split. */
  progressive?: boolean;
  /** The rollout's progress deadline; the runtime's test default when absent. */
  progressDeadlineMs?: number;
}

/**
 * How the kit sees requests being served.
 *
 * - `requests`: the replicas are real servers on this machine. Every request to a service's address
 *   or the edge is answered by a replica with JSON `{ service, version, replica, path }` (`version`
 *   is the state's hash, `path` what the replica received), `GET /volume` also with `volume`, the
 *   lines of the volume's file; the kit sends real HTTP requests.
 * - `objects`: nothing answers (an API server without nodes); the kit reads how the cluster's objects
 *   route requests: the edge's routes, the weights between tracks, the ready endpoints of an address.
 */
export type ServingView =
  | { kind: 'requests' }
  | {
      kind: 'objects';
      /** The app's edge routes as the cluster's objects declare them. */
      routes(app: string, env: string): Promise<Route[]>;
      /** The weights (percent) of the service's tracks in the objects that split its traffic. */
      weights(app: string, env: string, service: string): Promise<{ stable: number; canary: number }>;
      /** The hashes of the ready replicas the service's address sends requests to, sorted. */
      endpoints(app: string, env: string, service: string): Promise<string[]>;
    };

/** What the kit can see of a volume. */
export type VolumeView =
  /** The lines of the volume's file (each replica appended its hash when it started), as on disk. */
  | { kind: 'data'; lines: string[] }
  /** The storage a cluster keeps for it (a claim), and whether the service's replicas mount it. */
  | { kind: 'claim'; id: string; mounted: boolean };

/** What a runtime under test provides to the kit. */
export interface ConformanceSetup {
  runtime: Runtime;
  /**
   * A desired state for one service whose replicas become ready (unless `ready: false`) and print at
   * least one line to stdout when they start.
   */
  makeState(opts: StateOptions): ServiceState;
  /** A second runtime instance over the same state, as after a control-plane restart (closed by teardown). */
  newInstance(): Promise<Runtime>;
  /**
   * The hashes of the replicas that run for the app, sorted, as the machine or cluster shows them
   * (processes, containers, pods), not as any runtime instance remembers them.
   */
  running(app: string, env: string): Promise<string[]>;
  serving: ServingView;
  /** What the app's volume holds now; undefined when there is none. */
  volume(app: string, env: string, service: string, volume: string): Promise<VolumeView | undefined>;
  /** Removes everything the test created and closes every instance. */
  teardown(): Promise<void>;
}
