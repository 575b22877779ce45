/**
 * `POST /api/v1/render` of an app with `build:` services renders what a deploy would run: an image
 * build's tag pinned by its digest, the build of one `commit`;
 * a service never built is the deploy's error; and a new build is rendered, not hidden by the cache.
 * A real SQLite store and a real command build (src/build/builds.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodeStore } from '../../artifacts/codeStore.js';
import { createBuilds, type Builds } from '../../build/builds.js';
import type { Runtime } from '../../runtime/runtime.js';
import { testApi, type TestApi } from '../testing/apiContext.js';

const SPEC = [
  'name: shop',
  'services:',
  '  api:',
  '    command: node main.js',
  '    image: node:20-slim',
  '    cwd: api',
  '    build: { command: "mkdir -p dist && cp main.js dist/", output: dist }',
  '  web:',
  '    image: shop/web',
  '    build: { context: ./web }',
  '',
].join('\n');

interface Obj {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: {
    template?: { metadata?: { annotations?: Record<string, string> }; spec?: { containers: { image: string }[] } };
  };
}

describe('POST /api/v1/render with build: services', () => {
  let t: TestApi;
  let appDir: string;
  let builds: Builds;

  beforeEach(async () => {
    t = await testApi();
    appDir = join(t.ctx.home, 'shop');
    await mkdir(join(appDir, 'api'), { recursive: true });
    await writeFile(join(appDir, 'berth.yaml'), SPEC);
    await writeFile(join(appDir, 'api', 'main.js'), 'api 1\n');
    builds = createBuilds({
      store: t.buildStore,
      environments: t.ctx.environments,
      configSets: t.ctx.configSets,
      codeStore: new CodeStore({ root: join(t.ctx.home, 'artifacts') }),
      runtimeFor: async () => ({}) as Runtime,
      home: t.ctx.home,
    });
  });
  afterEach(async () => {
    await t.close();
  });

  const render = (more: object = {}) =>
    t.request({
      method: 'POST',
      url: '/api/v1/render',
      body: { env: 'local', spec: { file: join(appDir, 'berth.yaml'), text: SPEC }, ...more },
    });
  const objects = async (more: object = {}): Promise<Obj[]> => {
    const res = await render(more);
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as { objects: Obj[] }).objects;
  };
  const deployment = (objs: Obj[], name: string) =>
    objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
  const hashOf = (o: Obj) => o.spec!.template!.metadata!.annotations!['berth.dev/hash'];

  /** An image build of web as `berth build` records one (the image built elsewhere: no podman here). */
  const imageBuild = async (id: string, commit: string, digest: string) => {
    const row = { buildId: id, app: 'shop', env: 'local', service: 'web', kind: 'image' as const, commit };
    await t.buildStore.start({
      ...row,
      contextDigest: `sha256:${id}`,
      author: 'me',
      startedAt: new Date().toISOString(),
      logFile: '/nowhere',
    });
    await t.buildStore.finish(id, 'web', {
      status: 'built',
      image: `localhost/shop/web:${commit}`,
      imageDigest: digest,
    });
  };

  it('refuses a service never built with its berth.yaml line and the berth build command, like a deploy', async () => {
    const res = await render();
    expect(res.statusCode).toBe(400);
    const body = res.json() as { problems: { line?: number; path: string; message: string }[] };
    expect(body.problems).toEqual([
      expect.objectContaining({
        line: 7,
        path: 'services.api.build',
        message: expect.stringContaining(`run \`berth build ${appDir} api --env local\` first`),
      }),
      expect.objectContaining({ line: 10, path: 'services.web.build' }),
    ]);
  });

  it("renders the newest build (the image's tag pinned by its digest), a new build anew, and one commit's", async () => {
    const first = await builds.run({
      app: 'shop',
      env: 'local',
      dir: appDir,
      author: 'me',
      services: ['api'],
      commit: 'c1',
    });
    expect(first.ok).toBe(true);
    const d1 = `sha256:${'1'.repeat(64)}`;
    await imageBuild('b-web-1', 'c1', d1);
    const one = await objects();
    expect(deployment(one, 'web').spec!.template!.spec!.containers[0]!.image).toBe(`localhost/shop/web:c1@${d1}`);

    // The same render again is cached; a new build of api (new output) renders a new api hash.
    expect((await render()).headers['server-timing']).toContain('cached');
    await writeFile(join(appDir, 'api', 'main.js'), 'api 2\n');
    const second = await builds.run({
      app: 'shop',
      env: 'local',
      dir: appDir,
      author: 'me',
      services: ['api'],
      commit: 'c2',
    });
    expect(second.services[0]!.codeDigest).not.toBe(first.services[0]!.codeDigest);
    const d2 = `sha256:${'2'.repeat(64)}`;
    await imageBuild('b-web-2', 'c2', d2);
    const two = await render();
    expect(two.headers['server-timing']).toContain('made');
    const twoObjs = (two.json() as { objects: Obj[] }).objects;
    expect(deployment(twoObjs, 'web').spec!.template!.spec!.containers[0]!.image).toBe(`localhost/shop/web:c2@${d2}`);
    // A command build's output is what replicas on this machine run: a Kubernetes object shows none of it.
    expect(hashOf(deployment(twoObjs, 'api'))).toBe(hashOf(deployment(one, 'api')));

    // Of one commit: c1's builds, as `berth deploy --commit c1` runs them.
    const c1 = await objects({ commit: 'c1' });
    expect(deployment(c1, 'web').spec!.template!.spec!.containers[0]!.image).toBe(`localhost/shop/web:c1@${d1}`);
    expect(hashOf(deployment(c1, 'api'))).toBe(hashOf(deployment(one, 'api')));
    const none = await render({ commit: 'c9' });
    expect(none.statusCode).toBe(400);
    expect(none.body).toContain('at commit c9');
  });
});
