/**
 * The Kaniko Job and registry Secret of a build, as rendered: valid against the Kubernetes schemas
 * (kubernetes-models), the executor's arguments as kaniko reads them, names within 63 characters,
 * and the builds the cluster cannot run refused with what to do instead.
 */
import { describe, expect, it } from 'vitest';
import type { ImageBuildRequest } from '../../../model/build.js';
import { buildRequest, COMMIT } from './testing.js';
import { objectProblems } from '../manifests/validate.js';
import {
  buildId,
  buildJobName,
  buildLabels,
  buildSecret,
  DEFAULT_BUILDER,
  gitContext,
  kanikoJob,
  KANIKO_IMAGE,
} from './kanikoJob.js';
import { buildInCluster } from './kanikoBuild.js';
import type { KubeClients } from '../client.js';

const request = buildRequest;

function render(r: ImageBuildRequest) {
  const id = buildId(r, DEFAULT_BUILDER);
  const name = buildJobName(r.service, id);
  const labels = buildLabels(r, id);
  const job = kanikoJob(r, { name, labels, git: gitContext(r.git!, r.service), builder: DEFAULT_BUILDER });
  return { id, name, labels, job, secret: buildSecret(r, name, labels) };
}

type PodSpec = {
  restartPolicy: string;
  automountServiceAccountToken: boolean;
  containers: { name: string; image: string; args: string[]; env?: unknown[]; volumeMounts?: unknown[] }[];
  volumes?: { name: string; secret: { secretName: string; items: unknown[] } }[];
};

describe('the Kaniko Job of a build', () => {
  it('is a valid batch/v1 Job and dockerconfigjson Secret, with kaniko arguments from the request', () => {
    const { job, secret, name, id } = render(request());
    expect(objectProblems(job, 30)).toEqual([]);
    expect(objectProblems(secret, 30)).toEqual([]);
    expect(name).toBe(`api-build-${id}`);
    const spec = job.spec as { backoffLimit: number; activeDeadlineSeconds: number; ttlSecondsAfterFinished: number };
    expect(spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: 3600 });
    const pod = (job.spec as { template: { spec: PodSpec } }).template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false });
    expect(pod.containers[0]!.image).toBe(KANIKO_IMAGE);
    expect(KANIKO_IMAGE).toMatch(/^gcr\.io\/kaniko-project\/executor:v\d+\.\d+\.\d+$/); // pinned, never latest
    expect(pod.containers[0]!.args).toEqual([
      `--context=git://git.example.com/acme/shop.git#HEAD#${COMMIT}`,
      '--context-sub-path=services/api',
      '--dockerfile=Dockerfile',
      '--build-arg=BASE=debian:12',
      '--build-arg=VERSION=1.2',
      '--target=runtime',
      `--destination=registry.example.com/shop/api:${COMMIT}`,
      '--digest-file=/dev/termination-log',
    ]);
    // The credentials: the Secret's .dockerconfigjson mounted as /kaniko/.docker/config.json.
    expect(pod.containers[0]!.volumeMounts).toEqual([
      { name: 'docker-config', mountPath: '/kaniko/.docker', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      {
        name: 'docker-config',
        secret: { secretName: name, items: [{ key: '.dockerconfigjson', path: 'config.json' }] },
      },
    ]);
    const config = JSON.parse(
      Buffer.from(
        (secret as unknown as { data: Record<string, string> }).data['.dockerconfigjson']!,
        'base64',
      ).toString(),
    ) as { auths: Record<string, { username: string; auth: string }> };
    expect(config.auths['registry.example.com']).toMatchObject({
      username: 'ci',
      auth: Buffer.from('ci:s3cret').toString('base64'),
    });
    // The build's labels, not the service's: a deploy's prune never takes a build.
    expect(job.metadata.labels).toMatchObject({
      'berth.dev/app': 'shop',
      'berth.dev/service': 'api',
      'berth.dev/build': id,
      'berth.dev/env': 'test',
    });
    expect(job.metadata.labels).not.toHaveProperty('app.kubernetes.io/name');
    // The credentials are in the Secret only.
    expect(JSON.stringify(job)).not.toContain('s3cret');
  });

  it('is the same Job for the same build, and another Job for another commit, args or target', () => {
    const a = render(request());
    expect(render(request()).name).toBe(a.name);
    expect(render(request({ args: { VERSION: '1.3', BASE: 'debian:12' } })).name).not.toBe(a.name);
    expect(render(request({ target: 'debug' })).name).not.toBe(a.name);
    const other = 'f'.repeat(40);
    expect(render(request({ git: { url: request().git!.url, commit: other, subPath: 'services/api' } })).name).not.toBe(
      a.name,
    );
  });

  it('keeps names and label values within 63 characters', () => {
    const long = 'a'.repeat(63);
    const { job, name } = render(request({ service: long, app: 'b'.repeat(63) }));
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^a+-build-[0-9a-f]{12}$/);
    for (const v of Object.values(job.metadata.labels ?? {})) expect(v.length).toBeLessThanOrEqual(63);
    expect(objectProblems(job, 30)).toEqual([]);
  });

  it('clones http:// sources over HTTP, without a Secret when the registry takes no credentials', () => {
    const r = request({
      git: { url: 'http://git.internal:8080/shop.git/', commit: COMMIT, subPath: '.' },
      auth: undefined,
    });
    const id = buildId(r, DEFAULT_BUILDER);
    const name = buildJobName(r.service, id);
    const job = kanikoJob(r, {
      name,
      labels: buildLabels(r, id),
      git: gitContext(r.git!, 'api'),
      builder: DEFAULT_BUILDER,
    });
    expect(objectProblems(job, 30)).toEqual([]);
    const c = (job.spec as { template: { spec: PodSpec } }).template.spec.containers[0]!;
    expect(c.args[0]).toBe(`--context=git://git.internal:8080/shop.git#HEAD#${COMMIT}`);
    expect(c.args).not.toContainEqual(expect.stringMatching(/^--context-sub-path/));
    expect(c.env).toEqual([{ name: 'GIT_PULL_METHOD', value: 'http' }]);
    expect(c.volumeMounts).toBeUndefined();
  });

  it('refuses git sources kaniko cannot clone, naming the field', () => {
    const git =
      (url: string, commit = COMMIT) =>
      () =>
        gitContext({ url, commit, subPath: '' }, 'api');
    expect(git('git@github.com:acme/shop.git')).toThrow(/api: cannot build in the cluster: .* is not a URL/);
    expect(git('ssh://git@github.com/acme/shop.git')).toThrow(/ssh: URLs are not cloned/);
    expect(git('https://ci:token@git.example.com/shop.git')).toThrow(/carries credentials/);
    expect(git('https://git.example.com/shop.git', 'main')).toThrow(/main is not a full commit id/);
  });

  it('refuses a build from a folder (no git source) and a build that would not push, saying what to do', async () => {
    const clients = {} as KubeClients; // never reached: the request is refused first
    const opts = { namespace: 'shop', closing: new AbortController().signal };
    const o = { onLog: () => {} };
    await expect(buildInCluster(clients, request({ git: undefined }), o, opts)).rejects.toThrow(
      /api: cannot build .* in the cluster: the build context is a folder on the control plane's machine \(\/srv\/checkouts\/shop\).*pipeline whose source is a git repository.*or build on the control plane's host/,
    );
    await expect(buildInCluster(clients, request({ push: false }), o, opts)).rejects.toThrow(
      /without pushing it.*berth env set test --registry/,
    );
  });
});
