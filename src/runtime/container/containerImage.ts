/**
 * The image a container run is created from, made present through images.ts (the same inspect, pull
 * policy, credentials and classified pull failures as a deploy's `resolveImages`, naming the service):
 * exactly the pinned image when the revision pinned one, else the image as its pull policy says.
 */
import type { ContainerLaunch } from '../local/runner.js';
import { LABEL } from './containerLaunch.js';
import type { Engine } from './engine.js';
import { pinnedReference, resolveImages } from './images.js';

/**
 * The reference a run creates its container from, made present first. Pinned: present, nothing is
 * pulled whatever the policy (a digest never changes); missing, pulled by digest unless the policy
 * is Never. Not pinned: `IfNotPresent` pulls only a missing image, `Always` every time, `Never` never.
 */
export async function runnableImage(engine: Engine, c: ContainerLaunch): Promise<string> {
  const service = Object.hasOwn(c.labels, LABEL.service) ? c.labels[LABEL.service]! : c.name;
  const auth = c.auth ? { auth: c.auth } : {};
  if (!c.digest) {
    await resolveImages(engine, [{ service, image: c.image, pullPolicy: c.pullPolicy, ...auth }], { pull: true });
    return c.image;
  }
  const ref = await pinnedReference(engine, c.image, c.digest);
  const pullPolicy = c.pullPolicy === 'Never' ? 'Never' : 'IfNotPresent';
  await resolveImages(engine, [{ service, image: ref, pullPolicy, ...auth }], { pull: true });
  return ref;
}
