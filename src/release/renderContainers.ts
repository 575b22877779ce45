/**
 * The container side of render (docs/berth-yaml.md, Containers): which services run as containers on
 * one machine, the registry credentials their images are pulled with, and the addresses a container
 * reaches the other services at.
 *
 * The rule, first match wins: a service's own `runAs`; then the environment's `containers` mode —
 * `always` runs every service that has an `image` as a container, `never` runs every service that has
 * a `command` as a process (a service with only an image cannot run then: a render error naming it);
 * then the default (`auto`): a container when the service has `image` and no `command`. Clusters
 * always run images: there the rule does not apply.
 */
import type { Problem } from '../errors.js';
import type { AppSpec, ServiceSpec } from '../spec/schema.js';
import type { RegistryAuth } from '../model/workload.js';
import type { RunAs, ServiceAddress } from '../model/observation.js';
import { interpolate } from '../spec/interpolate.js';
import { setOwn } from '../own.js';
import { MASK } from '../model/mask.js';

type PositionOf = (path: (string | number)[]) => { line: number; column: number } | undefined;

/** An environment's containers mode (src/environment/environments.ts); absent means `auto`. */
export type ContainersModeName = 'auto' | 'always' | 'never';

/**
 * How `svc` runs on one machine under the environment's `mode`; a string is the reason it cannot run
 * (only `never` with a service that has no `command`).
 */
export function runAsOf(
  svc: Pick<ServiceSpec, 'runAs' | 'image' | 'command'>,
  mode: ContainersModeName,
  env = 'ENV',
): RunAs | string {
  if (svc.runAs) return svc.runAs;
  if (mode === 'always' && svc.image !== undefined) return 'container';
  if (mode === 'never') {
    if (svc.command !== undefined) return 'process';
    return `it has an \`image\` and no \`command\`, and environment ${env} runs no containers (\`containers: never\`): give it a \`command\`, or let ${env} run containers (\`berth env set ${env} --containers auto\`)`;
  }
  return svc.image !== undefined && svc.command === undefined ? 'container' : 'process';
}

/**
 * Which services of `spec` run as containers in an environment on this machine (none on a cluster:
 * `local` false), with one problem per service that cannot run there.
 */
export function containerServices(
  spec: Pick<AppSpec, 'services'>,
  o: {
    local: boolean;
    mode: ContainersModeName | undefined;
    env: string;
    file: string;
    positionOf?: PositionOf | undefined;
  },
): { containers: Set<string>; problems: Problem[] } {
  const containers = new Set<string>();
  const problems: Problem[] = [];
  if (!o.local) return { containers, problems };
  for (const [name, svc] of Object.entries(spec.services)) {
    const how = runAsOf(svc, o.mode ?? 'auto', o.env);
    if (how === 'container') containers.add(name);
    else if (how !== 'process') {
      const path = ['services', name, 'image'];
      problems.push({
        file: o.file,
        ...(o.positionOf?.(path) ?? o.positionOf?.(path.slice(0, -1)) ?? {}),
        path: path.join('.'),
        message: `service ${name} cannot run in this environment: ${how}`,
      });
    }
  }
  return { containers, problems };
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * The registry host of an image reference, as Docker reads it: the first path component when it has
 * a `.` or a `:` or is `localhost` (`registry.example.com/x:1`, `localhost:5000/x`), else Docker Hub
 * (`docker.io`: `redis:7`, `library/redis`).
 */
export function registryHostOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  if (first !== 'localhost' && !first.includes('.') && !first.includes(':')) return 'docker.io';
  const host = first.toLowerCase();
  return DOCKER_HUB.has(host) ? 'docker.io' : host;
}

/** One registry's credentials, real (for the runtime) and as shown (stored with the release). */
export interface ResolvedRegistry {
  real: RegistryAuth;
  /** `{ server, username, password: ****** }`; the username masked too when it comes from a secret. */
  shown: RegistryAuth;
}

/**
 * berth.yaml's `registries` with their `${VARIABLES}` resolved through `lookup` (the release's
 * variables: unresolved ones are reported with the other variables before render gets here).
 */
export function resolveRegistries(
  spec: Pick<AppSpec, 'registries'>,
  lookup: (v: string) => { value: string; secret: boolean } | undefined,
): Map<string, ResolvedRegistry> {
  const out = new Map<string, ResolvedRegistry>();
  for (const [host, r] of Object.entries(spec.registries ?? {})) {
    const username = interpolate(r.username, lookup);
    const password = interpolate(r.password, lookup);
    const server = DOCKER_HUB.has(host) ? 'docker.io' : host;
    out.set(server, {
      real: { server, username: username.value, password: password.value },
      shown: { server, username: username.secret ? MASK : username.value, password: MASK },
    });
  }
  return out;
}

/** The credentials for `image`: its registry host's entry in `registries`, if any. */
export function registryFor(image: string, registries: Map<string, ResolvedRegistry>): ResolvedRegistry | undefined {
  return registries.get(registryHostOf(image));
}

/**
 * The addresses as a container on this machine reaches them: each one's `containerHost` in place of
 * its host (in `host` and in every URL). Addresses without one are kept.
 */
export function containerAddresses(addresses: Record<string, ServiceAddress>): Record<string, ServiceAddress> {
  const out: Record<string, ServiceAddress> = {};
  for (const [name, a] of Object.entries(addresses)) {
    const inside = a.containerHost;
    if (inside === undefined || inside === a.host) {
      setOwn(out, name, a);
      continue;
    }
    const swap = (url: string): string => url.replace(`//${a.host}:`, `//${inside}:`);
    const moved: ServiceAddress = {
      ...a,
      host: inside,
      url: swap(a.url),
      ...(a.ports ? { ports: a.ports.map((p) => (p.url === undefined ? p : { ...p, url: swap(p.url) })) } : {}),
    };
    setOwn(out, name, moved);
  }
  return out;
}

/** Whether any address is reached at another host from inside a container. */
export function hasContainerHosts(addresses: Record<string, ServiceAddress>): boolean {
  return Object.values(addresses).some((a) => a.containerHost !== undefined && a.containerHost !== a.host);
}
