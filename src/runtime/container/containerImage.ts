/**
 * Makes a container's image present on the engine as its pull policy says: `IfNotPresent` pulls only
 * a missing image, `Always` pulls every time, `Never` never pulls. Registry credentials go to the
 * engine's call only (X-Registry-Auth), never to a file or a log.
 */
import type Docker from 'dockerode';
import type { ImagePullPolicy, RegistryAuth } from '../runtime.js';
import { engineReason, engineStatus } from './engine.js';

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
