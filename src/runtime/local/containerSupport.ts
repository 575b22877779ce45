/**
 * What the local runtime needs to run container replicas, plugged in by whoever makes the runtime
 * (the server: src/runtime/container/localContainers.ts). The runtime itself knows only runners, so
 * a machine without an engine, or a test, runs processes alone.
 */
import type { Logger } from 'pino';
import type { ImageRequest, ResolvedImage } from '../runtime.js';
import type { BuiltImage, ImageBuildRequest } from '../../model/build.js';
import type { RuntimeEvent } from '../../model/observation.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { ReplicaRecord } from './replicaStore.js';
import type { Launch, Runner } from './runner.js';

export interface ContainerSupport {
  /** The host by which a container reaches this machine's service addresses (ServiceAddress.containerHost). */
  readonly host: string;
  /**
   * Where service addresses must listen besides 127.0.0.1 for containers to reach them (RoutingTable.serviceHosts):
   * none for Podman, whose containers reach the machine's loopback; Docker's bridge address for Docker.
   */
  serviceHosts(): Promise<string[]>;
  /** Says what is missing, naming the service, when no engine answers (before a container service converges). */
  check(service: string): Promise<void>;
  /** The runner of a container replica. */
  runnerOf(rec: ReplicaRecord, dir: string): Runner;
  /** The launch of a container replica (`runtimeEnv`: its volume directories, stateful replicas' addresses). */
  launchOf(state: ServiceState, rec: ReplicaRecord, configDir: string, runtimeEnv: Record<string, string>): Launch;
  /** Removes this home's containers no adopted replica keeps (at start). */
  sweep(logger: Logger): Promise<void>;
  /** Runtime.resolveImages through the same engine. */
  resolveImages(
    images: ImageRequest[],
    opts: { pull: boolean; signal?: AbortSignal; onEvent?: (e: RuntimeEvent) => void },
  ): Promise<ResolvedImage[]>;
  /** Runtime.buildImage through the same engine (src/runtime/container/imageBuild.ts). */
  buildImage(
    request: ImageBuildRequest,
    opts: { onLog: (line: string) => void; signal?: AbortSignal },
  ): Promise<BuiltImage>;
}

/** What the runtime gives its container support when it makes it. */
export interface ContainerSupportContext {
  home: string;
  logMaxBytes: number;
  logKeep: number;
}

/** Makes the container support of a runtime (absent: the runtime runs no containers). */
export type ContainerSupportOf = (ctx: ContainerSupportContext) => ContainerSupport;
