/**
 * The container engine on this machine, spoken to through the Docker Engine API (served by Docker and
 * by Podman on a unix socket) with dockerode. This file finds the socket, connects, says which engine
 * answered, and turns the engine's failures into errors a user can act on, naming the service.
 */
import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { RuntimeError, UnavailableError } from '../../errors.js';

/** Which engine answered: they differ in how a container reaches the machine's loopback. */
export type EngineKind = 'podman' | 'docker';

export interface Engine {
  docker: Docker;
  kind: EngineKind;
  /** The engine's version, as it reports it. */
  version: string;
  /** The unix socket spoken to. */
  socketPath: string;
}

/**
 * The sockets tried, first to last: `BERTH_CONTAINER_SOCKET`, `DOCKER_HOST` (unix:// only), the
 * user's rootless Podman socket, then the system's Podman and Docker sockets.
 */
export function engineSockets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const explicit = env.BERTH_CONTAINER_SOCKET;
  if (explicit) return [explicit.replace(/^unix:\/\//, '')];
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost?.startsWith('unix://')) out.push(dockerHost.slice('unix://'.length));
  if (env.XDG_RUNTIME_DIR) out.push(join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'));
  out.push('/run/podman/podman.sock', '/var/run/docker.sock');
  return [...new Set(out)];
}

/**
 * Connects to the first engine that answers. UnavailableError saying exactly what is missing: no
 * socket (engine not running or not installed), permission denied on it, or no answer.
 */
export async function connectEngine(env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
  const candidates = engineSockets(env);
  const present = candidates.filter((p) => existsSync(p));
  if (present.length === 0) {
    throw new UnavailableError(
      `no container engine is running: none of ${candidates.join(', ')} exists (start one with \`systemctl start podman.socket\`, \`podman system service --time=0 unix:///run/podman/podman.sock\` or Docker, or point BERTH_CONTAINER_SOCKET at its socket)`,
    );
  }
  let last: unknown;
  for (const socketPath of present) {
    const docker = new (await dockerode())({ socketPath, timeout: 0 });
    try {
      const v = await docker.version();
      const podman = (v.Components ?? []).some((c) => /podman/i.test(c.Name));
      return { docker, kind: podman ? 'podman' : 'docker', version: v.Version, socketPath };
    } catch (err) {
      last = err;
    }
  }
  throw new UnavailableError(`the container engine at ${present.join(', ')} does not answer: ${engineReason(last)}`);
}

/**
 * Where service addresses must listen besides 127.0.0.1 for this engine's containers to reach them
 * at CONTAINER_HOST: none on Podman (slirp4netns maps it to the machine's loopback); on Docker the
 * IPv4 gateway of its default `bridge` network, which `host-gateway` resolves to (172.17.0.1 by default).
 */
export async function serviceHostsOf(engine: Engine): Promise<string[]> {
  if (engine.kind === 'podman') return [];
  let info: { IPAM?: { Config?: { Gateway?: string }[] } };
  try {
    info = (await engine.docker.getNetwork('bridge').inspect()) as typeof info;
  } catch (err) {
    throw new UnavailableError(`Docker's bridge network cannot be inspected: ${engineReason(err)}`);
  }
  const gateway = (info.IPAM?.Config ?? []).map((c) => c.Gateway).find((g) => g !== undefined && isIPv4(g));
  if (gateway === undefined)
    throw new UnavailableError(
      "Docker's bridge network has no IPv4 gateway: containers could not reach the service addresses (host-gateway)",
    );
  return [gateway];
}

/** dockerode, loaded when an engine is first needed (it takes ~200 ms to load: not at every server start). */
async function dockerode(): Promise<typeof Docker> {
  return (await import('dockerode')).default;
}

/** The engine's reason for a failure in one line (its JSON `message`, else the socket error). */
export function engineReason(err: unknown): string {
  const e = err as { code?: string; address?: string; json?: { message?: string }; reason?: string; message?: string };
  if (e?.code === 'EACCES')
    return `permission denied on ${e.address ?? 'its socket'} (add yourself to its group or run Berth as a user that may use it)`;
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOENT')
    return `nothing listens on ${e.address ?? 'its socket'} (the engine is not running)`;
  const fromJson = e?.json?.message;
  if (typeof fromJson === 'string' && fromJson) return fromJson.trim();
  return (e?.message ?? String(err)).trim();
}

/** The HTTP status the engine answered with, when it answered. */
export function engineStatus(err: unknown): number | undefined {
  const s = (err as { statusCode?: unknown })?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** A failure of the engine while working for `service`, as an error naming it. */
export function engineError(service: string, what: string, err: unknown): RuntimeError {
  return new RuntimeError(`${service}: ${what}: ${engineReason(err)}`);
}
