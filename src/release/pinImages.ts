/**
 * Digest pinning: the images of a release's container workloads resolved to their digests through the
 * runtime (`Runtime.resolveImages`), so the revision records exactly which image each service runs
 * (`rendered.images`, `Workload.imageDigest`). A deploy pulls as each service's `imagePullPolicy`
 * says; a plan only looks (`pull: false`) and keeps the running revision's digest of an image the
 * machine does not have yet, rather than show it vanishing.
 */
import { BerthError, RuntimeError } from '../errors.js';
import { ownGet, setOwn } from '../own.js';
import type { ImageRequest, Runtime, RuntimeEvent, ServiceState } from '../runtime/runtime.js';

export interface PinOptions {
  /** Pull what the pull policy says (a deploy), or only look at what the machine has (a plan). */
  pull: boolean;
  /** Digests to keep for services whose image cannot be looked at (`pull: false` only). */
  fallback?: Record<string, string> | undefined;
  onEvent?: (e: RuntimeEvent) => void;
  signal?: AbortSignal;
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
    const digest = looks[i] ?? ownGet(opts.fallback, r.service);
    if (digest !== undefined) setOwn(out, r.service, digest);
  });
  return out;
}
