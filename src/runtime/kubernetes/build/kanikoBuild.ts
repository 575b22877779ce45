/**
 * `buildImage` of the Kubernetes runtime: the Kaniko Job of a build (kanikoJob.ts) applied in the
 * environment's namespace, its pod watched (list then watch, listed again after a 410), the build
 * container's log passed on line by line, and the outcome read back: the pushed image's digest from
 * the pod's termination message, or the failure with the log's last lines. A cancelled build deletes
 * its Job; a control plane that stops mid-build leaves it running, and asking for the same build again
 * re-attaches to it.
 */
import type { ImageBuildRequest, BuiltImage } from '../../../model/build.js';
import { RuntimeError } from '../../../errors.js';
import { applyObjects } from '../apply.js';
import { apiStatus, describeApiError, type KubeClients } from '../client.js';
import { deleteObject } from '../prune.js';
import { LABEL } from '../manifests/contract.js';
import { BuildLog } from './buildLog.js';
import { outcomeOf, type BuildJob, type BuildPod, type Outcome } from './buildOutcome.js';
import {
  buildId,
  buildJobName,
  buildLabels,
  buildSecret,
  BUILD_LABEL,
  DEFAULT_BUILDER,
  gitContext,
  kanikoJob,
  KANIKO_CONTAINER,
  type BuilderSettings,
} from './kanikoJob.js';
import { listWatch, objectRef } from './listWatch.js';

/** What the runtime gives a build besides the request. */
export interface InClusterBuildOptions {
  namespace: string;
  /** Server-side apply field manager (default `berth`, as the runtime's). */
  fieldManager?: string;
  builder?: Partial<BuilderSettings>;
  /** Pause before listing again after a stale (410) or broken watch (default 1000 ms). */
  pollIntervalMs?: number;
  /** The runtime closing: the build is left running (re-attached to by the next request for it). */
  closing: AbortSignal;
  /** Longest wait for the log's last lines once the build ended (default 3 s). */
  drainMs?: number;
}

/** Refuses a build the cluster cannot run, saying why and what to do instead. */
function checkBuildable(request: ImageBuildRequest): void {
  const s = request.service;
  if (!request.git)
    throw new RuntimeError(
      `${s}: cannot build ${request.image} in the cluster: the build context is a folder on the control plane's machine (${request.contextDir}), which the cluster's builder (a Kaniko Job) cannot see. Build from a pipeline whose source is a git repository (the Job clones the commit), or build on the control plane's host and push to the environment's registry (docs/builds.md, "On Kubernetes")`,
      { details: { service: s, needs: 'git' } },
    );
  if (!request.push)
    throw new RuntimeError(
      `${s}: cannot build ${request.image} in the cluster without pushing it: a cluster runs images from a registry only. Give the environment a registry (berth env set ${request.env} --registry HOST[/PREFIX])`,
      { details: { service: s, needs: 'registry' } },
    );
}

/** Reads the build's Job; undefined when there is none. */
async function readJob(clients: KubeClients, namespace: string, name: string): Promise<BuildJob | undefined> {
  try {
    return (await clients.objects.read(objectRef('batch/v1', 'Job', namespace, name) as never)) as unknown as BuildJob;
  } catch (err) {
    if (apiStatus(err) === 404) return undefined;
    throw new RuntimeError(`cannot read Job ${name} in ${namespace}: ${describeApiError(err)}`, { cause: err });
  }
}

/** How long a failed Job's pod has to show its exit before the Job's own reason is reported. */
const GRACE_MS = 2000;

/** Longest wait for a deleted Job to be gone before its successor of the same name is applied. */
const GONE_WAIT_MS = 60_000;

/**
 * Waits until a deleted Job is gone: until then (finalizers) an apply of its name would update the
 * Job being deleted instead of making a new one.
 */
async function jobGone(
  clients: KubeClients,
  ns: string,
  name: string,
  opts: InClusterBuildOptions,
  signal: AbortSignal | undefined,
): Promise<void> {
  const started = Date.now();
  while ((await readJob(clients, ns, name)) !== undefined) {
    if (Date.now() - started > GONE_WAIT_MS)
      throw new RuntimeError(`the earlier failed build's Job ${name} in ${ns} is still being deleted: try again later`);
    signal?.throwIfAborted();
    opts.closing.throwIfAborted();
    await new Promise((r) => setTimeout(r, opts.pollIntervalMs ?? 1000));
  }
}

/** Builds `request`'s image as a Kaniko Job; see the file's comment. */
export async function buildInCluster(
  clients: KubeClients,
  request: ImageBuildRequest,
  o: { onLog: (line: string) => void; signal?: AbortSignal },
  opts: InClusterBuildOptions,
): Promise<BuiltImage> {
  checkBuildable(request);
  const builder = { ...DEFAULT_BUILDER, ...opts.builder };
  const git = gitContext(request.git!, request.service);
  const id = buildId(request, builder);
  const name = buildJobName(request.service, id);
  const labels = buildLabels(request, id);
  const ns = opts.namespace;
  const job = kanikoJob(request, { name, labels, git, builder });
  const secret = request.auth ? buildSecret(request, name, labels) : undefined;
  const removeAll = async (): Promise<void> => {
    await deleteObject(clients, ns, job);
    if (secret) await deleteObject(clients, ns, secret);
  };
  o.signal?.throwIfAborted();

  let live = await readJob(clients, ns, name);
  // A failed build asked for again runs again: its Job (and pod) make room for a new one.
  if (live && outcomeOf(live, [], name).kind === 'failed') {
    await removeAll();
    await jobGone(clients, ns, name, opts, o.signal);
    live = undefined;
  }
  if (live) o.onLog(`[berth] re-attached to the build's Job ${name} in namespace ${ns}`);
  else {
    const apply = { namespace: ns, fieldManager: opts.fieldManager ?? 'berth', service: request.service };
    if (secret) await applyObjects(clients, [secret], apply);
    const [applied] = await applyObjects(clients, [job], apply);
    live = applied as unknown as BuildJob;
    // The Secret goes with its Job (Kubernetes' garbage collector), whoever deletes the Job.
    if (secret) {
      const owner = { apiVersion: 'batch/v1', kind: 'Job', name, uid: live.metadata.uid!, blockOwnerDeletion: false };
      await applyObjects(clients, [{ ...secret, metadata: { ...secret.metadata, ownerReferences: [owner] } }], apply);
    }
    o.onLog(`[berth] started the build's Job ${name} in namespace ${ns} (${builder.image})`);
  }
  const uid = live.metadata.uid;
  const outcome = await watchBuild(clients, { ns, name, id, uid, first: live, onLog: o.onLog, signal: o.signal, opts });
  if (outcome.kind === 'cancelled') {
    const why = await removeAll().then(
      () => `its Job ${name} was deleted`,
      (err: unknown) => `deleting its Job ${name} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    throw new RuntimeError(`${request.service}: the build of ${request.image} was cancelled; ${why}`, {
      cause: o.signal?.reason,
      details: { service: request.service, job: name, namespace: ns, logTail: outcome.logTail },
    });
  }
  if (outcome.kind === 'closing')
    throw new RuntimeError(
      `${request.service}: the runtime is closing; the build's Job ${name} keeps running in namespace ${ns}, and building the same commit again re-attaches to it`,
      { cause: opts.closing.reason, details: { service: request.service, job: name, namespace: ns } },
    );
  // The credentials are not left behind once the push is over.
  if (secret) await deleteObject(clients, ns, secret);
  if (outcome.kind === 'succeeded') return { image: request.image, digest: outcome.digest };
  if (outcome.kind === 'stuck') await deleteObject(clients, ns, job);
  throw new RuntimeError(`${request.service}: the build of ${request.image} failed: ${outcome.why}`, {
    details: { service: request.service, job: name, namespace: ns, logTail: outcome.logTail },
  });
}

/** How a build's watch ended: its outcome (a failure with the log's last lines), or why it stopped watching. */
type Ended =
  | { kind: 'succeeded'; digest: string }
  | { kind: 'failed' | 'stuck'; why: string; logTail: string[] }
  | { kind: 'cancelled'; logTail: string[] }
  | { kind: 'closing' };

/** Follows the Job and its pod until the build ends, the caller cancels, or the runtime closes. */
function watchBuild(
  clients: KubeClients,
  w: {
    ns: string;
    name: string;
    id: string;
    uid: string | undefined;
    first: BuildJob;
    onLog: (line: string) => void;
    signal: AbortSignal | undefined;
    opts: InClusterBuildOptions;
  },
): Promise<Ended> {
  const { ns, name, opts } = w;
  return new Promise((resolve, reject) => {
    let job: BuildJob | undefined = w.first;
    const pods = new Map<string, BuildPod>();
    let podsListed = false;
    let grace: NodeJS.Timeout | undefined;
    const log = new BuildLog(clients, ns, KANIKO_CONTAINER, w.onLog);
    let settled = false;
    const stops: (() => void)[] = [];
    const end = (e: Exclude<Outcome, { kind: 'running' }> | Ended | Error, drain: boolean): void => {
      if (settled) return;
      settled = true;
      for (const s of stops) s();
      clearTimeout(grace);
      w.signal?.removeEventListener('abort', onAbort);
      opts.closing.removeEventListener('abort', onClose);
      void log.drain(drain ? (opts.drainMs ?? 3000) : 0).then(() => {
        if (e instanceof Error) reject(e);
        else if (e.kind === 'failed' || e.kind === 'stuck') resolve({ ...e, logTail: log.tail() });
        else resolve(e);
      });
    };
    const onAbort = (): void => end({ kind: 'cancelled', logTail: log.tail() }, false);
    const onClose = (): void => end({ kind: 'closing' }, false);
    const check = (final = false): void => {
      if (settled) return;
      if (!job) return end(new RuntimeError(`the build's Job ${name} in ${ns} was deleted before it ended`), false);
      const mine = [...pods.values()].filter((p) =>
        p.metadata.ownerReferences?.some((r) => r.uid === job!.metadata.uid),
      );
      for (const p of mine) {
        const state = p.status?.containerStatuses?.find((c) => c.name === KANIKO_CONTAINER)?.state;
        if (state?.running || state?.terminated) log.follow(p.metadata.name, state.terminated !== undefined);
      }
      const outcome = outcomeOf(job, mine, name, { podsListed, final });
      if (outcome.kind !== 'running') end(outcome, true);
      // The Job failed: its pod's exit (the better reason) has a moment to arrive.
      else if (outcome.pending) grace ??= setTimeout(() => check(true), GRACE_MS);
    };
    if (w.signal?.aborted) return onAbort();
    w.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.closing.aborted) return onClose();
    opts.closing.addEventListener('abort', onClose, { once: true });
    const failed = (what: string) => (err: unknown) =>
      end(
        new RuntimeError(`cannot watch the build's ${what} in ${ns}: ${describeApiError(err)}`, { cause: err }),
        false,
      );
    stops.push(
      listWatch<BuildJob>(clients, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        path: `/apis/batch/v1/namespaces/${ns}/jobs`,
        namespace: ns,
        labelSelector: `${LABEL.managedBy}=berth,${BUILD_LABEL.build}=${w.id}`,
        fieldSelector: `metadata.name=${name}`,
        pauseMs: opts.pollIntervalMs ?? 1000,
        onList: (items) => {
          job = items.find((j) => j.metadata.uid === w.uid);
          check();
        },
        onEvent: (type, j) => {
          if (j.metadata.uid !== w.uid) return;
          job = type === 'DELETED' ? undefined : j;
          check();
        },
        onError: failed(`Job ${name}`),
      }),
      listWatch<BuildPod>(clients, {
        apiVersion: 'v1',
        kind: 'Pod',
        path: `/api/v1/namespaces/${ns}/pods`,
        namespace: ns,
        labelSelector: `${LABEL.managedBy}=berth,${BUILD_LABEL.build}=${w.id}`,
        pauseMs: opts.pollIntervalMs ?? 1000,
        onList: (items) => {
          pods.clear();
          for (const p of items) pods.set(p.metadata.name, p);
          podsListed = true;
          check();
        },
        onEvent: (type, p) => {
          if (type === 'DELETED') pods.delete(p.metadata.name);
          else pods.set(p.metadata.name, p);
          check();
        },
        onError: failed('pod'),
      }),
    );
  });
}
