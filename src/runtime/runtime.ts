/**
 * The runtime contract. A runtime owns one thing: make one service in one environment look like a
 * given desired state, and report what it observes. Ordering, strategies and analysis belong to the
 * release engine (src/release), which is the same for every runtime.
 */

/** A health check, Kubernetes-style. All durations are in milliseconds. */
export type Probe = ProbeTiming &
  (
    | { kind: 'http'; path: string; /** Defaults to the replica's $PORT. */ port?: number }
    | { kind: 'tcp'; /** Defaults to the replica's $PORT. */ port?: number }
    | { kind: 'exec'; command: string[] }
  );

export interface ProbeTiming {
  initialDelayMs: number;
  /** Kubernetes default 10 s. */
  periodMs: number;
  /** Kubernetes default 1 s. */
  timeoutMs: number;
  /** Kubernetes default 3. */
  failureThreshold: number;
  /** Kubernetes default 1. */
  successThreshold: number;
}

/** A config file the runtime writes for the service (under $BERTH_CONFIG_DIR on one machine). */
export interface WorkloadFile {
  /** Relative path inside the config directory, e.g. `app.conf` or `nginx/site.conf`. */
  path: string;
  content: string;
  /** True when any part of the content came from a secret: written with mode 0600, never shown. */
  secret: boolean;
}

export interface Resources {
  /** CPU in millicores. */
  cpuRequestMillis?: number;
  cpuLimitMillis?: number;
  memoryRequestBytes?: number;
  memoryLimitBytes?: number;
}

/** How to run one replica. `command` is for one machine, `image` for clusters. */
export interface Workload {
  /** argv; a shell string in berth.yaml becomes ['/bin/sh', '-c', string]. */
  command?: string[];
  /** Absolute working directory for `command`. */
  cwd?: string;
  image?: string;
  /** Fully resolved environment (service discovery variables included). */
  env: Record<string, string>;
  files: WorkloadFile[];
  ports: { name: string; port: number; protocol: 'TCP' | 'UDP' }[];
  readiness?: Probe;
  liveness?: Probe;
  resources: Resources;
  /** SIGTERM, then this long, then SIGKILL. Kubernetes default 30 s. */
  terminationGracePeriodMs: number;
}

/** Rolling-update parameters (Kubernetes semantics: a count, or a percentage string like `25%`). */
export interface RolloutPolicy {
  maxSurge: number | string;
  maxUnavailable: number | string;
  /** A rollout that makes no progress for this long fails. */
  progressDeadlineMs: number;
}

/** Restart backoff for crashed replicas (Kubernetes: 10 s doubling to 300 s, reset after 10 min). */
export interface RestartPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
  resetAfterMs: number;
}

/** The desired state of one service in one environment: what `converge` makes real. */
export interface ServiceState {
  app: string;
  env: string;
  service: string;
  /** Release revision this state belongs to. */
  revision: number;
  configVersion: number;
  /** Content hash of the workload template: replicas with another hash are replaced. */
  hash: string;
  replicas: number;
  workload: Workload;
  rollout: RolloutPolicy;
  restart: RestartPolicy;
}

/** A route of the app's edge: host and/or path prefix → service. */
export interface Route {
  host?: string;
  pathPrefix: string;
  service: string;
  /** Strip the matched prefix before forwarding. */
  stripPrefix: boolean;
}

export interface AppRoutes {
  app: string;
  env: string;
  routes: Route[];
}

/** A service whose address is asked for, with its first declared port when it has one. */
export interface ServiceEndpoint {
  name: string;
  port?: number;
}

/** A stable address of a service as the other services see it. */
export interface ServiceAddress {
  host: string;
  port: number;
  url: string;
  /** Why this address is not listening (e.g. its port is taken), when it is not. */
  error?: string;
}

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
  phase: ReplicaPhase;
  hash: string;
  pid?: number;
  port?: number;
  startedAt?: string;
  restarts: number;
  /** Why the replica last stopped (exit code/signal, liveness failure, OOM...). */
  lastExit?: { at: string; code: number | null; signal: string | null; reason: string };
  /** Human-readable explanation of the current phase (probe failure, backoff remaining...). */
  message?: string;
  cpuPercent?: number;
  memoryBytes?: number;
}

export interface ServiceStatus {
  app: string;
  env: string;
  service: string;
  revision?: number;
  hash?: string;
  desiredReplicas: number;
  readyReplicas: number;
  address?: ServiceAddress;
  replicas: ReplicaStatus[];
}

export interface AppObservation {
  services: ServiceStatus[];
  /** Where the app's routes are served, when it has any. */
  edge?: { url: string; port: number; /** Why the edge is not listening, when it is not. */ error?: string };
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
}

export interface LogSelector {
  app: string;
  env: string;
  service?: string;
  replica?: string;
}

export interface LogLine {
  time: string;
  service: string;
  replica: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface ConvergeOptions {
  signal: AbortSignal;
  onEvent: (e: RuntimeEvent) => void;
}

/** Make services look like their desired state, and report what is there. */
export interface Runtime {
  readonly kind: 'local' | 'kubernetes';
  /**
   * Make one service look like `state`. Resolves once every desired replica runs `state.hash` and is
   * ready and no other replicas remain; rejects (RuntimeError/TimeoutError) when the rollout fails or
   * makes no progress within `state.rollout.progressDeadlineMs`. Idempotent: calling it again with the
   * same state after a crash finishes the same work.
   */
  converge(state: ServiceState, opts: ConvergeOptions): Promise<void>;
  /** Serve the app's routes (the edge on one machine, an Ingress on Kubernetes). Idempotent. */
  applyRoutes(routes: AppRoutes, opts: ConvergeOptions): Promise<void>;
  /**
   * Stable addresses of the given services, allocating them when new. `port` is the service's first
   * declared port (what a cluster Service listens on); one machine gives each service its own port.
   */
  addresses(app: string, env: string, services: ServiceEndpoint[]): Promise<Record<string, ServiceAddress>>;
  observe(app: string, env: string): Promise<AppObservation>;
  logs(
    selector: LogSelector,
    opts: { follow: boolean; since?: Date; tail?: number; signal?: AbortSignal },
  ): AsyncIterable<LogLine>;
  /** Remove one service, or the whole app in this environment (routes included). */
  remove(app: string, env: string, service?: string): Promise<void>;
  /** Stop supervising; running replicas are left running (they are re-adopted on the next start). */
  close(): Promise<void>;
}
