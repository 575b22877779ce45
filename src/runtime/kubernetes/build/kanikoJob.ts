/**
 * A build on a cluster (issue 17, point 6): the Kaniko Job Berth renders for one image, and the
 * registry Secret it pushes with. The Job clones the context from git (the cluster cannot see the
 * control plane's folders), builds the Dockerfile, pushes the tag and writes the pushed manifest's
 * digest to its termination message, which the runtime reads back from the pod (kanikoBuild.ts).
 *
 * The Job's name carries a digest of everything that decides the image (the build id): the same
 * build asked for again, after a control-plane restart, finds its Job and re-attaches to it instead
 * of starting a second one; a different build is a different Job.
 */
import { hash } from 'node:crypto';
import { ValidationError } from '../../../errors.js';
import type { ImageBuildRequest } from '../../../model/build.js';
import { LABEL, type KubernetesObject } from '../manifests/contract.js';
import { dockerConfigJson, PULL_SECRET_TYPE } from '../manifests/pullSecret.js';
import { goJson } from '../manifests/job.js';

/**
 * The Kaniko executor Berth runs, pinned (a tag Berth was tested with; `latest` would change what a
 * build does under an unchanged release). A cluster that cannot pull from gcr.io sets `builder.image`.
 */
export const KANIKO_IMAGE = 'gcr.io/kaniko-project/executor:v1.23.2';

/** How the cluster's builds run: the runtime's `builder` option, every field defaulted. */
export interface BuilderSettings {
  /** The executor image (default KANIKO_IMAGE): a mirror's copy for clusters without access to gcr.io. */
  image: string;
  /** The build container's requests and limits (Kubernetes quantities). */
  resources: { requests?: Record<string, string>; limits?: Record<string, string> };
  /** How long a build may run before Kubernetes stops it (`activeDeadlineSeconds`, default 1 h). */
  deadlineSeconds: number;
  /** How long a finished build's Job and pod (its log, its digest) are kept (`ttlSecondsAfterFinished`). */
  keepFinishedSeconds: number;
  /** Registries kaniko pushes to over plain HTTP (`--insecure-registry`): an in-cluster registry without TLS. */
  insecureRegistries: string[];
  /** The ServiceAccount of the build pods (default: the namespace's `default`). */
  serviceAccountName?: string;
}

export const DEFAULT_BUILDER: BuilderSettings = {
  image: KANIKO_IMAGE,
  resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '4Gi' } },
  deadlineSeconds: 3600,
  keepFinishedSeconds: 3600,
  insecureRegistries: [],
};

/** The build container's name (its log is the build log). */
export const KANIKO_CONTAINER = 'kaniko';
/** Labels of a build's Job, pod and Secret (not the service's labels: a deploy never prunes a build). */
export const BUILD_LABEL = {
  app: 'berth.dev/app',
  service: 'berth.dev/service',
  build: 'berth.dev/build',
} as const;

/** Hex digits of the build id. */
const ID_LENGTH = 12;
/** A Kubernetes name (and the `job-name` label of its pods): at most 63 characters. */
const NAME_MAX = 63;

/** A label value: at most 63 characters, a longer one shortened with a digest of the whole. */
function labelValue(s: string): string {
  return s.length <= NAME_MAX ? s : `${s.slice(0, 54).replace(/[-_.]+$/, '')}-${hash('sha256', s).slice(0, 8)}`;
}

/** Where kaniko clones the context from: `git://HOST/PATH#REF#COMMIT`, and whether over plain HTTP. */
export interface GitContext {
  context: string;
  /** `http://` URLs: kaniko clones over HTTPS unless `GIT_PULL_METHOD=http`. */
  plainHttp: boolean;
}

const COMMIT = /^[0-9a-f]{40}$|^[0-9a-f]{64}$/;

/**
 * The `--context` of a git source. Kaniko takes `git://HOST/PATH` and clones it over HTTPS (HTTP when
 * told), with the reference to clone and the commit to check out after `#`. Berth names `HEAD`: kaniko
 * clones every branch, so the commit is found on whichever branch the pipeline built it from.
 */
export function gitContext(git: NonNullable<ImageBuildRequest['git']>, service: string): GitContext {
  const field = (path: string, message: string) =>
    new ValidationError(`${service}: cannot build in the cluster: ${message}`, [{ path, message }]);
  let url: URL;
  try {
    url = new URL(git.url);
  } catch {
    throw field('git.url', `${git.url} is not a URL (the cluster's builder clones over http or https)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw field(
      'git.url',
      `${url.protocol} URLs are not cloned by the cluster's builder (Kaniko): give the pipeline an https:// source`,
    );
  if (url.username || url.password)
    throw field(
      'git.url',
      'the git URL carries credentials, which would be visible in the Job: the cluster clones public or network-trusted repositories only (or build on the host)',
    );
  if (!COMMIT.test(git.commit)) throw field('git.commit', `${git.commit} is not a full commit id`);
  const path = `${url.host}${url.pathname}`.replace(/\/+$/, '');
  return { context: `git://${path}#HEAD#${git.commit}`, plainHttp: url.protocol === 'http:' };
}

/** The build id: a digest of everything that decides the image (the same build is the same Job). */
export function buildId(request: ImageBuildRequest, builder: BuilderSettings): string {
  const decides = {
    app: request.app,
    env: request.env,
    service: request.service,
    git: request.git,
    dockerfile: request.dockerfile,
    args: request.args,
    target: request.target,
    image: request.image,
    builder: builder.image,
  };
  return hash('sha256', goJson(decides)).slice(0, ID_LENGTH);
}

/** `<service>-build-<id>`, the service's name shortened so the whole stays within 63 characters. */
export function buildJobName(service: string, id: string): string {
  const suffix = `-build-${id}`;
  const head = service.slice(0, NAME_MAX - suffix.length).replace(/-+$/, '');
  return `${head}${suffix}`;
}

/** The labels of one build's objects. */
export function buildLabels(request: ImageBuildRequest, id: string): Record<string, string> {
  return {
    [LABEL.managedBy]: 'berth',
    [LABEL.component]: 'build',
    [BUILD_LABEL.app]: labelValue(request.app),
    [LABEL.env]: labelValue(request.env),
    [BUILD_LABEL.service]: labelValue(request.service),
    [BUILD_LABEL.build]: id,
  };
}

/** The kaniko executor's arguments for a request (`--build-arg`s in name order). */
export function kanikoArgs(request: ImageBuildRequest, git: GitContext, builder: BuilderSettings): string[] {
  const sub = request.git?.subPath.replace(/^\.?\/+|\/+$/g, '') ?? '';
  return [
    `--context=${git.context}`,
    ...(sub === '' || sub === '.' ? [] : [`--context-sub-path=${sub}`]),
    `--dockerfile=${request.dockerfile}`,
    ...Object.keys(request.args)
      .sort()
      .map((k) => `--build-arg=${k}=${request.args[k]!}`),
    ...(request.target ? [`--target=${request.target}`] : []),
    `--destination=${request.image}`,
    // The pushed manifest's digest comes back as the pod's termination message.
    '--digest-file=/dev/termination-log',
    ...builder.insecureRegistries.map((r) => `--insecure-registry=${r}`),
  ];
}

/** The registry Secret a build pushes with (`/kaniko/.docker/config.json`), named like its Job. */
export function buildSecret(
  request: ImageBuildRequest,
  name: string,
  labels: Record<string, string>,
): KubernetesObject {
  if (!request.auth) throw new Error('buildSecret: the request has no registry credentials');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, labels },
    type: PULL_SECRET_TYPE,
    data: { '.dockerconfigjson': Buffer.from(dockerConfigJson(request.auth), 'utf8').toString('base64') },
  };
}

/** The Kaniko Job of one build: one pod, never retried (a failed build fails), removed after `keepFinishedSeconds`. */
export function kanikoJob(
  request: ImageBuildRequest,
  opts: { name: string; labels: Record<string, string>; git: GitContext; builder: BuilderSettings },
): KubernetesObject {
  const { name, labels, git, builder } = opts;
  const resources = Object.fromEntries(Object.entries(builder.resources).filter(([, v]) => v !== undefined));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      labels,
      annotations: {
        'berth.dev/image': request.image,
        ...(request.git ? { 'berth.dev/commit': request.git.commit } : {}),
      },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: builder.deadlineSeconds,
      ttlSecondsAfterFinished: builder.keepFinishedSeconds,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          // The build needs no API access; a ServiceAccount given for it (a cloud registry's identity) gets its token.
          automountServiceAccountToken: builder.serviceAccountName !== undefined,
          enableServiceLinks: false,
          ...(builder.serviceAccountName ? { serviceAccountName: builder.serviceAccountName } : {}),
          containers: [
            {
              name: KANIKO_CONTAINER,
              image: builder.image,
              args: kanikoArgs(request, git, builder),
              ...(git.plainHttp ? { env: [{ name: 'GIT_PULL_METHOD', value: 'http' }] } : {}),
              ...(Object.keys(resources).length > 0 ? { resources } : {}),
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
              ...(request.auth
                ? { volumeMounts: [{ name: 'docker-config', mountPath: '/kaniko/.docker', readOnly: true }] }
                : {}),
            },
          ],
          ...(request.auth
            ? {
                volumes: [
                  {
                    name: 'docker-config',
                    secret: { secretName: name, items: [{ key: '.dockerconfigjson', path: 'config.json' }] },
                  },
                ],
              }
            : {}),
        },
      },
    },
  };
}
