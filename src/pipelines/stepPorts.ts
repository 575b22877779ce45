/**
 * What a pipeline's steps call outside src/pipelines, injected by the control plane (src/server/
 * pipelineWiring.ts): the release engine's deploy, the build service (`Builds.run`), the promotion,
 * the jobs of berth.yaml and the preview environments. Tests hand in their own implementations.
 */
import type { ServiceBuildResult } from '../model/build.js';
import type { PreviewEnvironments, PromotionRequest } from '../model/delivery.js';

/** A release a deploy or promote step made. */
export interface StepRelease {
  releaseId: number;
  revision: number;
  env: string;
}

/** A deploy: the release of the checkout's berth.yaml, as `POST /api/v1/releases` makes it. */
export interface PipelineDeployer {
  /** Creates the release (queued behind an operation already running on the app and environment). */
  deploy(req: {
    app: string;
    env: string;
    /** berth.yaml in the run's checkout. */
    specFile: string;
    /** The run's commit: services with `build:` run their build of it (docs/builds.md). */
    commit?: string;
    author: string;
    /** The release's message, which names the run and step: `find` looks a release up by it. */
    message: string;
    signal: AbortSignal;
    /** The step's log (what the deploy waits for: an approval request). */
    onLog?: (line: string) => void;
  }): Promise<StepRelease>;
  /** A release of `app` in `env` with this message (one an interrupted step made before the restart). */
  find(app: string, env: string, message: string): Promise<StepRelease | undefined>;
  /** Waits for the release to finish, telling its events; `failed` with why. */
  wait(
    release: StepRelease,
    opts: { onLog: (line: string) => void; signal: AbortSignal },
  ): Promise<{ status: 'succeeded' | 'failed'; reason?: string }>;
}

/** A build of every service with `build:` (the build service's `Builds.run`). */
export interface PipelineBuilds {
  run(
    req: {
      app: string;
      env: string;
      /** berth.yaml in the run's checkout, and the git coordinates of the same folder. */
      specFile: string;
      git: { url: string; commit: string; subPath: string };
      commit: string;
      author: string;
    },
    opts: { onLog: (text: string) => void; signal: AbortSignal },
  ): Promise<{ buildId?: string; services: ServiceBuildResult[] }>;
}

/** A promotion from one environment to another (the release engine's promotion). */
export interface PipelinePromotions {
  promote(
    req: PromotionRequest,
    opts: { onLog: (line: string) => void; signal: AbortSignal },
  ): Promise<Partial<StepRelease>>;
}

/** A `kind: job` of the checkout's berth.yaml run once in an environment (its config, its command). */
export interface PipelineJobs {
  run(
    req: { app: string; env: string; job: string; specFile: string; author: string },
    opts: { onLog: (text: string) => void; signal: AbortSignal },
  ): Promise<{ exitCode: number }>;
}

export interface StepPorts {
  deployer: PipelineDeployer;
  builds?: PipelineBuilds;
  promotions?: PipelinePromotions;
  jobs?: PipelineJobs;
  previews?: PreviewEnvironments;
}
