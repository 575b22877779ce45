/**
 * Builds (issue 17): what berth.yaml's `build:` of a service says, what a runtime's image builder is
 * asked for, and what a build of a service produced. Shared by the spec (which parses `build:`), the
 * build service (src/build: context digests, skipping, records, logs), the runtimes that build images
 * (one machine: Podman; Kubernetes: a Kaniko Job) and the pipelines that run builds.
 */
import type { RegistryAuth } from './workload.js';

/** `build:` of a container service: an image built from a Dockerfile. Paths are relative to berth.yaml's folder. */
export interface ImageBuildSpec {
  kind: 'image';
  /** The build context folder (default `.`). */
  context: string;
  /** The Dockerfile, relative to `context` (default `Dockerfile`). */
  dockerfile: string;
  /** Build arguments (`--build-arg`); values may use `${VARIABLES}`. */
  args: Record<string, string>;
  /** The stage of a multi-stage Dockerfile to build. */
  target?: string;
}

/** `build:` of a process service: a command run in the service's `cwd`, whose output folder the release pins. */
export interface CommandBuildSpec {
  kind: 'command';
  /** A shell string run by `/bin/sh -c` in the service's `cwd`. */
  command: string;
  /** The folder (relative to `cwd`) the command leaves, snapshotted as the service's code (docs/releases.md). */
  output: string;
}

export type BuildSpec = ImageBuildSpec | CommandBuildSpec;

/** What a runtime's image builder is asked for (`Runtime.buildImage`). */
export interface ImageBuildRequest {
  app: string;
  env: string;
  /** The service whose image it is (errors and logs name it). */
  service: string;
  /** The build context on the control plane's machine (a checkout, or the berth.yaml folder). */
  contextDir: string;
  /**
   * Where the same context is in git, when the build comes from a pipeline's source: a builder that
   * runs elsewhere (a cluster) fetches the context from there instead of from `contextDir`.
   */
  git?: { url: string; commit: string; subPath: string };
  /** Relative to the context. */
  dockerfile: string;
  args: Record<string, string>;
  target?: string;
  /** The reference to tag (and push): `<registry>/<app>/<service>:<commit>`, or `localhost/<app>/<service>:<commit>`. */
  image: string;
  /** Push `image` to its registry after the build (an environment with a registry). */
  push: boolean;
  /** The registry's credentials for the push (config secrets; never logged). */
  auth?: RegistryAuth;
}

/** An image a builder made. */
export interface BuiltImage {
  /** The tag it was given (`ImageBuildRequest.image`). */
  image: string;
  /** `sha256:…`: the registry's manifest digest when pushed, else the local image id. */
  digest: string;
}

/** What one service's part of a build came to. */
export interface ServiceBuildResult {
  service: string;
  kind: BuildSpec['kind'];
  /** `skipped`: its context's digest matched an earlier successful build, whose artifact is reused. */
  status: 'built' | 'skipped' | 'failed';
  /** sha256 over the context's files (names, modes, contents) and the build's settings. */
  contextDigest: string;
  /** kind image: the tag and digest. */
  image?: string;
  imageDigest?: string;
  /** kind command: the code snapshot's digest (docs/releases.md). */
  codeDigest?: string;
  /** failed: the last lines of its log. */
  logTail?: string[];
}
