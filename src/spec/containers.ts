/**
 * berth.yaml's container fields: a service's `runAs` and `imagePullPolicy`, and the app's
 * `registries` (credentials to pull its images). Which services run as containers on one machine
 * is decided at render (src/release/renderContainers.ts); this file only checks what is written.
 */
import { z } from 'zod';
import { IMAGE_PULL_POLICIES } from '../model/workload.js';
import { RUN_AS } from '../model/observation.js';

/** A registry host as an image reference names it: `registry.example.com`, `localhost:5000`, `docker.io`. */
export const REGISTRY_HOST = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?$/;

export const runAsSchema = z
  .enum(RUN_AS)
  .optional()
  .describe(
    'How the service runs on one machine: `process` (its `command`) or `container` (its `image`, through Docker or Podman). Default: a container when it has `image` and no `command`, unless the environment says `containers: always` or `never`. Clusters always run `image`.',
  );

export const imagePullPolicySchema = z
  .enum(IMAGE_PULL_POLICIES)
  .optional()
  .describe(
    "When to pull `image` (Kubernetes' `imagePullPolicy`): `IfNotPresent` (the default), `Always` or `Never` (the image must be on the machine).",
  );

const registryCredentials = z
  .strictObject({
    username: z.string().min(1, 'must not be empty').describe('User name at the registry; may use `${VARIABLES}`.'),
    password: z
      .string()
      .min(1, 'must not be empty')
      .describe('Password or token; use a secret variable (`${REGISTRY_PASSWORD}`): it is never stored or shown.'),
  })
  .describe('Credentials for one registry.');

export const registriesSchema = z
  .record(
    z
      .string()
      .regex(
        REGISTRY_HOST,
        'registry hosts are lowercase host names with an optional port, as image references name them (`registry.example.com`, `localhost:5000`, `docker.io`)',
      ),
    registryCredentials,
  )
  .optional()
  .describe(
    "Credentials to pull images from private registries: registry host → `{ username, password }`. An image's registry is the host in its reference (`registry.example.com/shop/web:1`); names without one are Docker Hub's (`docker.io`).",
  );

/**
 * What a service's `runAs` needs, as problems on the raw service: `container` needs `image`, `process`
 * needs `command`.
 */
export function runAsProblems(s: Partial<Record<string, unknown>>): { message: string; path: string }[] {
  if (s.runAs === 'container' && s.image === undefined)
    return [{ message: '`runAs: container` needs `image`: the container runs it', path: 'runAs' }];
  if (s.runAs === 'process' && s.command === undefined)
    return [{ message: '`runAs: process` needs `command`: the process runs it', path: 'runAs' }];
  return [];
}
