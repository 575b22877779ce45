/**
 * A deploy (and a plan) of services with `build:` runs what their newest successful build made for
 * the app in that environment (of one commit, when asked): an image service the built tag, pinned by
 * the build's digest; a command service the snapshot of its build output, its `cwd` the output folder.
 * The builds themselves are src/build/'s; the engine asks through `BuildLookup` (docs/builds.md).
 */
import { join } from 'node:path';
import { ValidationError, type Problem } from '../errors.js';
import { ownGet, setOwn } from '../own.js';
import { specDigest, type LoadedSpec } from '../spec/load.js';
import type { AppSpec } from '../spec/schema.js';

/** What a service's newest successful build made. */
export interface BuiltArtifact {
  buildId: string;
  commit: string;
  image?: string;
  imageDigest?: string;
  codeDigest?: string;
}

/** The newest successful build of a service of an app in an environment (of `commit` when given). */
export type BuildLookup = (
  app: string,
  env: string,
  service: string,
  commit?: string,
) => Promise<BuiltArtifact | undefined>;

type Loaded = Pick<LoadedSpec, 'spec' | 'file' | 'digest'> & Partial<Pick<LoadedSpec, 'positionOf'>>;

export interface WithBuilds<L extends Loaded> {
  loaded: L;
  /** Service → the built image's digest (`rendered.images`). */
  images?: Record<string, string>;
  /** Service → the build output's snapshot (`rendered.codes`). */
  codes?: Record<string, string>;
}

/** `$` as a template writes it (image and cwd are templates). */
const literal = (s: string): string => s.replaceAll('$', '$$$$');

/**
 * `loaded` with each service that has `build:` set to run its build's artifact, and those artifacts;
 * a ValidationError naming each never-built service's `build:` line and the command that builds it.
 * Unchanged without a lookup (an engine that keeps no builds) or without services that have `build:`.
 */
export async function withBuilds<L extends Loaded>(
  lookup: BuildLookup | undefined,
  loaded: L,
  env: string,
  commit?: string,
): Promise<WithBuilds<L>> {
  const { spec } = loaded;
  const names = Object.keys(spec.services).filter((n) => spec.services[n]!.build !== undefined);
  if (!lookup || names.length === 0) return { loaded };
  const images: Record<string, string> = {};
  const codes: Record<string, string> = {};
  const services: AppSpec['services'] = { ...spec.services };
  const problems: Problem[] = [];
  for (const name of names.sort()) {
    const svc = spec.services[name]!;
    const got = await lookup(spec.name, env, name, commit);
    const artifact =
      got && (svc.build!.kind === 'image' ? got.image && got.imageDigest : got.codeDigest) ? got : undefined;
    if (!artifact) {
      problems.push({
        file: loaded.file,
        ...(loaded.positionOf?.(['services', name, 'build']) ?? {}),
        path: `services.${name}.build`,
        message: `service ${name} has \`build:\` but no successful build of ${spec.name} in ${env}${commit ? ` at commit ${commit}` : ''}: run \`berth build ${join(loaded.file, '..')} ${name} --env ${env}${commit ? ` --commit ${commit}` : ''}\` first`,
      });
      continue;
    }
    if (svc.build!.kind === 'image') {
      setOwn(services, name, { ...svc, image: literal(artifact.image!) });
      setOwn(images, name, artifact.imageDigest!);
    } else {
      // The loader made cwd absolute (a template: `$` is `$$`); the replica runs the output's snapshot.
      const cwd = svc.cwd ?? literal(join(loaded.file, '..'));
      setOwn(services, name, { ...svc, cwd: join(cwd, literal(svc.build!.output)) });
      setOwn(codes, name, artifact.codeDigest!);
    }
  }
  if (problems.length > 0)
    throw new ValidationError(
      `${spec.name} has services that were never built for ${env}: build them first (docs/builds.md)`,
      problems,
    );
  const built = { ...spec, services };
  const digest = specDigest(built);
  const out = { ...loaded, spec: built } as L;
  Object.defineProperty(out, 'digest', { value: digest, enumerable: true });
  return {
    loaded: out,
    ...(Object.keys(images).length > 0 ? { images } : {}),
    ...(Object.keys(codes).length > 0 ? { codes } : {}),
  };
}

/** `out` with `extra`'s entries set over it; undefined when both are. */
export function mergeDigests(
  out: Record<string, string> | undefined,
  extra: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!extra) return out;
  const merged: Record<string, string> = { ...(out ?? {}) };
  for (const [k, v] of Object.entries(extra)) setOwn(merged, k, v);
  return merged;
}

/** `states` without the services in `built` (their artifacts come from their builds). */
export function withoutBuilt<T>(
  states: Record<string, T>,
  built: Record<string, string> | undefined,
): Record<string, T> {
  if (!built) return states;
  return Object.fromEntries(Object.entries(states).filter(([n]) => ownGet(built, n) === undefined));
}
