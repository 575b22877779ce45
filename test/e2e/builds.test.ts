/**
 * Issue 17 point 2 end to end: `berth build` of an image service (a Dockerfile FROM the local node
 * test image, built by Podman, pushed to a real registry with credentials from a config secret) and of
 * a process service (a build command whose output is snapshotted); a deploy runs exactly what was
 * built (the image by digest, the output's snapshot), a service never built fails the deploy naming
 * its line, an unchanged context is skipped, a change rebuilds, a broken Dockerfile fails with its
 * log tail and deploys nothing.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { podman } from '../support/containerEngine.js';
import { removeImagesUnder, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { NODE_IMAGE } from '../support/testImages.js';
import { startBerth, waitFor, type Berth } from './harness.js';

const USER = 'berth-build';
const PASSWORD = 'push-s3cret-Bq72';
const APP = 'bbuild';
const PREFIX = 'berth-build-test';

interface ServiceBuild {
  service: string;
  status: string;
  commit: string;
  image?: string;
  imageDigest?: string;
  codeDigest?: string;
  error?: string;
}
interface Build {
  id: string;
  status: string;
  commit: string;
  services: ServiceBuild[];
}
interface Status {
  services: { service: string; readyReplicas: number; address?: { port: number } }[];
}

const WORKER = (version: string) =>
  `require('node:http').createServer((q, s) => s.end('worker ${version} in ' + process.cwd())).listen(Number(process.env.PORT));\n`;

describe('berth build', () => {
  let registry: TestRegistry;
  let berth: Berth;
  let dir: string;
  const pushed: string[] = [];

  async function writeSources(version: string): Promise<void> {
    await writeFile(
      join(dir, 'api', 'Dockerfile'),
      `FROM ${NODE_IMAGE}\nCOPY note.txt /srv/note.txt\nENV VERSION=${version}\n`,
    );
    await writeFile(join(dir, 'worker', 'src', 'main.js'), WORKER(version));
  }

  beforeAll(async () => {
    registry = await startTestRegistry(inject('testRegistry'), USER, PASSWORD);
    dir = await mkdtemp(join(tmpdir(), 'berth-build-'));
    await mkdir(join(dir, 'api'));
    await mkdir(join(dir, 'worker', 'src'), { recursive: true });
    await writeFile(join(dir, 'api', 'note.txt'), 'hello\n');
    await writeFile(join(dir, 'api', '.dockerignore'), '*.md\n');
    await writeSources('one');
    await writeFile(
      join(dir, 'berth.yaml'),
      [
        `name: ${APP}`,
        'variables:',
        '  REGISTRY_PASSWORD: { secret: true }',
        'registries:',
        `  "${registry.address}": { username: ${USER}, password: "\${REGISTRY_PASSWORD}" }`,
        'services:',
        '  api:',
        '    build: { context: ./api }',
        '    ports: [{ port: 8080 }]',
        '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
        '    terminationGracePeriod: 2s',
        '  worker:',
        `    command: ${process.execPath} main.js`,
        '    cwd: worker',
        '    build: { command: "rm -rf out && mkdir out && cp src/main.js out/", output: out }',
        '    ports: [{ port: 8080 }]',
        '    health: { readiness: { http: { path: / }, period: 1s } }',
        '    terminationGracePeriod: 2s',
        '',
      ].join('\n'),
    );
    berth = await startBerth({ env: { BERTH_CONTAINER_SOCKET: inject('containerSocket') } });
    const set = await berth.cli(['env', 'set', 'local', '--registry', `${registry.address}/${PREFIX}`]);
    expect(set.code, set.stderr).toBe(0);
    const secret = await berth.cli(['config', 'set', `REGISTRY_PASSWORD=${PASSWORD}`, '--secret', '--app', APP]);
    expect(secret.code, secret.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await berth?.teardown();
    for (const image of pushed) await podman(['rmi', '-f', image]).catch(() => undefined);
    // and the copies the engine pulled by digest to run them (untagged, so not in `pushed`).
    if (registry) await removeImagesUnder(`${registry.address}/${PREFIX}/`);
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const build = async (...args: string[]) => {
    const r = await berth.cli(['build', dir, ...args]);
    const list = await berth.json<Build[]>(['builds', APP]);
    for (const s of list[0]?.services ?? []) if (s.image && !pushed.includes(s.image)) pushed.push(s.image);
    return { ...r, build: list[0]! };
  };

  async function answer(service: string, path = '/'): Promise<string> {
    const st = await berth.json<Status>(['status', APP]);
    const s = st.services.find((x) => x.service === service)!;
    return (await fetch(`http://127.0.0.1:${s.address!.port}${path}`)).text();
  }

  async function workloadOf(revision: number, service: string) {
    const shown = await berth.json<{
      rendered: {
        services: Record<string, { workload: { image?: string; imageDigest?: string; codeDigest?: string } }>;
      };
    }>(['releases', 'show', APP, String(revision)]);
    return shown.rendered.services[service]!.workload;
  }

  it('builds and pushes an image, refuses a deploy of a service never built, and deploys what was built', async () => {
    const api = await build('api');
    expect(api.code, api.stderr).toBe(0);
    expect(api.stdout).toMatch(/^\[api\] /m);
    const built = api.build.services[0]!;
    expect(built).toMatchObject({ service: 'api', status: 'built' });
    expect(built.image).toBe(`${registry.address}/${PREFIX}/${APP}/api:${api.build.commit}`);
    expect(built.imageDigest).toBe(await registry.manifestDigest(`${PREFIX}/${APP}/api`, api.build.commit));
    expect(api.stdout).toMatch(/api\s+built/);

    const refused = await berth.cli(['deploy', dir]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /berth\.yaml:15:\d+ services\.worker\.build: service worker has `build:` but no successful build/,
    );
    expect(refused.stderr).toContain(`berth build ${dir} worker --env local`);

    const worker = await build('worker');
    expect(worker.code, worker.stderr).toBe(0);
    expect(worker.build.services[0]).toMatchObject({ service: 'worker', status: 'built' });
    expect(worker.build.services[0]!.codeDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const deployed = await berth.cli(['deploy', dir]);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(await answer('api', '/env/VERSION')).toBe('one');
    expect(await answer('worker')).toMatch(/^worker one in .*\/artifacts\/trees\//);
    const w = await workloadOf(1, 'api');
    expect(w).toMatchObject({ image: built.image, imageDigest: built.imageDigest });
    expect((await workloadOf(1, 'worker')).codeDigest).toBe(worker.build.services[0]!.codeDigest);
  });

  it('skips services whose context did not change, and rebuilds the ones that did', async () => {
    const again = await build();
    expect(again.code, again.stderr).toBe(0);
    expect(again.build.services.map((s) => [s.service, s.status])).toEqual([
      ['api', 'skipped'],
      ['worker', 'skipped'],
    ]);
    expect(again.stdout).toContain('context unchanged since build');

    await writeSources('two');
    const rebuilt = await build();
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.build.services.map((s) => [s.service, s.status])).toEqual([
      ['api', 'built'],
      ['worker', 'built'],
    ]);
    // The plan shows what the new builds change: the image digest, the code.
    const plan = await berth.cli(['plan', dir]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('imageDigest');
    expect(plan.stdout).toContain('code changed: 1 file');
    const deployed = await berth.cli(['deploy', dir]);
    expect(deployed.code, deployed.stderr).toBe(0);
    await waitFor('the rebuilt api', async () => ((await answer('api', '/env/VERSION')) === 'two' ? true : undefined));
    await waitFor('the rebuilt worker', async () =>
      (await answer('worker')).startsWith('worker two') ? true : undefined,
    );
  });

  it('fails a broken build with its log tail and deploys nothing; a rollback runs the earlier builds; berth up builds first', async () => {
    const before = await berth.json<{ revision: number }[]>(['history', APP]);
    await writeFile(join(dir, 'api', 'Dockerfile'), `FROM ${NODE_IMAGE}\nCOPY missing-file.txt /srv/\n`);
    const failed = await build('api');
    expect(failed.code).not.toBe(0);
    expect(failed.build.status).toBe('failed');
    expect(failed.build.services[0]).toMatchObject({ service: 'api', status: 'failed' });
    expect(failed.stdout).toMatch(/^\[api\] .*missing-file\.txt/m);
    expect(failed.stderr).toMatch(/build .* failed: api/);
    expect(failed.stderr).toContain('nothing was deployed');
    // A deploy still runs the last successful build.
    expect(await berth.json<{ revision: number }[]>(['history', APP])).toEqual(before);
    expect(await answer('api', '/env/VERSION')).toBe('two');

    // A rollback runs the earlier builds: the first image by its digest, the first output's snapshot.
    const back = await berth.cli(['rollback', APP]);
    expect(back.code, back.stderr).toBe(0);
    await waitFor('the first api again', async () =>
      (await answer('api', '/env/VERSION')) === 'one' ? true : undefined,
    );
    await waitFor('the first worker again', async () =>
      (await answer('worker')).startsWith('worker one') ? true : undefined,
    );

    // berth up builds first (the unchanged worker is skipped), then deploys what it built.
    await writeSources('three');
    await writeFile(join(dir, 'worker', 'src', 'main.js'), WORKER('two'));
    const up = await berth.cli(['up', dir, '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^\[api\] built /m);
    expect(up.stdout).toMatch(/^\[worker\] context unchanged since build/m);
    for (const s of (await berth.json<Build[]>(['builds', APP]))[0]!.services)
      if (s.image && !pushed.includes(s.image)) pushed.push(s.image);
    await waitFor('the api built by up', async () =>
      (await answer('api', '/env/VERSION')) === 'three' ? true : undefined,
    );
    expect(await answer('worker')).toMatch(/^worker two/);
  });

  it('refuses bad input naming the field: an unknown service, a commit that is no tag, a bad registry, an unknown build', async () => {
    const unknown = await berth.cli(['build', dir, 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`${APP} has no service nope`);
    const commit = await berth.cli(['build', dir, 'api', '--commit', 'a/b']);
    expect(commit.code).toBe(1);
    expect(commit.stderr).toMatch(/commit: must be usable as an image tag/);
    const registryFlag = await berth.cli(['env', 'set', 'local', '--registry', 'Not A Host']);
    expect(registryFlag.code).toBe(1);
    expect(registryFlag.stderr).toMatch(/registry: must be a registry host/);
    const shown = await berth.cli(['env', 'get', 'local']);
    expect(shown.stdout).toMatch(new RegExp(`registry: +${registry.address}/${PREFIX}`));
    const missing = await berth.api('GET', '/api/v1/builds/nosuchbuild');
    expect(missing.status).toBe(404);
    const listed = await berth.cli(['builds', APP, '-o', 'yaml']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('status: failed');
    const ids = await berth.json<Build[]>(['builds', APP]);
    const log = await berth.api<string>('GET', `/api/v1/builds/${ids.at(-1)!.id}/log`);
    expect(log.status).toBe(200);
    expect(String(log.body)).toContain('{"line":"[api] ');
  });
});
