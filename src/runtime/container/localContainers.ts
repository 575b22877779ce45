/**
 * Containers for the local runtime: one engine connection (made when first needed, again after a
 * failure), the runner and the launch of each container replica, the engine check before a
 * container service converges, and the sweep of orphaned containers at start.
 */
import type { Logger } from 'pino';
import { UnavailableError } from '../../errors.js';
import type { ImageRequest, ResolvedImage } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { ContainerSupport, ContainerSupportContext, ContainerSupportOf } from '../local/containerSupport.js';
import type { ReplicaRecord } from '../local/replicaStore.js';
import type { Launch, Runner } from '../local/runner.js';
import { CONTAINER_HOST, containerLaunchOf, homeIdOf } from './containerLaunch.js';
import { imageResolver, lazyEngine } from './images.js';
import { imageBuilder } from './imageBuild.js';
import type { BuiltImage, ImageBuildRequest } from '../../model/build.js';
import { containersOnDisk } from './containerFile.js';
import { ContainerRunner } from './containerRunner.js';
import { sweepContainers } from './containerSweep.js';
import { engineReason, serviceHostsOf, type Engine } from './engine.js';

/** How long the sweep at start may take before the runtime goes on without it. */
const SWEEP_TIMEOUT_MS = 5_000;

export interface LocalContainersOptions extends ContainerSupportContext {
  /** Where the engine is looked for (BERTH_CONTAINER_SOCKET, DOCKER_HOST, ...; see engineSockets). */
  env?: NodeJS.ProcessEnv;
}

/** The local runtime's container support, finding the engine through `env` (process.env by default). */
export function localContainers(env?: NodeJS.ProcessEnv): ContainerSupportOf {
  return (ctx) => new LocalContainers({ ...ctx, ...(env ? { env } : {}) });
}

export class LocalContainers implements ContainerSupport {
  readonly host = CONTAINER_HOST;
  readonly homeId: string;
  private readonly connect: () => Promise<Engine>;
  private readonly images = imageResolver(() => this.engine());
  private readonly builder = imageBuilder(() => this.engine());
  private readonly opts: LocalContainersOptions;

  constructor(opts: LocalContainersOptions) {
    this.opts = opts;
    this.homeId = homeIdOf(opts.home);
    this.connect = lazyEngine(opts.env ?? process.env);
  }

  /** The engine; a failed connection is forgotten, so the next call tries again. */
  engine(): Promise<Engine> {
    return this.connect();
  }

  /** Where service addresses listen besides 127.0.0.1 for this engine's containers (Docker's bridge address). */
  async serviceHosts(): Promise<string[]> {
    return serviceHostsOf(await this.engine());
  }

  /** Says what is missing, naming the service, when no engine answers (before a container service converges). */
  async check(service: string): Promise<void> {
    try {
      await this.engine();
    } catch (err) {
      throw new UnavailableError(
        `${service} runs as a container: ${err instanceof Error ? err.message : engineReason(err)}`,
      );
    }
  }

  /** The runner of a container replica. */
  runnerOf(rec: ReplicaRecord, dir: string): Runner {
    return new ContainerRunner({
      engine: () => this.engine(),
      dir,
      gracePeriodMs: rec.spec.terminationGracePeriodMs,
      ...(rec.spec.stopSignal ? { stopSignal: rec.spec.stopSignal } : {}),
      logMaxBytes: this.opts.logMaxBytes,
      logKeep: this.opts.logKeep,
    });
  }

  resolveImages(
    images: ImageRequest[],
    opts: { pull: boolean; signal?: AbortSignal; onEvent?: (e: RuntimeEvent) => void },
  ): Promise<ResolvedImage[]> {
    return this.images(images, opts);
  }

  buildImage(
    request: ImageBuildRequest,
    opts: { onLog: (line: string) => void; signal?: AbortSignal },
  ): Promise<BuiltImage> {
    return this.builder(request, opts);
  }

  /** The launch of a container replica. */
  launchOf(state: ServiceState, rec: ReplicaRecord, configDir: string, runtimeEnv: Record<string, string>): Launch {
    return containerLaunchOf(state, rec, configDir, runtimeEnv, this.homeId);
  }

  /**
   * Removes this home's containers that no replica keeps (after the replicas on disk were adopted);
   * nothing when no engine is there. It runs before the runtime is ready, so no replica of this
   * runtime is creating a container meanwhile.
   */
  async sweep(logger: Logger): Promise<void> {
    const work = async (): Promise<void> => {
      let engine: Engine;
      try {
        engine = await this.engine();
      } catch {
        return; // no engine: no container of ours can run either
      }
      const swept = await sweepContainers(engine.docker, this.homeId, () => containersOnDisk(this.opts.home), {
        onError: (name, reason) => logger.warn({ container: name, reason }, 'cannot remove an orphaned container'),
      });
      for (const c of swept)
        logger.info({ container: c.name, service: c.service, replica: c.replica }, 'removed an orphaned container');
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger.warn('the container engine did not answer the sweep of orphaned containers in time');
        resolve();
      }, SWEEP_TIMEOUT_MS);
      timer.unref();
    });
    try {
      await Promise.race([
        work().catch((err: unknown) => logger.warn({ err }, 'sweeping orphaned containers failed')),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}
