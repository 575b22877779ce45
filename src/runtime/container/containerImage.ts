/**
 * Makes a container's image present on the engine as its pull policy says: `IfNotPresent` pulls only
 * a missing image, `Always` pulls every time, `Never` never pulls. Registry credentials go to the
 * engine's call only (X-Registry-Auth), never to a file or a log.
 */
import type Docker from 'dockerode';
import type { ImagePullPolicy, RegistryAuth } from '../../model/workload.js';
import type { ContainerLaunch } from '../local/runner.js';
import { engineReason, engineStatus, type Engine } from './engine.js';
import { pinnedReference } from './images.js';

/** Whether the engine has `image` (a name, name:tag, name@digest or image id). */
export async function hasImage(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if (engineStatus(err) === 404) return false;
    throw new Error(`cannot look up image ${image}: ${engineReason(err)}`);
  }
}

/** Pulls `image`; rejects with the registry's reason (not found, unauthorized, unreachable). */
export async function pullImage(docker: Docker, image: string, auth?: RegistryAuth): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(image, {
      ...(auth ? { authconfig: { username: auth.username, password: auth.password, serveraddress: auth.server } } : {}),
    })) as NodeJS.ReadableStream;
  } catch (err) {
    throw new Error(`cannot pull image ${image}: ${engineReason(err)}`);
  }
  const events = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: unknown, out: { error?: string }[]) =>
      err ? reject(new Error(`cannot pull image ${image}: ${engineReason(err)}`)) : resolve(out),
    ),
  );
  const failed = events.find((e) => e.error || e.errorDetail?.message);
  if (failed)
    throw new Error(`cannot pull image ${image}: ${(failed.errorDetail?.message ?? failed.error ?? '').trim()}`);
  if (!(await hasImage(docker, image))) throw new Error(`cannot pull image ${image}: the engine did not keep it`);
}

/** Makes `image` present as `policy` says; rejects saying what is missing. */
export async function ensureImagePresent(
  docker: Docker,
  image: string,
  policy: ImagePullPolicy,
  auth?: RegistryAuth,
): Promise<void> {
  if (policy === 'Always') return pullImage(docker, image, auth);
  if (await hasImage(docker, image)) return;
  if (policy === 'Never') throw new Error(`image ${image} is not on this machine (imagePullPolicy: Never)`);
  return pullImage(docker, image, auth);
}

/**
 * The reference a run creates its container from, made present first: exactly the pinned image when
 * the revision pinned one (present: nothing is pulled whatever the policy, a digest never changes;
 * missing: pulled by digest unless the policy is Never), else the image as its pull policy says.
 */
export async function runnableImage(engine: Engine, c: ContainerLaunch): Promise<string> {
  if (!c.digest) {
    await ensureImagePresent(engine.docker, c.image, c.pullPolicy, c.auth);
    return c.image;
  }
  const ref = await pinnedReference(engine, c.image, c.digest);
  if (await hasImage(engine.docker, ref)) return ref;
  if (c.pullPolicy === 'Never') throw new Error(`image ${ref} is not on this machine (imagePullPolicy: Never)`);
  await pullImage(engine.docker, ref, c.auth);
  return ref;
}
