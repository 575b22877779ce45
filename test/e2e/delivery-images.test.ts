/**
 * Issue 17 "Testing with real parts", end to end with images: a git daemon's repository holds an app of
 * two container services built from Dockerfiles; the environments push to a real registry; a pipeline
 * build → deploy test → promote test → staging is started by signed GitHub push deliveries. Staging runs
 * the very digests test runs; a push changing one service rebuilds only that one; a rollback in staging
 * runs the digest before; a broken Dockerfile fails the run at its build step with the log's tail and
 * deploys nothing. Real git, Podman, registry, control plane, CLI and HTTP.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import { removeImagesUnder, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { NODE_IMAGE } from '../support/testImages.js';
import { pushBody, sendGitHub } from '../support/webhookDelivery.js';
import { startBerth, waitFor, type Berth } from './harness.js';
import type { PipelineRun } from '../../src/model/pipeline.js';

const APP = 'flowimg';
const PREFIX = 'berth-flow-test';
const USER = 'berth-flow';
const PASSWORD = 'flow-push-s3cret-Zk41';
const SECRET = 'flow-hook-s3cret';

const SPEC = (registry: string) =>
  [
    `name: ${APP}`,
    'variables:',
    '  REGISTRY_PASSWORD: { secret: true }',
    'registries:',
    `  "${registry}": { username: ${USER}, password: "\${REGISTRY_PASSWORD}" }`,
    'services:',
    ...['api', 'web'].flatMap((s) => [
      `  ${s}:`,
      `    build: { context: ./${s} }`,
      '    ports: [{ port: 8080 }]',
      '    health: { readiness: { http: { path: /healthz }, period: 1s } }',
      '    terminationGracePeriod: 1s',
    ]),
    '',
  ].join('\n');
const DOCKERFILE = (service: string, version: string) => `FROM ${NODE_IMAGE}\nENV VERSION=${service}-${version}\n`;

interface Status {
  services: { service: string; address?: { port: number } }[];
}
type Shown = { rendered: { services: Record<string, { workload: { image?: string; imageDigest?: string } }> } };

describe('from a git push to staging with images', () => {
  let registry: TestRegistry;
  let git: GitServer;
  let repo: TestRepo;
  let berth: Berth;
  let dir: string;
  let deliveries = 0;

  beforeAll(async () => {
    registry = await startTestRegistry(inject('testRegistry'), USER, PASSWORD);
    git = await startGitServer();
    repo = await git.repo(APP);
    dir = await mkdtemp(join(tmpdir(), 'berth-flowimg-'));
    berth = await startBerth({ env: { BERTH_CONTAINER_SOCKET: inject('containerSocket') } });
    for (const args of [
      ['env', 'create', 'test'],
      ['env', 'create', 'staging'],
      ['env', 'set', 'test', '--registry', `${registry.address}/${PREFIX}`],
      ['env', 'set', 'staging', '--registry', `${registry.address}/${PREFIX}`],
      ['config', 'set', `REGISTRY_PASSWORD=${PASSWORD}`, '--secret', '--app', APP, '--env', 'test'],
      ['config', 'set', `REGISTRY_PASSWORD=${PASSWORD}`, '--secret', '--app', APP, '--env', 'staging'],
    ]) {
      const r = await berth.cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      [
        `source: { url: "${repo.url}", branch: main, path: app }`,
        'webhook: { secret: "${PIPELINE_SECRET}" }',
        'steps:',
        '  - build: { env: test }',
        '  - deploy: { env: test }',
        '  - promote: { from: test, to: staging }',
        '',
      ].join('\n'),
    );
    const set = await berth.cli(['pipeline', 'set', APP, '-f', file], { env: { PIPELINE_SECRET: SECRET } });
    expect(set.code, set.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await berth?.teardown();
    if (registry) await removeImagesUnder(`${registry.address}/${PREFIX}/`);
    await registry?.stop();
    await git?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Commits `files` under app/, delivers GitHub's signed push of the commit and answers the finished run. */
  async function push(files: Record<string, string>, message: string): Promise<PipelineRun> {
    const app = Object.fromEntries(Object.entries(files).map(([p, c]) => [`app/${p}`, c]));
    const commit = await repo.commit(app, message);
    const r = await sendGitHub(berth.url, APP, {
      event: 'push',
      deliveryId: `flow-delivery-${++deliveries}`,
      secret: SECRET,
      body: await pushBody({ after: commit }),
    });
    const answer = (await r.json()) as { runId?: string };
    expect(r.status, JSON.stringify(answer)).toBe(202);
    const run = await waitFor(
      `run ${answer.runId} to finish`,
      async () => {
        const got = await berth.json<PipelineRun>(['pipeline', 'status', String(answer.runId)]);
        return ['succeeded', 'failed', 'cancelled'].includes(got.status) ? got : undefined;
      },
      45_000,
    );
    expect(run).toMatchObject({ commit, trigger: 'push' });
    return run;
  }

  async function answer(env: string, service: string): Promise<string> {
    const st = await berth.json<Status>(['status', APP, '--env', env]);
    const s = st.services.find((x) => x.service === service)!;
    return (await fetch(`http://127.0.0.1:${s.address!.port}/env/VERSION`)).text();
  }
  const serving = (env: string, service: string, version: string) =>
    waitFor(`${env} ${service} serving ${version}`, async () =>
      (await answer(env, service)) === version ? true : undefined,
    );

  async function digests(env: string, revision: number): Promise<Record<string, string | undefined>> {
    const shown = await berth.json<Shown>(['releases', 'show', APP, String(revision), '--env', env]);
    return Object.fromEntries(Object.entries(shown.rendered.services).map(([s, v]) => [s, v.workload.imageDigest]));
  }
  const revisions = async (env: string) =>
    (await berth.json<{ revision: number }[]>(['history', APP, '--env', env])).map((h) => h.revision);

  it('builds, pushes, deploys to test and promotes the same digests to staging; a change rebuilds one service', async () => {
    const first = await push(
      {
        'berth.yaml': SPEC(registry.address),
        'api/Dockerfile': DOCKERFILE('api', 'one'),
        'web/Dockerfile': DOCKERFILE('web', 'one'),
      },
      'one',
    );
    expect(first.status, JSON.stringify(first.steps)).toBe('succeeded');
    const built = first.steps[0]!.result!.services!;
    expect(built.map((s) => [s.service, s.status])).toEqual([
      ['api', 'built'],
      ['web', 'built'],
    ]);
    for (const s of built) {
      expect(s.image).toBe(`${registry.address}/${PREFIX}/${APP}/${s.service}:${first.commit}`);
      expect(s.imageDigest).toBe(await registry.manifestDigest(`${PREFIX}/${APP}/${s.service}`, first.commit!));
    }
    expect(await answer('test', 'api')).toBe('api-one');
    expect(await answer('test', 'web')).toBe('web-one');
    expect(await answer('staging', 'web')).toBe('web-one');
    const tested = await digests('test', 1);
    expect(tested).toEqual(Object.fromEntries(built.map((s) => [s.service, s.imageDigest])));
    expect(await digests('staging', 1)).toEqual(tested);

    const second = await push({ 'web/Dockerfile': DOCKERFILE('web', 'two') }, 'two');
    expect(second.status, JSON.stringify(second.steps)).toBe('succeeded');
    const rebuilt = second.steps[0]!.result!.services!;
    expect(rebuilt.map((s) => [s.service, s.status])).toEqual([
      ['api', 'skipped'],
      ['web', 'built'],
    ]);
    await serving('staging', 'web', 'web-two');
    expect(await answer('staging', 'api')).toBe('api-one');
    const staged = await digests('staging', 2);
    expect(staged).toEqual(await digests('test', 2));
    expect(staged.api).toBe(tested.api);
    expect(staged.web).not.toBe(tested.web);
    expect(staged.web).toBe(rebuilt.find((s) => s.service === 'web')!.imageDigest);
  }, 90_000);

  it('rolls staging back to the previous digest', async () => {
    const back = await berth.cli(['rollback', APP, '--env', 'staging']);
    expect(back.code, back.stderr).toBe(0);
    await serving('staging', 'web', 'web-one');
    expect(await digests('staging', 3)).toEqual(await digests('staging', 1));
    expect(await answer('test', 'web')).toBe('web-two');
  }, 30_000);

  it('fails the run at the build step with the log tail, and deploys nothing', async () => {
    const before = { test: await revisions('test'), staging: await revisions('staging') };
    const broken = await push({ 'api/Dockerfile': `FROM ${NODE_IMAGE}\nCOPY missing-file.txt /srv/\n` }, 'broken');
    expect(broken.status).toBe('failed');
    expect(broken.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped']);
    expect(broken.error).toMatch(/build/);
    const status = await berth.cli(['pipeline', 'status', String(broken.id)]);
    expect(status.stdout + status.stderr).toContain('missing-file.txt');
    expect(status.stdout).toContain('step 1 (build test), last lines:');
    // The build's own lines, once each: the failed service's tail is not repeated after them.
    const tail = broken.steps[0]!.logTail ?? [];
    expect(tail.filter((l) => l.includes('STEP 2/2: COPY missing-file.txt'))).toEqual([
      '[api] STEP 2/2: COPY missing-file.txt /srv/',
    ]);
    expect({ test: await revisions('test'), staging: await revisions('staging') }).toEqual(before);
    expect(await answer('test', 'api')).toBe('api-one');
  }, 60_000);
});
