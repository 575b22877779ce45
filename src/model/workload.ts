/**
 * How one replica runs (its command or image, environment, files, ports, volumes, probes, resources)
 * and how a service runs (RunKind). Part of the shared model: dependency-free, used by berth.yaml's
 * schema, render, the release engine, every runtime and the console.
 */
import type { WorkloadPort } from './ports.js';
import type { Probe } from './probe.js';
import type { VolumeMount } from './volumes.js';

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
   * the image's id): a container runs exactly this, so a rollback runs the earlier image. On a cluster,
   * the registry digest of a service's build (`berth build`), rendered as the pod's `image@digest`.
   */
  imageDigest?: string;
  /**
   * The code snapshot (`sha256:…` of its manifest, src/artifacts/) a process service with a `cwd`
   * runs on one machine: the replicas' `cwd` is then the snapshot's read-only tree, so an edit of the
   * service's folder changes nothing until the next deploy, and a rollback runs the earlier code.
   */
  codeDigest?: string;
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

/** The argv a replica runs on one machine: `entrypoint` followed by `command`. */
export function processArgv(w: Pick<Workload, 'command' | 'entrypoint'>): string[] {
  return [...(w.entrypoint ?? []), ...(w.command ?? [])];
}
