/**
 * The runtime contract. A runtime owns one thing: make one service in one environment look like a
 * given desired state, and report what it observes. Ordering, strategies and analysis belong to the
 * release engine (src/release), which is the same for every runtime.
 */
export * from './routing.js';
export * from './observation.js';
import type { Message } from '../model/messages.js';
import type { LoadedSpec } from '../spec/load.js';
import type { AppRoutes, EdgeSettings, Route, Track, TrafficPolicy, TrafficSplit } from './routing.js';
import type {
  AppObservation,
  LogLine,
  LogSelector,
  PolicyCounters,
  RouteTraffic,
  RuntimeEvent,
  ServiceAddress,
  TrackTraffic,
} from './observation.js';

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

/** Where a container (one machine's or a cluster's pod) sees its config files: its $BERTH_CONFIG_DIR. */
export const CONTAINER_CONFIG_DIR = '/etc/berth/config';

/** A config file the runtime writes for the service (under $BERTH_CONFIG_DIR on one machine). */
export interface WorkloadFile {
  /** Relative path inside the config directory, e.g. `app.conf` or `nginx/site.conf`. */
  path: string;
  content: string;
  /** True when any part of the content came from a secret: written with mode 0600, never shown. */
  secret: boolean;
  /** Holds per-replica values (`{{ replica.port }}`) the runtime resolves; absent otherwise (hashes unchanged). */
  perReplica?: true;
  /**
   * An absolute path inside the container where the file is also mounted read-only (compose's config
   * and secret `target`, `/etc/nginx/nginx.conf`); it is always under $BERTH_CONFIG_DIR too.
   */
  mountPath?: string;
}

export interface Resources {
  /** CPU in millicores. */
  cpuRequestMillis?: number;
  cpuLimitMillis?: number;
  memoryRequestBytes?: number;
  memoryLimitBytes?: number;
}

/** What a port speaks (Kubernetes' `appProtocol`): `http` and `grpc` carry requests, `tcp` opaque connections. */
export const APP_PROTOCOLS = ['http', 'grpc', 'tcp'] as const;
export type AppProtocol = (typeof APP_PROTOCOLS)[number];

/** The `appProtocol` of the `index`th port when berth.yaml sets none: http for the first TCP port, tcp for others. */
export function defaultAppProtocol(index: number, protocol: 'TCP' | 'UDP'): AppProtocol | undefined {
  return protocol === 'UDP' ? undefined : index === 0 ? 'http' : 'tcp';
}

/** A port of a service. */
export interface WorkloadPort {
  /** Kubernetes port name: `http` for the first port unless named, `port-<number>` for others. */
  name: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  /** Absent on UDP ports; `http` for the first TCP port unless set, `tcp` for the others. */
  appProtocol?: AppProtocol;
}

/** A named volume mounted into a replica (berth.yaml `volumes:` + a service's `volumes:` entry). */
export interface VolumeMount {
  /** The app's volume (a key of berth.yaml's top-level `volumes`). */
  volume: string;
  /** Where the container sees it; on one machine, its directory is given in `env` (and BERTH_VOLUME_<NAME>). */
  path: string;
  /** An extra environment variable set to the volume's directory on one machine (e.g. `PGDATA`). */
  env?: string;
  readOnly: boolean;
  /** The volume's requested size (berth.yaml `volumes.<name>.size`), in bytes; clusters' PVC request. */
  sizeBytes?: number;
}

/** A volume's data on a machine (one directory per app, environment and volume; per replica for stateful services). */
export interface VolumeStatus {
  app: string;
  env: string;
  /** The app's volume (berth.yaml `volumes` key). */
  volume: string;
  /** The replica index of a stateful service's own copy (`pgdata-0`); absent for a shared volume. */
  index?: number;
  /** What `berth volume ls` shows: the volume, or `<volume>-<index>` for a stateful replica's copy. */
  name: string;
  /** Bytes of the files under it (apparent sizes, walked like `du --apparent-size`). */
  usedBytes: number;
  /** The requested size (berth.yaml `volumes.<name>.size`), when the last release that mounted it set one. */
  sizeBytes?: number;
  /** Services of the running release that mount it (none after `berth down`). */
  services: string[];
  /** Where the data is (a directory on one machine). */
  path: string;
}

/** The signals a service can choose to be stopped with (berth.yaml `stopSignal`). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGQUIT', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** When the runtime pulls `image` (Kubernetes' `imagePullPolicy`). */
export const IMAGE_PULL_POLICIES = ['IfNotPresent', 'Always', 'Never'] as const;
export type ImagePullPolicy = (typeof IMAGE_PULL_POLICIES)[number];

/** Credentials for a registry (berth.yaml `registries`): for the runtime only, never stored or shown. */
export interface RegistryAuth {
  /** The registry host (`registry.example.com`, `localhost:5000`). */
  server: string;
  username: string;
  password: string;
}

/** How to run one replica. `command` is for one machine, `image` for clusters. */
export interface Workload {
  /**
   * argv; a shell string in berth.yaml becomes ['/bin/sh', '-c', string]. With `entrypoint`, its
   * arguments (compose's `command`, Kubernetes' `args`).
   */
  command?: string[];
  /** The container's entrypoint (compose's `entrypoint`, Kubernetes' `command`); see `processArgv`. */
  entrypoint?: string[];
  /** Absolute working directory for `command`. */
  cwd?: string;
  image?: string;
  /** On one machine, run `image` as a container (absent: run `command` as a process). Set by render. */
  runAs?: 'container';
  /** When to pull `image`; absent: `IfNotPresent`. */
  imagePullPolicy?: ImagePullPolicy;
  /**
   * The image as resolved at deploy, `sha256:…` (its repository digest when the engine has one, else
   * the image's id): a container runs exactly this, so a rollback runs the earlier image. One machine only.
   */
  imageDigest?: string;
  /** Fully resolved environment (service discovery variables included). */
  env: Record<string, string>;
  files: WorkloadFile[];
  ports: WorkloadPort[];
  /** Named volumes mounted into every replica (a stateful service's replicas each get their own). */
  volumes?: VolumeMount[];
  readiness?: Probe;
  liveness?: Probe;
  resources: Resources;
  /** SIGTERM, then this long, then SIGKILL. Kubernetes default 30 s. */
  terminationGracePeriodMs: number;
  /** The signal that starts a graceful stop, instead of SIGTERM (nginx: SIGQUIT). */
  stopSignal?: StopSignal;
}

/**
 * How a service runs, on every runtime (berth.yaml `kind`, `stateful` and the job fields). A state
 * without one is a replicated long-running service.
 */
export type RunKind =
  | {
      kind: 'service';
      /** StatefulSet semantics: a stable index per replica, ordered start and stop, a volume per replica. */
      stateful: boolean;
    }
  | {
      /** Runs to completion once per change of its hash; exit 0 = succeeded. */
      kind: 'job';
      /** Retries of a failed run before the job (and its release) fails. */
      backoffLimit: number;
    }
  | {
      /** Runs on `schedule`; each run is a job. */
      kind: 'cronjob';
      /** 5-field cron or `@hourly`-style. */
      schedule: string;
      backoffLimit: number;
      /** What happens when a run is due while the last one still runs (Kubernetes' concurrencyPolicy). */
      concurrency: 'forbid' | 'allow' | 'replace';
    };

/** One run of a cronjob as the runtime holds it. */
export interface JobRunStatus {
  runId: string;
  /** The replica whose logs are the run's (`berth logs APP/JOB --replica ID`). */
  replica: string;
  phase: 'running' | 'succeeded' | 'failed';
  startedAt?: string;
  endedAt?: string;
  exitCode?: number | null;
  /** How the run ended, in one line (`exit code 1`, `replaced by a newer run`). */
  reason?: string;
  /** `reason` as a code with params, for the console to translate. */
  reasonMessage?: Message;
  /** Runs made (1 + retries under backoffLimit). */
  attempts: number;
  /** The last lines of its log (stdout and stderr), oldest first; set once it ended. */
  logTail: string[];
}

/** The argv a replica runs on one machine: `entrypoint` followed by `command`. */
export function processArgv(w: Pick<Workload, 'command' | 'entrypoint'>): string[] {
  return [...(w.entrypoint ?? []), ...(w.command ?? [])];
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

/** The second version of a service, running beside the stable one during a canary, blue-green or A/B release. */
export interface CanaryTrack {
  revision: number;
  configVersion: number;
  hash: string;
  replicas: number;
  workload: Workload;
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
  /** A job, a cronjob or a stateful service; absent: a replicated service. */
  run?: RunKind;
  rollout: RolloutPolicy;
  restart: RestartPolicy;
  /**
   * The canary track, when a progressive release runs: converge makes both tracks real and
   * applies `traffic`. Without it, traffic goes back to stable first, then the canary is removed.
   */
  canary?: CanaryTrack;
  /** How requests split between the tracks; everything to stable when absent. */
  traffic?: TrafficSplit;
  /** What the proxy enforces on requests to the service (not part of the workload: no replica restarts). */
  policy?: TrafficPolicy;
  /**
   * The discovery variables (`<SERVICE>_HOST/_PORT/_URL`) of every addressed service when they are not
   * in `workload.env` (renders for Kubernetes, where one shared ConfigMap holds them): one object shared
   * by all states of a release. A replica gets the other services' variables, overridden by `workload.env`.
   */
  discovery?: Record<string, string>;
  /** Credentials to pull `workload.image` (its registry's entry in berth.yaml `registries`); not in the hash. */
  registryAuth?: RegistryAuth;
}

/** An image a container workload needs, as `resolveImages` is asked for it. */
export interface ImageRequest {
  /** The service that runs it (errors name it). */
  service: string;
  image: string;
  pullPolicy: ImagePullPolicy;
  auth?: RegistryAuth;
}

/** An image made present on the machine, with the digest the revision records (`Workload.imageDigest`). */
export interface ResolvedImage {
  service: string;
  image: string;
  digest: string;
  /** True when it was pulled for this request. */
  pulled: boolean;
}

/** A service whose address is asked for, with its first declared port when it has one. */
export interface ServiceEndpoint {
  name: string;
  port?: number;
  /** Every declared port (the first one included); each TCP port after the first gets an address too. */
  ports?: WorkloadPort[];
}

/**
 * Consecutive crashes of a replica (a pod's container) of the version being rolled out that was never
 * ready after which its rollout fails at once instead of at the progress deadline (Kubernetes'
 * CrashLoopBackOff; kubectl shows it after the second). Locally, with the default back-off (10 s then
 * 20 s), the third crash comes about 30 s into the rollout; `restart.initialBackoff` shortens it.
 */
export const CRASH_LOOP_THRESHOLD = 3;

export interface ConvergeOptions {
  signal: AbortSignal;
  onEvent: (e: RuntimeEvent) => void;
}

/** A rendered release as `Runtime.checkRelease` gets it (the release renderer's result has this shape). */
export interface ReleaseToCheck {
  loaded: Pick<LoadedSpec, 'spec' | 'file' | 'positionOf'>;
  revision: number;
  result: {
    states: Record<string, ServiceState>;
    edge?: EdgeSettings;
    rendered: {
      env: string;
      configVersion: number;
      routes: Route[];
      edge?: EdgeSettings;
      services: Record<string, { secretDigests: Record<string, string> }>;
    };
  };
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
   * With `allocate: false` (a plan) nothing is allocated or saved: a service whose address would be
   * allocated is left out of the answer.
   */
  addresses(
    app: string,
    env: string,
    services: ServiceEndpoint[],
    opts?: { allocate?: boolean },
  ): Promise<Record<string, ServiceAddress>>;
  /**
   * The discovery variables are shared once per app (a cluster's `<app>-discovery` ConfigMap, read
   * from `ServiceState.discovery`) instead of being copied into each service's environment.
   */
  readonly sharesDiscovery?: boolean;
  /**
   * Checks what a deploy of a rendered release would make before any revision is (a cluster's
   * objects against its schemas): a ValidationError at berth.yaml's file:line:col for what it would
   * refuse. Runtimes that make nothing of their own to check lack it.
   */
  checkRelease?(release: ReleaseToCheck): Promise<void>;
  observe(app: string, env: string): Promise<AppObservation>;
  /**
   * Request counters per track of a service, as the traffic layer measures them; undefined when this
   * runtime has no such measurements (then progressive releases cannot be analysed automatically).
   */
  traffic?(app: string, env: string, service: string): Promise<TrackTraffic[]>;
  /** Request counters per edge route to a service and track (none for requests to its own address). */
  routeTraffic?(app: string, env: string, service: string): Promise<RouteTraffic[]>;
  /** What the traffic policy of a service did (rate limited, retried, ...), when the runtime enforces policies. */
  policyCounters?(app: string, env: string, service: string): Promise<PolicyCounters | undefined>;
  /**
   * Sets the replica count of one track of a converged service without a new revision (the
   * autoscaler's lever; like an HPA writing a Deployment's replicas). Returns at once; the runtime
   * starts or stops replicas as a rolling update would. NotFoundError for a track that is not there.
   */
  scale?(app: string, env: string, service: string, track: Track, replicas: number): Promise<void>;
  logs(
    selector: LogSelector,
    opts: { follow: boolean; since?: Date; tail?: number; signal?: AbortSignal },
  ): AsyncIterable<LogLine>;
  /**
   * Makes the images of container workloads present on the machine (pulling them as their policy
   * says) and returns each one's digest, which the revision records. Rejects with a problem naming the
   * service when the engine is unreachable, an image is not found or a pull is refused. `pull: false`
   * only looks (plans and diffs). Runtimes whose nodes pull for themselves lack it.
   */
  resolveImages?(
    images: ImageRequest[],
    opts: { pull: boolean; signal?: AbortSignal; onEvent?: (e: RuntimeEvent) => void },
  ): Promise<ResolvedImage[]>;
  /** The volumes kept for `app` (every app when absent) in `env`, with their use; runtimes without volumes lack it. */
  volumes?(env: string, app?: string): Promise<VolumeStatus[]>;
  /**
   * Deletes the data of `volume` (every volume of the app when absent; a stateful service's per-replica
   * copies included) and returns what was removed. ConflictError while a replica mounting it runs.
   */
  removeVolumes?(app: string, env: string, volume?: string): Promise<VolumeStatus[]>;
  /** Remove one service, or the whole app in this environment (routes included). Volumes are kept. */
  remove(app: string, env: string, service?: string): Promise<void>;
  /**
   * Starts one run, named `runId`, of the cronjob `service` as last converged (one machine; the
   * control plane's scheduler calls it). Rejects when the cronjob has not been converged here.
   */
  startJobRun?(app: string, env: string, service: string, runId: string): Promise<void>;
  /** The runs of a cronjob the runtime holds: running ones and the last ended ones. */
  jobRuns?(app: string, env: string, service: string): Promise<JobRunStatus[]>;
  /** Stops a running run (a due run under `concurrency: replace`); it is reported failed, `replaced`. */
  stopJobRun?(app: string, env: string, service: string, runId: string): Promise<void>;
  /** Stop supervising; running replicas are left running (they are re-adopted on the next start). */
  close(): Promise<void>;
}
