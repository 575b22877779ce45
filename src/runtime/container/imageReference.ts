/**
 * An image reference (`redis:7`, `127.0.0.1:5000/shop/api:1.2`, `ghcr.io/x/y@sha256:…`) taken apart
 * the way Docker and Podman read it, so a repository digest the engine lists can be matched to the
 * repository that was asked for (`redis` is `docker.io/library/redis`).
 */

export interface ImageReference {
  /** The repository as written, without tag or digest (what the engine's pull wants). */
  name: string;
  /** The registry host (`docker.io` when the reference names none). */
  registry: string;
  /** `registry/path`, with Docker Hub's `library/` for one-part paths: the form compared. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** The default registry of references that name none (both engines' default). */
const DEFAULT_REGISTRY = 'docker.io';

export function imageReference(image: string): ImageReference {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : DEFAULT_REGISTRY;
  let path = hasRegistry ? rest.slice(slash + 1) : rest;
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  const out: ImageReference = { name: rest, registry, repository: `${registry}/${path}` };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

/** Whether two references name the same repository (`redis` and `docker.io/library/redis` do). */
export function sameRepository(a: ImageReference, b: ImageReference): boolean {
  return a.repository === b.repository;
}
