/**
 * Digest pinning: the images of a release's container workloads resolved to their digests through the
 * runtime (`Runtime.resolveImages`), so the revision records exactly which image each service runs
 * (`rendered.images`, `Workload.imageDigest`). A deploy pulls as each service's `imagePullPolicy`
 * says; a plan only looks (`pull: false`) and keeps the running revision's digest of an image the
 * machine does not have yet, rather than show it vanishing.
 */
import { BerthError, RuntimeError } from '../errors.js';
import { setOwn } from '../own.js';
import type { ImageRequest, Runtime } from '../runtime/runtime.js';
import type { RuntimeEvent } from '../model/observation.js';
import type { ServiceState } from '../model/serviceState.js';

export interface PinOptions {
  /** Pull what the pull policy says (a deploy), or only look at what the machine has (a plan). */
  pull: boolean;
  /**
   * The running revision's image and digest per service, kept for a service whose image is the same
   * reference but cannot be looked at (`pull: false` only: the machine does not have it yet).
   */
  fallback?: Map<string, { image: string; digest: string }> | undefined;
  onEvent?: (e: RuntimeEvent) => void;
  signal?: AbortSignal;
}

/** The image and digest each container service of a stored release runs (a plan's fallback). */
export function runningImages(
  rendered: { services: Record<string, { workload: { image?: string; imageDigest?: string } }> } | undefined,
): Map<string, { image: string; digest: string }> {
  const out = new Map<string, { image: string; digest: string }>();
  for (const [service, s] of Object.entries(rendered?.services ?? {}))
    if (s.workload.image !== undefined && s.workload.imageDigest !== undefined)
      out.set(service, { image: s.workload.image, digest: s.workload.imageDigest });
  return out;
}

/** What `resolveImages` is asked for: every container workload with an image, in service order. */
export function imageRequests(states: Record<string, ServiceState>): ImageRequest[] {
  return Object.keys(states)
    .sort()
    .flatMap((service) => {
      const s = states[service]!;
      const w = s.workload;
      if (w.runAs !== 'container' || w.image === undefined) return [];
      return [
        {
          service,
          image: w.image,
          pullPolicy: w.imagePullPolicy ?? 'IfNotPresent',
          ...(s.registryAuth ? { auth: s.registryAuth } : {}),
        },
      ];
    });
}

/**
 * Service → digest of its image; undefined when no workload runs as a container or the runtime has
 * no `resolveImages` (clusters pull for themselves). A deploy's failure rejects with the runtime's
 * error (which names the service); anything that is not a Berth error becomes a RuntimeError saying so.
 */
export async function pinImages(
  runtime: Runtime,
  states: Record<string, ServiceState>,
  opts: PinOptions,
): Promise<Record<string, string> | undefined> {
  const requests = imageRequests(states);
  if (requests.length === 0 || !runtime.resolveImages) return undefined;
  const resolve = runtime.resolveImages.bind(runtime);
  const how = {
    pull: opts.pull,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  };
  const out: Record<string, string> = {};
  if (opts.pull) {
    const resolved = await resolve(requests, how).catch((err: unknown) => {
      if (err instanceof BerthError) throw err;
      const names = requests.map((r) => `${r.service} (${r.image})`).join(', ');
      throw new RuntimeError(
        `could not resolve the images of ${names}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    });
    for (const r of resolved) setOwn(out, r.service, r.digest);
    return out;
  }
  // One look per image: one the machine lacks keeps the running revision's digest (the deploy pulls it).
  const looks = await Promise.all(
    requests.map((r) =>
      resolve([r], how).then(
        (res) => res.find((x) => x.service === r.service)?.digest,
        () => undefined,
      ),
    ),
  );
  requests.forEach((r, i) => {
    const running = opts.fallback?.get(r.service);
    const digest = looks[i] ?? (running?.image === r.image ? running.digest : undefined);
    if (digest !== undefined) setOwn(out, r.service, digest);
  });
  return out;
}
