import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { podman } from '../../../test/support/containerEngine.js';
import {
  buildTinyImage,
  removeImages,
  startTestRegistry,
  registryPort,
  type TestRegistry,
} from '../../../test/support/registry.js';
import type { ImageRequest } from '../runtime.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { connectEngine, type Engine } from './engine.js';
import { imageResolver, lazyEngine, pinnedReference, resolveImages } from './images.js';

// A real registry (docker-registry with bcrypt htpasswd auth) on the address the test engine
// trusts over HTTP; tiny images built FROM scratch are pushed to it with the podman CLI.
const USER = 'berth-ci';
const PASSWORD = 'pull-s3cret-Zq81';
const auth = (): ImageRequest['auth'] => ({ server: registry.address, username: USER, password: PASSWORD });

let engine: Engine;
let registry: TestRegistry;
let first: string;
const repo = `berth-images-${process.pid}`;
const created: string[] = [];

beforeAll(async () => {
  engine = await connectEngine({ BERTH_CONTAINER_SOCKET: inject('containerSocket') });
  registry = await startTestRegistry(inject('testRegistry'), USER, PASSWORD);
  first = await buildTinyImage(`first ${Date.now()}`);
  created.push(first);
  await registry.push(first, repo, 'v1');
  await registry.push(first, repo, 'moving');
  // Pulled images come from the registry only, as on a machine that did not build them (Podman
  // would otherwise keep the digest it gave the image when it built it).
  await removeImages(first);
});

afterAll(async () => {
  await removeImages(...created);
  await registry?.stop();
});

/** The image as the registry serves it, removed from the machine first so that a pull is needed. */
async function remote(tag: string): Promise<string> {
  const image = `${registry.address}/${repo}:${tag}`;
  created.push(image);
  await removeImages(image);
  return image;
}

describe('resolveImages against a private registry', () => {
  it('pulls a missing image with the credentials and records the registry manifest digest, saying so in events without the password', async () => {
    const image = await remote('v1');
    const events: RuntimeEvent[] = [];
    const got = await resolveImages(engine, [{ service: 'api', image, pullPolicy: 'IfNotPresent', auth: auth() }], {
      pull: true,
      onEvent: (e) => events.push(e),
    });
    expect(got).toEqual([{ service: 'api', image, digest: await registry.manifestDigest(repo, 'v1'), pulled: true }]);
    expect(events.map((e) => e.reason)).toContain('Pulling');
    expect(events.at(-1)).toMatchObject({ service: 'api', reason: 'Pulled', detail: { code: 'event.pulled' } });
    expect(JSON.stringify(events)).not.toContain(PASSWORD);

    // Present now: IfNotPresent only looks, and finds the same digest.
    const again = await resolveImages(engine, [{ service: 'api', image, pullPolicy: 'IfNotPresent' }], { pull: true });
    expect(again[0]).toMatchObject({ digest: got[0]!.digest, pulled: false });
  });

  it('says the pull was refused because credentials are wrong or missing, naming the service and the registry', async () => {
    const image = await remote('v1');
    const wrong = resolveImages(
      engine,
      [{ service: 'api', image, pullPolicy: 'IfNotPresent', auth: { ...auth()!, password: 'not-the-password' } }],
      { pull: true },
    );
    await expect(wrong).rejects.toThrow(
      new RegExp(
        `^api: cannot pull .*: pull refused: the credentials for ${registry.address} \\(user ${USER}\\) are wrong`,
      ),
    );
    const err = await wrong.catch((e: Error) => e);
    expect(String(err)).not.toContain('not-the-password');
    await expect(
      resolveImages(engine, [{ service: 'worker', image, pullPolicy: 'Always' }], { pull: true }),
    ).rejects.toThrow(
      `worker: cannot pull ${image}: pull refused: ${registry.address} asks for credentials and none are given`,
    );
  });

  it('says an image the registry lacks is not found, and an unreachable registry is unreachable', async () => {
    await expect(
      resolveImages(
        engine,
        [{ service: 'api', image: `${registry.address}/${repo}:nope`, pullPolicy: 'IfNotPresent', auth: auth() }],
        {
          pull: true,
        },
      ),
    ).rejects.toThrow(`api: cannot pull ${registry.address}/${repo}:nope: image not found in ${registry.address}`);
    const dead = `127.0.0.1:${await registryPort()}`;
    await expect(
      resolveImages(engine, [{ service: 'db', image: `${dead}/x:1`, pullPolicy: 'IfNotPresent' }], { pull: true }),
    ).rejects.toThrow(
      new RegExp(`^db: cannot pull ${dead}/x:1: registry ${dead} is unreachable \\(.*connection refused`),
    );
  });

  it('Never does not pull: a missing image is an error naming the service, a present one resolves', async () => {
    const image = await remote('v1');
    await expect(
      resolveImages(engine, [{ service: 'web', image, pullPolicy: 'Never', auth: auth() }], { pull: true }),
    ).rejects.toThrow(`web: image ${image} is not on this machine and its imagePullPolicy is Never`);
    const pulled = await resolveImages(engine, [{ service: 'web', image, pullPolicy: 'IfNotPresent', auth: auth() }], {
      pull: true,
    });
    const present = await resolveImages(engine, [{ service: 'web', image, pullPolicy: 'Never' }], { pull: true });
    expect(present[0]).toEqual({ service: 'web', image, digest: pulled[0]!.digest, pulled: false });
  });

  it('Always pulls a tag again: a new image pushed under the same tag gives the new digest, IfNotPresent keeps the old one', async () => {
    const image = await remote('moving');
    const before = await resolveImages(engine, [{ service: 'api', image, pullPolicy: 'Always', auth: auth() }], {
      pull: true,
    });
    const oldDigest = await registry.manifestDigest(repo, 'moving');
    expect(before[0]!.digest).toBe(oldDigest);

    const second = await buildTinyImage(`second ${Date.now()}`);
    created.push(second);
    await registry.push(second, repo, 'moving');
    await removeImages(second);
    const newDigest = await registry.manifestDigest(repo, 'moving');
    expect(newDigest).not.toBe(oldDigest);
    const kept = await resolveImages(engine, [{ service: 'api', image, pullPolicy: 'IfNotPresent', auth: auth() }], {
      pull: true,
    });
    expect(kept[0]).toMatchObject({ digest: oldDigest, pulled: false });
    const after = await resolveImages(engine, [{ service: 'api', image, pullPolicy: 'Always', auth: auth() }], {
      pull: true,
    });
    expect(after[0]).toMatchObject({ digest: newDigest, pulled: true });
  });

  it('pulls an image shared by services once, and a plan (pull: false) only looks', async () => {
    const image = await remote('v1');
    const requests: ImageRequest[] = [
      { service: 'web', image, pullPolicy: 'IfNotPresent', auth: auth() },
      { service: 'worker', image, pullPolicy: 'Always', auth: auth() },
    ];
    expect(await resolveImages(engine, requests, { pull: false })).toEqual([]);
    expect(
      await podman(['image', 'exists', image]).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    const events: RuntimeEvent[] = [];
    const got = await resolveImages(engine, requests, { pull: true, onEvent: (e) => events.push(e) });
    const digest = await registry.manifestDigest(repo, 'v1');
    expect(got).toEqual([
      { service: 'web', image, digest, pulled: true },
      { service: 'worker', image, digest, pulled: true },
    ]);
    expect(events.filter((e) => e.reason === 'Pulled').map((e) => e.service)).toEqual(['web', 'worker']);
    expect(await resolveImages(engine, requests, { pull: false })).toMatchObject([{ digest }, { digest }]);
  });
});

describe('pinnedReference', () => {
  it('names a pinned repository digest with its repository, an image id alone, so the engine finds exactly that image', async () => {
    const image = await remote('v1');
    const [pulled] = await resolveImages(
      engine,
      [{ service: 'api', image, pullPolicy: 'IfNotPresent', auth: auth() }],
      {
        pull: true,
      },
    );
    const id = (await engine.docker.getImage(image).inspect()).Id;
    const byDigest = await pinnedReference(engine, image, pulled!.digest);
    expect(byDigest).toBe(`${registry.address}/${repo}@${pulled!.digest}`);
    expect((await engine.docker.getImage(byDigest).inspect()).Id).toBe(id);
    // A bare repository digest is no image to the engine; the id alone is.
    await expect(engine.docker.getImage(pulled!.digest).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await pinnedReference(engine, image, id)).toBe(id);
    // Gone from the machine: the repository digest, which a pull fetches exactly.
    await removeImages(image);
    expect(await pinnedReference(engine, image, pulled!.digest)).toBe(`${registry.address}/${repo}@${pulled!.digest}`);
  });
});

describe('imageResolver', () => {
  it('connects on first use and says no engine is running, naming the services that need one', async () => {
    const resolve = imageResolver(lazyEngine({ BERTH_CONTAINER_SOCKET: '/nonexistent/berth-test/podman.sock' }));
    await expect(
      resolve([{ service: 'redis', image: 'localhost/debian:12', pullPolicy: 'IfNotPresent' }], { pull: true }),
    ).rejects.toThrow(/^redis: no container engine is running: none of \/nonexistent\/berth-test\/podman\.sock exists/);
    const ok = imageResolver(lazyEngine({ BERTH_CONTAINER_SOCKET: inject('containerSocket') }));
    const got = await ok([{ service: 'redis', image: 'localhost/debian:12', pullPolicy: 'Never' }], { pull: true });
    expect(got[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
