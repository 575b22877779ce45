/**
 * Digest pinning through the real release engine and a real SQLite store, with a runtime whose
 * `resolveImages` asks a real Podman engine (the test engine's socket) what an image is. The runtime
 * records what it is asked to converge instead of running containers: running them is the container
 * runner's part, tested beside it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureImage, podman, BASE_IMAGE } from '../../test/support/containerEngine.js';
import { createConfigSets } from '../config/configSets.js';
import { loadSecretBox } from '../config/secretBox.js';
import { createEnvironments } from '../environment/environments.js';
import { RuntimeError } from '../errors.js';
import type { ImageRequest, ResolvedImage, Runtime } from '../runtime/runtime.js';
import type { ServiceAddress } from '../model/observation.js';
import type { ServiceState } from '../model/serviceState.js';
import { parseSpec } from '../spec/load.js';
import { createLeases } from '../store/leases.js';
import { openStore, type Store } from '../store/store.js';
import { createReleaseEngine, type EngineDeps, type ReleaseEngine } from './engine/engine.js';
import { createEngineRenderer } from './engineRender.js';
import { Releases } from './releases.js';

const REPO = 'localhost/berth-test-pins';
const IMAGE_A = `${REPO}/app:a1`;
const IMAGE_B = `${REPO}/app:b1`;
/** The moving tag the app deploys: retagged from A to B like a rebuilt `:latest`. */
const WEB = `${REPO}/web:latest`;

/** What the engine asks of an image, answered by the engine's own inspect (no digest is made up here). */
async function inspectDigest(docker: Docker, image: string): Promise<string> {
  const info = await docker.getImage(image).inspect();
  const repo = info.RepoDigests?.find((d) => d.startsWith(`${image.split(':')[0]}@`)) ?? info.RepoDigests?.[0];
  return repo ? repo.slice(repo.indexOf('@') + 1) : info.Id;
}

/** A runtime for one machine whose images come from Podman and whose converges are recorded. */
function podmanRuntime(docker: Docker) {
  const converged: ServiceState[] = [];
  const asked: { requests: ImageRequest[]; pull: boolean }[] = [];
  const runtime: Runtime = {
    kind: 'local',
    converge: async (state) => {
      converged.push(state);
    },
    applyRoutes: async () => {},
    addresses: async (_app, _env, services) => {
      const out: Record<string, ServiceAddress> = {};
      services.forEach((s, i) => {
        const port = 41100 + i;
        out[s.name] = {
          host: '127.0.0.1',
          port,
          url: `http://127.0.0.1:${port}`,
          containerHost: 'host.berth.internal',
        };
      });
      return out;
    },
    observe: async () => ({ services: [] }),
    logs: async function* () {},
    remove: async () => {},
    close: async () => {},
    resolveImages: async (requests, opts): Promise<ResolvedImage[]> => {
      asked.push({ requests, pull: opts.pull });
      for (const r of requests)
        opts.onEvent?.({
          time: new Date().toISOString(),
          service: r.service,
          type: 'Normal',
          reason: 'ImagePresent',
          message: `image ${r.image} is on the machine`,
        });
      const out: ResolvedImage[] = [];
      for (const r of requests)
        out.push({ service: r.service, image: r.image, digest: await inspectDigest(docker, r.image), pulled: false });
      return out;
    },
  };
  return { runtime, converged, asked };
}

const SPEC = (image: string) => `name: pins
services:
  web:
    image: ${image}
    ports: [8080]
    env:
      API: \${API_URL}
  api:
    command: node api.js
    ports: [8081]
`;

describe('image digests pinned per revision', () => {
  let dir: string;
  let store: Store;
  let engine: ReleaseEngine;
  let deps: EngineDeps;
  let docker: Docker;
  let rt: ReturnType<typeof podmanRuntime>;
  let digestA: string;
  let digestB: string;

  beforeAll(async () => {
    await ensureImage(IMAGE_A, `FROM ${BASE_IMAGE}\nRUN echo a > /pins-version\n`);
    await ensureImage(IMAGE_B, `FROM ${BASE_IMAGE}\nRUN echo b > /pins-version\n`);
    await podman(['tag', IMAGE_A, WEB]);
    docker = new Docker({ socketPath: inject('containerSocket') });
    digestA = await inspectDigest(docker, IMAGE_A);
    digestB = await inspectDigest(docker, IMAGE_B);
    dir = await mkdtemp(join(tmpdir(), 'berth-pins-'));
    store = await openStore({ file: join(dir, 'berth.db') });
    const box = await loadSecretBox(dir);
    rt = podmanRuntime(docker);
    deps = {
      releases: new Releases(store.db),
      environments: createEnvironments(store.db),
      configSets: createConfigSets(store.db, box),
      secretBox: box,
      leases: createLeases(store.db, { holder: 'test' }),
      runtimeFor: async () => rt.runtime,
      isHolderAlive: () => true,
      logger: pino({ level: 'silent' }),
    };
    engine = createReleaseEngine(deps);
  }, 600_000);

  afterAll(async () => {
    await engine?.close();
    await store?.close();
    // With the image alone, untag would remove every name of it (b1's too): name the tag.
    await podman(['untag', WEB, WEB]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const deploy = async (image = WEB) => {
    const loaded = parseSpec(SPEC(image), join(dir, 'berth.yaml'));
    const rel = await engine.deploy({ loaded, env: 'local', author: 'test', rollbackPolicy: 'none' });
    return engine.wait(rel.id);
  };
  const contentOf = async (revision: number) =>
    deps.releases.content((await deps.releases.byRevision('pins', 'local', revision)).id);

  it('records the digest of a deploy, rolls a rebuilt tag out, and a rollback runs the earlier image', async () => {
    expect(digestA).not.toBe(digestB);
    const first = await deploy();
    expect(first.status).toBe('succeeded');
    const r1 = await contentOf(1);
    expect(r1.rendered.images).toEqual({ web: digestA });
    expect(r1.rendered.services.web!.workload).toMatchObject({ runAs: 'container', imageDigest: digestA });
    // The process service is untouched: no runAs, no digest.
    expect(r1.rendered.services.api!.workload).not.toHaveProperty('imageDigest');
    expect(r1.rendered.services.api!.workload).not.toHaveProperty('runAs');
    // The deploy pulled (as the policy says); the runtime got the pinned workload, reaching api from inside.
    expect(rt.asked.at(-1)).toMatchObject({
      pull: true,
      requests: [{ service: 'web', image: WEB, pullPolicy: 'IfNotPresent' }],
    });
    const web1 = rt.converged.filter((s) => s.service === 'web').at(-1)!;
    expect(web1.workload.imageDigest).toBe(digestA);
    expect(web1.hash).toBe(r1.rendered.services.web!.hash);
    expect(web1.workload.env.API).toBe('http://host.berth.internal:41101');
    // What resolving did is the revision's first event.
    const events = await deps.releases.events(first.id);
    expect(events[0]).toMatchObject({
      service: 'web',
      reason: 'ImagePresent',
      message: `image ${WEB} is on the machine`,
    });

    // The tag moves to another image, like a rebuilt :latest. A plan looks (pulls nothing) and shows it.
    await podman(['tag', IMAGE_B, WEB]);
    const { plan } = await engine.plan({ loaded: parseSpec(SPEC(WEB), join(dir, 'berth.yaml')), env: 'local' });
    expect(rt.asked.at(-1)!.pull).toBe(false);
    const webPlan = plan.services.find((s) => s.service === 'web')!;
    expect(webPlan).toMatchObject({ action: 'update', restart: true });
    expect(webPlan.changes).toContainEqual(
      expect.objectContaining({ path: 'imageDigest', from: digestA, to: digestB }),
    );
    expect(plan.services.find((s) => s.service === 'api')!.action).toBe('unchanged');

    expect((await deploy()).status).toBe('succeeded');
    const r2 = await contentOf(2);
    expect(r2.rendered.images).toEqual({ web: digestB });
    expect(r2.rendered.services.web!.hash).not.toBe(r1.rendered.services.web!.hash);
    expect(r2.rendered.services.api!.hash).toBe(r1.rendered.services.api!.hash);
    const diff = await engine.diff('pins', 'local', 1, 2);
    expect(diff.services.find((s) => s.service === 'web')!.changes).toContainEqual(
      expect.objectContaining({ path: 'imageDigest', from: digestA, to: digestB }),
    );

    // A rollback to revision 1 runs its image, though the tag names B now.
    const rb = await engine.rollback({ app: 'pins', env: 'local', author: 'test', toRevision: 1 });
    expect((await engine.wait(rb.id)).status).toBe('succeeded');
    const r3 = await contentOf(3);
    expect(r3.rendered.images).toEqual({ web: digestA });
    expect(r3.rendered.services.web!.hash).toBe(r1.rendered.services.web!.hash);
    const web3 = rt.converged.filter((s) => s.service === 'web').at(-1)!;
    expect(web3.workload.imageDigest).toBe(digestA);
    // Only the deploys resolved images: two deploys and one plan.
    expect(rt.asked.map((a) => a.pull)).toEqual([true, false, true]);
  });

  it('renders a stored release again equal to what was stored, with its digests', async () => {
    const renderer = createEngineRenderer(deps);
    for (const revision of [1, 2, 3]) {
      const release = await deps.releases.byRevision('pins', 'local', revision);
      const { content, result } = await renderer.renderStored(release);
      expect(result.rendered).toEqual(content.rendered);
      for (const [name, svc] of Object.entries(content.rendered.services))
        expect(result.states[name]!.hash).toBe(svc.hash);
    }
  });

  it('plans without pulling: an image the machine lacks keeps its running digest, a new reference has none yet', async () => {
    // The running revision (3) runs WEB at A; the tag is gone from the machine, so a look finds nothing.
    await podman(['untag', WEB, WEB]);
    try {
      const same = await engine.plan({ loaded: parseSpec(SPEC(WEB), join(dir, 'berth.yaml')), env: 'local' });
      expect(same.plan.services.find((s) => s.service === 'web')!.action).toBe('unchanged');
      const other = `${REPO}/elsewhere:2`;
      const moved = await engine.plan({ loaded: parseSpec(SPEC(other), join(dir, 'berth.yaml')), env: 'local' });
      const changes = moved.plan.services.find((s) => s.service === 'web')!.changes;
      expect(changes).toContainEqual(expect.objectContaining({ path: 'image', from: WEB, to: other }));
      expect(changes).toContainEqual(expect.objectContaining({ path: 'imageDigest', from: digestA }));
      expect(changes.find((c) => c.path === 'imageDigest')).not.toHaveProperty('to');
    } finally {
      await podman(['tag', IMAGE_B, WEB]);
    }
  });

  it('fails the deploy request naming the service when its image cannot be resolved, recording nothing', async () => {
    const before = (await deps.releases.list('pins', 'local', 10)).length;
    const err = await deploy(`${REPO}/nope:1`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuntimeError);
    expect((err as RuntimeError).message).toMatch(
      /could not resolve the images of web \(localhost\/berth-test-pins\/nope:1\): .*/,
    );
    expect((await deps.releases.list('pins', 'local', 10)).length).toBe(before);
  });
});
