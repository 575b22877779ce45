/**
 * What a render stores and shows: a release and its services with secrets masked, each field with
 * what it was made from. Plans, diffs and the API read it; render.ts makes it.
 */
import type { EdgeSettings, Route, TrafficPolicy } from '../model/routing.js';
import type { ServiceState } from '../model/serviceState.js';
import type { RunKind, Workload } from '../model/workload.js';
import type { Strategy } from '../spec/strategy.js';

/** The stored, shown form of one service: secrets masked, with what each field was made from. */
export interface RenderedService {
  service: string;
  hash: string;
  /** A job, a cronjob or a stateful service (the runtime's `RunKind`); absent: a replicated service. */
  run?: RunKind;
  replicas: number;
  dependsOn: string[];
  workload: Workload;
  rollout: ServiceState['rollout'];
  restart: ServiceState['restart'];
  /** Field path (e.g. `env.LOG_LEVEL`, `files.app.conf`) → the variables it was made from. */
  sources: Record<string, string[]>;
  /** Field path → keyed digest of its real value, for fields that contain a secret (shown masked). */
  secretDigests: Record<string, string>;
  /** When `berth restart` last asked for fresh replicas (like Kubernetes' restartedAt annotation). */
  restartedAt?: string;
  /** What the proxy enforces on the service's requests (not in the hash: changing it moves no replica). */
  policy?: TrafficPolicy;
  /** How a new version reaches users; absent means `rolling` (and in releases made before strategies). */
  strategy?: Exclude<Strategy, { type: 'rolling' }>;
  /** The registry credentials its image is pulled with (berth.yaml `registries`), password masked. */
  registry?: ServiceState['registryAuth'];
}

/** The stored, shown form of a whole release. */
export interface RenderedRelease {
  app: string;
  env: string;
  configVersion: number;
  levels: string[][];
  services: Record<string, RenderedService>;
  routes: Route[];
  /** Where the edge listens on one machine (berth.yaml `edge`, the environment's edge ports); runtime defaults when absent. */
  edge?: EdgeSettings;
  /** `<SERVICE>_HOST/_PORT/_URL` of every service: each service gets all but its own. */
  discovery?: Record<string, string>;
  /** Service → last restart time; carried from revision to revision. */
  restarts?: Record<string, string>;
  /** Service → the digest its image resolved to at deploy (container services on one machine); a rollback runs it again. */
  images?: Record<string, string>;
  /** Service → the code snapshot it runs (process services with a `cwd` on one machine); a rollback runs it again. */
  codes?: Record<string, string>;
  /** The discovery variables as containers see them (`ServiceAddress.containerHost`), when they differ from `discovery`. */
  containerDiscovery?: Record<string, string>;
}
