/**
 * The runtime contract. A runtime owns one thing: make one service in one environment look like a
 * given desired state, and report what it observes. Ordering, strategies and analysis belong to the
 * release engine (src/release), which is the same for every runtime.
 *
 * This file holds only the contract: the Runtime interface and what its methods take or return that
 * is not shared model. The shapes every part shares (Workload, Probe, ports, volumes, ServiceState,
 * routes and traffic policies, observations) are in src/model/ (docs/architecture.md, "Parts and arrows").
 */
import type { BuiltImage, ImageBuildRequest } from '../model/build.js';
import type { Message } from '../model/messages.js';
import type {
  AppObservation,
  LogLine,
  LogSelector,
  PolicyCounters,
  RouteTraffic,
  RuntimeEvent,
  ServiceAddress,
  TrackTraffic,
} from '../model/observation.js';
import type { WorkloadPort } from '../model/ports.js';
import type { AppRoutes, EdgeSettings, Route, Track } from '../model/routing.js';
import type { LoadedSpec } from '../spec/load.js';
import type { ServiceState } from '../model/serviceState.js';
import type { VolumeStatus } from '../model/volumes.js';
import type { ImagePullPolicy, RegistryAuth } from '../model/workload.js';

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
  /**
   * Builds one image from a Dockerfile (and pushes it when `push`), streaming the build's output
   * line by line to `onLog`. Rejects with a RuntimeError naming the service, the log's last lines in
   * `details.logTail`, when the build fails. Runtimes that cannot build lack it (then the control plane's host builds).
   */
  buildImage?(
    request: ImageBuildRequest,
    opts: { onLog: (line: string) => void; signal?: AbortSignal },
  ): Promise<BuiltImage>;
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
