/**
 * The gateway's routing table: what the local runtime tells the gateway process to serve.
 * The gateway is a separate, long-lived process (like kube-proxy/Envoy beside the kubelet), so
 * service addresses and the edge keep serving while the control plane restarts.
 */

import type { PolicyCounters, RouteTraffic, TrackTraffic } from '../model/observation.js';
import type { Track, TrafficPolicy, TrafficSplit } from '../model/routing.js';

/** One ready replica a listener may send requests to. */
export interface Backend {
  /** Replica id, stable for the life of the replica. */
  id: string;
  host: string;
  port: number;
  /** The service track the replica belongs to; `stable` when absent. */
  track?: Track;
}

/** A service's stable address: one port on 127.0.0.1 that spreads requests over ready replicas. */
export interface ServiceListener {
  /** `app/env/service`. */
  key: string;
  port: number;
  backends: Backend[];
  /** How requests split between the stable and canary backends; all to stable when absent. */
  split?: TrafficSplit;
  /** Rate limit, timeout, retries, circuit breaker and fallback of every request to the service. */
  policy?: TrafficPolicy;
}

/**
 * An L4 address of a service port that is not served as HTTP (an opaque `tcp` or a `grpc` port, and
 * every port after the first): connections are balanced over the ready replicas and piped through.
 */
export interface TcpListener {
  /** `app/env/service`. */
  key: string;
  /** The service's port name (berth.yaml `ports[].name`); `key` and `name` identify the listener. */
  name: string;
  port: number;
  /** The ready replicas, each at its own port for this name. */
  backends: Backend[];
  /**
   * How long the open connections of a backend that leaves the table are kept (the service's
   * termination grace period); then they are closed. New connections never go to it.
   */
  graceMs: number;
}

/** Request counters per track of one service (its listener and every edge route to it together). */
export interface ServiceTraffic {
  /** `app/env/service`. */
  key: string;
  tracks: TrackTraffic[];
  /** 503s answered because no replica of any track was ready. */
  unavailable?: number;
  /** What the service's policy (and its routes') did. */
  policy?: PolicyCounters;
  /** Counters per edge route to the service; absent when no route targets it. */
  routes?: RouteTraffic[];
}

export interface EdgeRoute {
  host?: string;
  pathPrefix: string;
  /** `app/env/service` of the ServiceListener whose backends serve this route. */
  target: string;
  stripPrefix: boolean;
  /** Policy of requests through this route; its fields override the target service's. */
  policy?: TrafficPolicy;
}

/** A certificate of an edge, as files the gateway reads (PEM; the key file is 0600). */
export interface EdgeCertificateFiles {
  hosts: string[];
  certFile: string;
  keyFile: string;
}

/** HTTPS of an edge: a second port serving the same routes, certificates picked by SNI. */
export interface EdgeTlsListener {
  port: number;
  /** The HTTP port answers 308 with the https:// URL instead of serving. */
  redirect: boolean;
  /** The first one is also the default (a client without SNI, or a host no certificate names). */
  certificates: EdgeCertificateFiles[];
}

/** An app's edge: one port serving its routes (longest matching prefix wins; host match first). */
export interface EdgeListener {
  /** `app/env`. */
  key: string;
  port: number;
  routes: EdgeRoute[];
  tls?: EdgeTlsListener;
}

export interface RoutingTable {
  /** Increases with every change; the gateway reports the generation it serves. */
  generation: number;
  services: ServiceListener[];
  edges: EdgeListener[];
  /** L4 addresses of service ports (absent in tables written before them: none). */
  tcp?: TcpListener[];
  /**
   * Addresses besides 127.0.0.1 where every service address (HTTP and L4) listens too: the bridge
   * address by which containers of a Docker engine reach this machine (`host-gateway`). Never a
   * wildcard; edges stay on 127.0.0.1. Absent or empty: loopback only.
   */
  serviceHosts?: string[];
}

export function emptyTable(): RoutingTable {
  return { generation: 0, services: [], edges: [] };
}

/** A listener of the table that the gateway cannot serve (its port is taken, typically). */
export interface ListenerError {
  /** `app/env/service` of a service listener, `app/env` of an edge. */
  key: string;
  port: number;
  /** The bind error's code (`EADDRINUSE`, `EACCES`) or message. */
  message: string;
}

/**
 * How the local runtime drives the gateway process. `update` resolves only once the gateway
 * serves the new table, so a caller that removed a backend knows no new request will reach it.
 */
export interface GatewayControl {
  /** Starts the gateway process if it is not running (or adopts the running one). */
  ensureRunning(): Promise<void>;
  /** The table the gateway serves now (as last applied). */
  table(): RoutingTable;
  /**
   * Applies a change to the table; resolves once the gateway serves it. Calls are serialised.
   * While some listener cannot be bound, every update (even one that changes nothing) retries it.
   */
  update(change: (table: RoutingTable) => void): Promise<void>;
  /**
   * What an empty update does, at the cost of a process check when nothing needs doing: restarts a
   * gateway that died (on its saved table) and retries listeners that could not bind.
   */
  heal(): Promise<void>;
  /** Listeners of the served table that are not listening, as of the last update or adoption. */
  listenerErrors(): ListenerError[];
  /** Per-track request counters of every service, read from the gateway process now. */
  traffic(): Promise<ServiceTraffic[]>;
  /** Stops the gateway process (used by `berth down` of the last app and by tests). */
  stop(): Promise<void>;
}
