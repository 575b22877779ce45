/**
 * The meaning of a parsed berth.yaml as a digest: two specs get the same digest exactly when their
 * JSON is the same (keys in the same order), whatever their text (comments, formatting). The control
 * plane keys a render by it, so a new text that means the same renders as the last one did.
 *
 * It is made of one digest per service, kept with the service's object (a parsed service spec is an
 * immutable value, and the incremental parser gives back the very object of an unchanged service
 * block): after an edit of one service of 200, one service is encoded and hashed, not the whole spec.
 */
import { createHash, hash } from 'node:crypto';
import type { AppSpec, ServiceSpec } from './schema.js';

/** Each service object's digest (sha256 of its JSON). */
const serviceDigests = new WeakMap<ServiceSpec, string>();

/**
 * A service spec's digest (sha256 of its JSON, hex), made once per parsed service object: the spec's
 * meaning and the render's per-service memo (release/serviceMemo.ts) both key on it.
 */
export function serviceDigest(service: ServiceSpec): string {
  let digest = serviceDigests.get(service);
  if (digest === undefined) serviceDigests.set(service, (digest = hash('sha256', JSON.stringify(service), 'hex')));
  return digest;
}

/**
 * The digest of `spec`'s meaning: the JSON of the spec without its services (`services: null` in its
 * place, so key order counts), then each service's name (as JSON) and its digest, in order. JSON text
 * holds no raw newline and a digest is 64 hex characters, so the parts cannot run into one another:
 * different JSON gives a different digest.
 */
export function specMeaning(spec: AppSpec): string {
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...spec, services: null }))
    .update('\n');
  for (const [name, service] of Object.entries(spec.services))
    hash.update(JSON.stringify(name)).update(':').update(serviceDigest(service)).update(',');
  return hash.digest('hex');
}
