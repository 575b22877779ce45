/**
 * Image builds for a Kubernetes environment (docs/builds.md "On Kubernetes"), through the real control
 * plane on the in-test API server: a pipeline's build step (git source served over HTTP) runs ONE Kaniko
 * Job that clones the run's commit at the service's path and pushes to the environment's registry; the
 * fake kubelet ends it with a digest (the Job runs the environment's `--builder-image`), the build records it and the deploy step's Deployment runs
 * `image@digest`. `berth build` from a folder (no git: the cluster cannot see it) builds on the control
 * plane's host with Podman instead, pushes to the registry, and the deploy runs what was pushed.
 */
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../../src/runtime/kubernetes/testing/fakeApiServer.js';
import type { PipelineRun } from '../../src/model/pipeline.js';
import { podman } from '../support/containerEngine.js';
import { startGitServer, type GitServer, type TestRepo } from '../support/gitServer.js';
import { startTestRegistry, type TestRegistry } from '../support/registry.js';
import { NODE_IMAGE } from '../support/testImages.js';
import { startBerth, waitFor, type Berth } from './harness.js';

const APP = 'kpipe';
const NS = 'kpipe-prod';
const USER = 'berth-kpipe';
const PASSWORD = 'kpipe-push-Zr81';
const PREFIX = 'berth-kpipe-test';
const DIGEST = `sha256:${'4e'.repeat(32)}`;

const SPEC = (registry: string) =>
  [
    `name: ${APP}`,
    'variables:',
    '  REGISTRY_PASSWORD: { secret: true }',
    'registries:',
    `  "${registry}": { username: ${USER}, password: "\${REGISTRY_PASSWORD}" }`,
    'services:',
    '  api:',
    '    build: { context: ./api }',
    '    ports: [{ port: 8080 }]',
    '',
  ].join('\n');

interface Container {
  name: string;
  image: string;
  args?: string[];
}
interface Build {
  id: string;
  status: string;
  commit: string;
  services: { service: string; status: string; image?: string; imageDigest?: string }[];
}

/** The bare repositories of `git` over git's "dumb" HTTP (static files), as the cluster's builder clones. */
async function serveOverHttp(root: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    stat(path).then(
      (s) => {
        if (!s.isFile()) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        createReadStream(path).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

let api: FakeApiServer;
let berth: Berth;
let git: GitServer;
let repo: TestRepo;
let http: { server: Server; port: number };
let registry: TestRegistry;
let dir: string;
const pushed: string[] = [];

const buildJobs = () =>
  api.list('batch/v1', 'Job', NS).filter((j) => Object.hasOwn(j.metadata.labels ?? {}, 'berth.dev/build'));
const apiContainer = () => {
  const d = api.list('apps/v1', 'Deployment', NS).find((x) => x.metadata.name === 'api');
  return (d?.spec as { template: { spec: { containers: Container[] } } } | undefined)?.template.spec.containers[0];
};

beforeAll(async () => {
  registry = await startTestRegistry(inject('testRegistry'), USER, PASSWORD);
  api = await startFakeApiServer({ podReadyDelayMs: 50 });
  // The Kaniko pod prints its steps and leaves the pushed digest as its termination message.
  api.controllers.jobs.scriptFor = (job) =>
    Object.hasOwn(job.metadata.labels ?? {}, 'berth.dev/build')
      ? { lines: ['INFO[0001] Retrieving image manifest', 'INFO[0002] Pushing image'], message: DIGEST }
      : undefined;
  dir = await mkdtemp(join(tmpdir(), 'berth-kpipe-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig, { context: 'fake' });
  git = await startGitServer();
  repo = await git.repo(APP);
  http = await serveOverHttp(join(dirname(dirname(repo.work)), 'served'));
  berth = await startBerth({ env: { KUBECONFIG: kubeconfig, BERTH_CONTAINER_SOCKET: inject('containerSocket') } });
  for (const args of [
    ['env', 'create', 'prod', '--kubernetes', '--context', 'fake', '--namespace', NS],
    ['env', 'set', 'prod', '--registry', `${registry.address}/${PREFIX}`],
    ['config', 'set', `REGISTRY_PASSWORD=${PASSWORD}`, '--secret', '--app', APP, '--env', 'prod'],
  ]) {
    const r = await berth.cli(args);
    expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);

afterAll(async () => {
  await berth?.teardown();
  for (const image of pushed) await podman(['rmi', '-f', image]).catch(() => undefined);
  await registry?.stop();
  await api?.close();
  await git?.stop();
  await new Promise((r) => http?.server.close(r));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('image builds for a Kubernetes environment', () => {
  it('a pipeline builds the commit as one Kaniko Job and deploys the digest it pushed', async () => {
    const commit = await repo.commit(
      {
        'app/berth.yaml': SPEC(registry.address),
        'app/api/Dockerfile': `FROM ${NODE_IMAGE}\nCOPY note.txt /srv/\n`,
        'app/api/note.txt': 'from git\n',
      },
      'one',
    );
    await promisify(execFile)('git', ['update-server-info'], {
      cwd: join(dirname(dirname(repo.work)), 'served', `${APP}.git`),
    });
    const file = join(dir, 'pipeline.yaml');
    await writeFile(
      file,
      [
        `source: { url: "http://127.0.0.1:${http.port}/${APP}.git", branch: main, path: app }`,
        'steps:',
        '  - build: { env: prod }',
        '  - deploy: { env: prod }',
        '',
      ].join('\n'),
    );
    expect((await berth.cli(['pipeline', 'set', APP, '-f', file])).code).toBe(0);
    // The cluster's builder is the environment's mirror of the Kaniko executor; one on this machine has none.
    const mirror = 'mirror.example.com/kaniko-project/executor:v1.23.2';
    const set = await berth.cli(['env', 'set', 'prod', '--builder-image', mirror]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`built in the cluster by ${mirror}`);
    const refused = await berth.cli(['env', 'set', 'local', '--builder-image', mirror]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('a builder image applies to Kubernetes environments');
    const started = await berth.json<PipelineRun>(['pipeline', 'run', APP, '--detach']);
    const run = await waitFor(
      'the run to finish',
      async () => {
        const r = await berth.json<PipelineRun>(['pipeline', 'status', String(started.id)]);
        return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
      },
      30_000,
    );
    expect(run.status, JSON.stringify(run.steps)).toBe('succeeded');
    expect(run.commit).toBe(commit);

    const jobs = buildJobs();
    expect(jobs).toHaveLength(1);
    const kaniko = (jobs[0]!.spec as { template: { spec: { containers: Container[] } } }).template.spec.containers[0]!;
    const tag = `${registry.address}/${PREFIX}/${APP}/api:${commit}`;
    expect(kaniko.image).toBe(mirror);
    expect(kaniko.args).toEqual(
      expect.arrayContaining([
        `--context=git://127.0.0.1:${http.port}/${APP}.git#HEAD#${commit}`,
        '--context-sub-path=app/api',
        `--destination=${tag}`,
      ]),
    );
    const [build] = await berth.json<Build[]>(['builds', APP, '--env', 'prod']);
    expect(build!.services).toEqual([
      expect.objectContaining({ service: 'api', status: 'built', image: tag, imageDigest: DIGEST }),
    ]);
    expect(apiContainer()?.image).toBe(`${tag}@${DIGEST}`);
  });

  it('`berth build` from a folder builds on the control plane’s host, pushes, and the deploy runs that digest', async () => {
    const src = join(dir, 'folder');
    await mkdir(join(src, 'api'), { recursive: true });
    await writeFile(join(src, 'berth.yaml'), SPEC(registry.address));
    await writeFile(join(src, 'api', 'Dockerfile'), `FROM ${NODE_IMAGE}\nCOPY note.txt /srv/\n`);
    await writeFile(join(src, 'api', 'note.txt'), 'from a folder\n');
    const built = await berth.cli(['build', src, '--env', 'prod', '--commit', 'folder1']);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toContain(
      "the cluster builds from git only (this build is from a folder): building on the control plane's host",
    );
    const [build] = await berth.json<Build[]>(['builds', APP, '--env', 'prod']);
    const tag = `${registry.address}/${PREFIX}/${APP}/api:folder1`;
    pushed.push(tag);
    const digest = await registry.manifestDigest(`${PREFIX}/${APP}/api`, 'folder1');
    expect(build!.services).toEqual([
      expect.objectContaining({ service: 'api', status: 'built', image: tag, imageDigest: digest }),
    ]);
    expect(buildJobs()).toHaveLength(1); // the pipeline's: no Job for a folder

    // `berth render` shows the image the deploy below applies: the built tag by its digest.
    type Rendered = {
      kind: string;
      metadata: { name: string };
      spec?: { template?: { spec?: { containers: { image: string }[] } } };
    };
    const rendered = await berth.json<Rendered[]>(['render', src, '--env', 'prod']);
    const renderedApi = rendered.find((o) => o.kind === 'Deployment' && o.metadata.name === 'api');
    expect(renderedApi?.spec?.template?.spec?.containers[0]?.image).toBe(`${tag}@${digest}`);

    const deployed = await berth.cli(['deploy', src, '--env', 'prod']);
    expect(deployed.code, deployed.stderr).toBe(0);
    await waitFor('the Deployment of the pushed digest', async () =>
      apiContainer()?.image === `${tag}@${digest}` ? true : undefined,
    );
  });
});
