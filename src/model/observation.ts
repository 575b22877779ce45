/**
 * What a runtime reports: replicas, services and tracks as observed, traffic counters, events and
 * log lines (the runtime contract's answers; part of the shared model, src/model/).
 */
import type { Message } from './messages.js';
import type { Track, TrafficSplit } from './routing.js';
import type { AppProtocol } from './ports.js';

export const ReplicaPhase = {
  starting: 'starting',
  ready: 'ready',
  unready: 'unready',
  backoff: 'backoff',
  terminating: 'terminating',
  exited: 'exited',
} as const;
export type ReplicaPhase = (typeof ReplicaPhase)[keyof typeof ReplicaPhase];

export interface ReplicaStatus {
  id: string;
  /** Its slot (`BERTH_REPLICA_INDEX`): a stateful replica's stable index. */
  index?: number;
  phase: ReplicaPhase;
  hash: string;
  pid?: number;
  port?: number;
  /** The container running it (12 hex digits), when the replica runs as a container. */
  container?: string;
  startedAt?: string;
  restarts: number;
  /** Why the replica last stopped (exit code/signal, liveness failure, OOM...). */
  lastExit?: {
    at: string;
    code: number | null;
    signal: string | null;
    reason: string;
    /** `reason` as a code with params, for the console to translate. */
    reasonMessage?: Message;
  };
  /** Human-readable explanation of the current phase (probe failure, backoff remaining...). */
  message?: string;
  /** `message` as a code with params, for the console to translate. */
  messageDetail?: Message;
  cpuPercent?: number;
  memoryBytes?: number;
}

/** One track of a service as observed. */
export interface TrackStatus {
  track: Track;
  revision?: number;
  hash?: string;
  desiredReplicas: number;
  readyReplicas: number;
  /** Percent of weighted traffic the track receives now. */
  weight: number;
}

export interface ServiceStatus {
  app: string;
  env: string;
  service: string;
  /** How its replicas run on one machine (absent on clusters). */
  runAs?: RunAs;
  /** The stable track's revision, hash and replicas (the whole service when it has one track). */
  revision?: number;
  hash?: string;
  desiredReplicas: number;
  readyReplicas: number;
  address?: ServiceAddress;
  /** Replicas of every track (each replica's hash tells its track). */
  replicas: ReplicaStatus[];
  /** Both tracks while a progressive release runs; absent when the service has only stable. */
  tracks?: TrackStatus[];
  /** The live split between the tracks, when there are two. */
  traffic?: TrafficSplit;
  /** The circuit breaker's state, when the service has one. */
  circuit?: CircuitStatus;
}

/** A circuit breaker as the proxy sees it now. */
export interface CircuitStatus {
  state: 'closed' | 'open' | 'halfOpen';
  /** When it last opened, and why (e.g. `5 failures in a row`). */
  openedAt?: string;
  reason?: string;
  /** `reason` as a code with params, for the console to translate. */
  reasonMessage?: Message;
  /** The route whose breaker it is (`reason` then starts with it), for a service without its own breaker. */
  route?: string;
}

/** Cumulative request counters of one track since the proxy started (they reset when it restarts). */
export interface TrackTraffic {
  track: Track;
  requests: number;
  /** Responses with status >= 500, the proxy's own 502/504 included (a 503 for no ready replica is in no track). */
  errors: number;
  /** Upper bounds (ms) of the latency histogram's buckets; the last bucket is unbounded. */
  latencyBucketsMs: number[];
  /** Requests per bucket (one more entry than latencyBucketsMs: the overflow). */
  latencyCounts: number[];
  latencySumMs: number;
}

/** Cumulative request counters of one edge route to a service, per track. */
export interface RouteTraffic {
  /** `app/env` of the edge serving the route. */
  edge: string;
  /** Host (lower case), if any, then path prefix: `shop.example/api`, `/api`. */
  route: string;
  tracks: TrackTraffic[];
}

/** What the proxy's policy did to a service's requests, cumulative since it started. */
export interface PolicyCounters {
  /** Answered 429 by the rate limit (service and routes together). */
  rateLimited: number;
  /** Sent again to another replica. */
  retries: number;
  /** Replicas that did not answer within the timeout. */
  timeouts: number;
  /** Answered by the circuit breaker while open (fallback or 503), without reaching a replica. */
  shortCircuited: number;
  circuit?: CircuitStatus;
}

export interface AppObservation {
  services: ServiceStatus[];
  /** Where the app's routes are served, when it has any. */
  edge?: {
    url: string;
    port: number;
    /** The HTTPS URL, when the edge has TLS. */
    httpsUrl?: string;
    /** Why the edge is not listening, when it is not. */
    error?: string;
    /** `error` as a code with params. */
    errorMessage?: Message;
  };
}

/** Something the runtime did or saw, streamed as progress (reasons follow Kubernetes events). */
export interface RuntimeEvent {
  time: string;
  service: string;
  replica?: string;
  type: 'Normal' | 'Warning';
  /** CamelCase, e.g. Started, Ready, Unhealthy, Killing, BackOff, ScalingReplicaSet. */
  reason: string;
  message: string;
  /** `message` as a code with params (model/messages.ts), for the console to translate; absent for a cluster's own events. */
  detail?: Message;
}

export interface LogSelector {
  app: string;
  env: string;
  service?: string;
  replica?: string;
  /** The runs that ended last (replaced, scaled away, or before a restart) instead of the running ones, as kubectl's --previous. */
  previous?: boolean;
}

export interface LogLine {
  time: string;
  service: string;
  replica: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/**
 * How a replica runs on one machine: a supervised process (`command`) or a container (`image`,
 * through the Docker Engine API of Docker or Podman). Clusters always run `image`.
 */
export const RUN_AS = ['process', 'container'] as const;
export type RunAs = (typeof RUN_AS)[number];

/** The stable address of one port of a service after its first (`<SVC>_<PORTNAME>_PORT`). */
export interface PortAddress {
  /** The port's name (berth.yaml `ports[].name`, `port-<number>` by default). */
  name: string;
  port: number;
  appProtocol?: AppProtocol;
  /** `http://host:port` for an http or grpc port (`<SVC>_<PORTNAME>_URL`); absent on opaque ports. */
  url?: string;
}

/** A stable address of a service as the other services see it. */
export interface ServiceAddress {
  host: string;
  port: number;
  /** `http://host:port`; `tcp://` or `udp://` when the first port is opaque (then discovery has no `_URL`). */
  url: string;
  /** Set when the first port is not http/grpc: `tcp` (appProtocol tcp) or `udp`. Absent: http/grpc. */
  opaque?: 'tcp' | 'udp';
  /** The addresses of the service's other ports, in berth.yaml's order. */
  ports?: PortAddress[];
  /** Why this address is not listening (e.g. its port is taken), when it is not. */
  error?: string;
  /** `error` as a code with params, for the console to translate. */
  errorMessage?: Message;
  /**
   * The host by which a container replica on this machine reaches this address (inside a container,
   * `127.0.0.1` is the container itself); absent where every replica uses `host`.
   */
  containerHost?: string;
}
