/**
 * An environment's image registry (`berth env set ENV --registry HOST[/PREFIX]`, docs/builds.md): the
 * images `berth build` makes for it are tagged `<registry>/<app>/<service>:<commit>` and pushed there
 * with the credentials berth.yaml's `registries` gives for its host.
 */
import { z } from 'zod';

const REGISTRY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

export const registrySetting = z
  .string()
  .max(255)
  .regex(
    REGISTRY,
    'must be a registry host with an optional port and path prefix, lowercase: `registry.example.com`, `127.0.0.1:5000/team`',
  )
  .describe(
    "The registry `berth build` pushes this environment's images to: `HOST[:PORT][/PREFIX]`; images are tagged `<registry>/<app>/<service>:<commit>`.",
  );

/** `target` with the registry set, or removed (`null`); unchanged when `change` is undefined. */
export function withRegistry<T extends { registry?: string | undefined }>(
  target: T,
  change: string | null | undefined,
): T {
  if (change === undefined) return target;
  const out = { ...target };
  if (change === null) delete out.registry;
  else out.registry = change;
  return out;
}
