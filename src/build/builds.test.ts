/**
 * Builds.run on real files and a real store: a command build's output snapshotted, skipped while its
 * context is unchanged, built again when it changes, a failure with its log tail; and what a deploy
 * then runs (buildLookup + withBuilds), or the error naming a service never built.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CodeStore } from '../artifacts/codeStore.js';
import { createConfigSets } from '../config/configSets.js';
import { loadSecretBox } from '../config/secretBox.js';
import { createEnvironments } from '../environment/environments.js';
import { withBuilds } from '../release/builtArtifacts.js';
import type { Runtime } from '../runtime/runtime.js';
import { loadSpec } from '../spec/load.js';
import { openStore, type Store } from '../store/store.js';
import { buildLookup, keptCode } from './buildLookup.js';
import { collectCode } from '../release/codeCollection.js';
import { createBuildStore } from './buildStore.js';
import { createBuilds, type Builds } from './builds.js';

const SPEC = [
  'name: app',
  'services:',
  '  db:',
  '    command: sleep 100',
  '  web:',
  '    command: node main.js',
  '    cwd: web',
  '    dependsOn: [api]',
  '    build: { command: "mkdir -p out && cp src/* out/ && echo copied", output: out }',
  '  api:',
  '    command: node main.js',
  '    cwd: api',
  '    build: { command: "mkdir -p dist && cp main.js dist/", output: dist }',
  '',
].join('\n');

describe('Builds.run', () => {
  let dir: string;
  let store: Store;
  let builds: Builds;
  let buildStore: ReturnType<typeof createBuildStore>;
  let codeStore: CodeStore;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-builds-'));
    store = await openStore({ file: join(dir, 'berth.db') });
    const box = await loadSecretBox(dir);
    buildStore = createBuildStore(store.db);
    codeStore = new CodeStore({ root: join(dir, 'home', 'artifacts') });
    builds = createBuilds({
      store: buildStore,
      environments: createEnvironments(store.db),
      configSets: createConfigSets(store.db, box),
      codeStore,
      runtimeFor: async () => ({}) as Runtime,
      home: join(dir, 'home'),
    });
    const app = join(dir, 'app');
    await mkdir(join(app, 'web', 'src'), { recursive: true });
    await mkdir(join(app, 'api'), { recursive: true });
    await writeFile(join(app, 'berth.yaml'), SPEC);
    await writeFile(join(app, 'web', 'src', 'main.js'), 'web 1\n');
    await writeFile(join(app, 'api', 'main.js'), 'api 1\n');
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const req = (more: object = {}) => ({ app: 'app', env: 'local', dir: join(dir, 'app'), author: 'me', ...more });

  it('builds in dependency order, skips an unchanged context, rebuilds a changed one, and a deploy runs each build', async () => {
    const lines: string[] = [];
    const first = await builds.run(req(), { onLog: (l) => lines.push(l) });
    expect(first.ok).toBe(true);
    expect(first.commit).toMatch(/^ctx-[0-9a-f]{12}$/);
    expect(first.services.map((s) => [s.service, s.status])).toEqual([
      ['api', 'built'],
      ['web', 'built'],
    ]);
    expect(lines).toContain('[web] copied');
    const web = first.services[1]!.codeDigest!;
    expect(await readFile(join(codeStore.treeOf(web), 'main.js'), 'utf8')).toBe('web 1\n');
    const log = await readFile(join(dir, 'home', 'builds', `${first.id}.log`), 'utf8');
    expect(log).toContain('[api] $ mkdir -p dist');

    const again = await builds.run(req());
    expect(again.services.map((s) => s.status)).toEqual(['skipped', 'skipped']);
    expect(again.services[1]!.codeDigest).toBe(web);

    await writeFile(join(dir, 'app', 'web', 'src', 'main.js'), 'web 2\n');
    const third = await builds.run(req({ services: ['web'], commit: 'c3' }));
    expect(third.services.map((s) => [s.service, s.status])).toEqual([['web', 'built']]);
    expect(third.services[0]!.codeDigest).not.toBe(web);

    const loaded = await loadSpec(join(dir, 'app'));
    const built = await withBuilds(buildLookup(buildStore), loaded, 'local');
    expect(built.codes).toEqual({ api: first.services[0]!.codeDigest, web: third.services[0]!.codeDigest });
    expect(built.loaded.spec.services.web!.cwd).toBe(join(dir, 'app', 'web', 'out'));
    expect(built.loaded.spec.services.db).toBe(loaded.spec.services.db);
    expect(built.loaded.digest).not.toBe(loaded.digest);
    // Of one commit: the earlier build of web is not c3's.
    await expect(withBuilds(buildLookup(buildStore), loaded, 'local', 'c3')).rejects.toMatchObject({
      problems: [expect.objectContaining({ path: 'services.api.build' })],
    });
    expect((await buildStore.list({ app: 'app' })).map((b) => b.id)).toEqual([third.id, again.id, first.id]);
  });

  it('fails with the log tail, builds nothing after it, and a deploy names the service never built', async () => {
    await writeFile(join(dir, 'app', 'berth.yaml'), SPEC.replace('cp main.js dist/', 'echo no such thing >&2; exit 3'));
    const r = await builds.run(req());
    expect(r.ok).toBe(false);
    expect(r.services).toHaveLength(1);
    expect(r.services[0]).toMatchObject({ service: 'api', status: 'failed' });
    expect(r.services[0]!.logTail).toContain('no such thing');
    expect((await buildStore.get(r.id))!.status).toBe('failed');
    const loaded = await loadSpec(join(dir, 'app'));
    const err = await withBuilds(buildLookup(buildStore), loaded, 'local').catch((e: unknown) => e);
    expect(JSON.stringify(err)).toContain('services.api.build');
    expect((err as { problems: { line?: number; message: string }[] }).problems).toEqual([
      expect.objectContaining({
        line: 13,
        message: expect.stringContaining(`run \`berth build ${join(dir, 'app')} api --env local\``),
      }),
      expect.objectContaining({ line: 9, message: expect.stringContaining('service web has `build:`') }),
    ]);
  });

  it('marks the builds a stopped control plane left running as failed (interrupted)', async () => {
    const row = {
      buildId: 'x1',
      app: 'app',
      env: 'local',
      service: 'api',
      kind: 'command' as const,
      commit: 'c',
      contextDigest: 'sha256:0',
      author: 'me',
      startedAt: new Date().toISOString(),
      logFile: '/nowhere',
    };
    await buildStore.start(row);
    expect((await buildStore.get('x1'))!.status).toBe('running');
    expect(await buildStore.failInterrupted()).toBe(1);
    expect((await buildStore.get('x1'))!.services[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('interrupted'),
    });
    expect(await buildLookup(buildStore)('app', 'local', 'api')).toBeUndefined();
  });

  it("keeps a build's output snapshot through code collection until no build refers to it", async () => {
    const r = await builds.run(req({ services: ['api'] }));
    const digest = r.services[0]!.codeDigest!;
    const none = { codeDigests: async () => new Set<string>() };
    await collectCode(codeStore, keptCode(none, buildStore), 0);
    expect(await codeStore.manifest(digest)).toBeDefined();
    await collectCode(codeStore, none, 0);
    expect(await codeStore.manifest(digest)).toBeUndefined();
    // Collected: the next build of the same context builds again instead of reusing it.
    const again = await builds.run(req({ services: ['api'] }));
    expect(again.services[0]).toMatchObject({ status: 'built', codeDigest: digest });
  });

  it("keeps the outputs of a service's newest five successful builds only", async () => {
    const digests: string[] = [];
    for (let i = 0; i < 6; i++) {
      await writeFile(join(dir, 'app', 'api', 'main.js'), `api ${i}\n`);
      digests.push((await builds.run(req({ services: ['api'] }))).services[0]!.codeDigest!);
    }
    expect([...(await buildStore.codeDigests())].sort()).toEqual(digests.slice(1).sort());
  });

  it('refuses image builds for a Kubernetes environment without a registry, naming the flag that sets one', async () => {
    await createEnvironments(store.db).create({ name: 'k8s', target: { kind: 'kubernetes', namespace: 'k8s' } });
    await writeFile(join(dir, 'app', 'api', 'Dockerfile'), 'FROM scratch\n');
    await writeFile(join(dir, 'app', 'berth.yaml'), `${SPEC}  img:\n    build: { context: api }\n`);
    await expect(builds.run(req({ env: 'k8s' }))).rejects.toThrow(/k8s runs on Kubernetes and has no registry/);
    await expect(builds.run(req({ env: 'k8s' }))).rejects.toMatchObject({
      problems: [expect.objectContaining({ message: expect.stringContaining('berth env set k8s --registry') })],
    });
  });

  it('stops the builds under way when closed, recording them failed', async () => {
    await writeFile(join(dir, 'app', 'berth.yaml'), SPEC.replace('cp main.js dist/', 'sleep 30'));
    const { id, done } = await builds.start(req({ services: ['api'] }));
    expect((await buildStore.get(id))!.status).toBe('running');
    const started = Date.now();
    await builds.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await done).ok).toBe(false);
    expect((await buildStore.get(id))!.services[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('cancelled'),
    });
  });

  it('refuses a service without build: or one the app does not have', async () => {
    await expect(builds.run(req({ services: ['db'] }))).rejects.toThrow(/cannot build these services/);
    await expect(builds.run(req({ services: ['nope'] }))).rejects.toThrow(/cannot build these services/);
  });
});
