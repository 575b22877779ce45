/**
 * How requests reach services: traffic policies, the stable and canary tracks and their split, and an
 * app's edge (routes, ports, TLS). Part of the shared model (dependency-free): the release renders it,
 * the runtimes and the gateway enforce it, the console shows it.
 */
/**
 * Traffic policy of a service (every request to it, through its address or the edge) or of one
 * route of the edge, enforced by the proxy. A route's fields override its service's.
 */
export interface TrafficPolicy {
  /** Token bucket shared by all replicas: refills `requestsPerSecond`, holds `burst`; over it, 429 with Retry-After. */
  rateLimit?: { requestsPerSecond: number; burst: number };
  /** Longest wait for a replica's response headers; then 504 (or a retry). */
  timeoutMs?: number;
  /**
   * Retries on another replica, for idempotent requests only (GET, HEAD, OPTIONS, PUT, DELETE) and
   * only before any of the answer went to the client: after a connection failure, a timeout, or one
   * of `onStatus`.
   */
  retries?: { attempts: number; onStatus: number[]; backoffMs: number };
  /**
   * Stops sending requests to a failing service: opens after `consecutiveFailures` failures in a
   * row, or an error rate above `errorRate` over `windowMs` (with at least `minRequests`); stays open
   * `openMs`, answering with `fallback` (or 503); then lets `halfOpenRequests` through to probe, closing
   * when they succeed. A failure is a 5xx answer, a timeout or a connection failure.
   */
  circuitBreaker?: {
    consecutiveFailures?: number;
    errorRate?: number;
    minRequests: number;
    windowMs: number;
    openMs: number;
    halfOpenRequests: number;
  };
  /** The answer for degradation: sent when the circuit is open or no replica is ready. */
  fallback?: { status: number; body: string; contentType: string };
}

/** The tracks of a service: `stable` always, `canary` during a progressive release (the new version). */
export const Track = { stable: 'stable', canary: 'canary' } as const;
export type Track = (typeof Track)[keyof typeof Track];

/** Which requests reach the canary track; the rest go to stable. */
export interface TrafficSplit {
  /** Percent of requests (0–100) sent to the canary track. */
  canaryWeight: number;
  /** Requests carrying this header or cookie value go to the canary whatever the weight (A/B). */
  match?: TrafficMatch;
}

/** A request attribute that selects the canary track. */
export type TrafficMatch = { header: string; value: string } | { cookie: string; value: string };

/** A route of the app's edge: host and/or path prefix → service. */
export interface Route {
  host?: string;
  pathPrefix: string;
  service: string;
  /** Strip the matched prefix before forwarding. */
  stripPrefix: boolean;
  /** Policy of requests through this route, over the service's. */
  policy?: TrafficPolicy;
}

/** A port set by configuration, with where it was set (for conflict messages). */
export interface ConfiguredPort {
  port: number;
  /** Where the port was set, e.g. `berth.yaml edge.port` or `environment staging (--edge-port shop=9000)`. */
  from: string;
}

/**
 * Where an app's edge listens on one machine, from berth.yaml `edge` and the environment (see
 * docs/berth-yaml.md, "Edge"). Clusters ignore the ports: the Ingress controller owns 80 and 443.
 */
export interface EdgeSettings {
  /** The edge's HTTP port, exactly (a port another app's edge holds is a conflict). */
  port?: ConfiguredPort;
  /** Without a fixed port: the first app's edge gets this one, later apps the next free port above. */
  preferredPort?: number;
  /** HTTPS beside HTTP; absent: HTTP only. */
  tls?: EdgeTls;
  /** On Kubernetes: the Ingress's `tls` Secret and, optionally, cert-manager's ClusterIssuer. */
  ingressTls?: IngressTls;
}

/** The `tls` of an app's Ingress: the Secret holding its certificate, and who issues it. */
export interface IngressTls {
  secretName: string;
  clusterIssuer?: string;
  /**
   * berth.yaml's own certificates (without `edge.tls.kubernetes`): Berth makes a `kubernetes.io/tls`
   * Secret of each (`secretName` the first), named in the Ingress's `tls` with its hosts. The
   * runtime gets the PEM texts; a release shows the certificate's SHA-256 and the key masked.
   */
  secrets?: IngressTlsSecret[];
}

/** A `kubernetes.io/tls` Secret Berth makes from a certificate of berth.yaml. */
export interface IngressTlsSecret extends EdgeCertificate {
  name: string;
}

/** A certificate of the edge: PEM texts (in a release's shown form: the cert's SHA-256 and the key masked). */
export interface EdgeCertificate {
  hosts: string[];
  cert: string;
  key: string;
}

/** HTTPS at an app's edge on one machine. */
export interface EdgeTls {
  /** The HTTPS port, exactly; else one picked from 8443 up. */
  port?: ConfiguredPort;
  /** The HTTP port answers 308 with the https:// URL instead of serving. */
  redirect: boolean;
  certificates: EdgeCertificate[];
  /** Hosts no certificate covers, to get a certificate of the local development CA. */
  devHosts?: string[];
}

export interface AppRoutes {
  app: string;
  env: string;
  routes: Route[];
  /** Ports (and TLS) of the edge; the runtime's defaults when absent. */
  edge?: EdgeSettings;
}

/**
 * What splits traffic between a service's stable and canary tracks: Gateway API HTTPRoute weights
 * and header matches, or ingress-nginx canary annotations on a second Ingress (an environment's `trafficRouter`, clusters only).
 */
export const TrafficRouter = { gatewayApi: 'gatewayApi', ingressNginx: 'ingressNginx' } as const;
export type TrafficRouter = (typeof TrafficRouter)[keyof typeof TrafficRouter];
