/**
 * Watching a workload's rollout after apply: the workload is watched (re-read and re-watched when
 * the watch drops) until its status says the rollout finished or failed, a local no-progress timer
 * backs up the controller's own progress deadline, a crash loop of the new version's pods fails it at
 * once (crashLoop.ts), and finally the runtime waits until no pod of an
 * older version (or terminating) remains.
 */
import type { KubernetesObject as ClientObject } from '@kubernetes/client-node';
import { RuntimeError, TimeoutError } from '../../errors.js';
import type { RuntimeEvent } from '../../model/observation.js';
import { message, messageOf, said, type Message } from '../../model/messages.js';
import { apiStatus, describeApiError, type KubeClients } from './client.js';
import { watchCrashLoops } from './crashLoop.js';
import { collectionPath, kindOf, ref } from './kinds.js';
import { ANNOTATION, LABEL, type KubernetesObject } from './manifests/contract.js';
import { rolloutProgress } from './rolloutStatus.js';

/** What a rollout watch needs besides the workload. */
export interface RolloutWatchOptions {
  namespace: string;
  service: string;
  signal: AbortSignal;
  onEvent: (e: RuntimeEvent) => void;
  /** No status change for this long fails the rollout (the controller's deadline usually fires first). */
  progressDeadlineMs: number;
  /** Pause before re-watching after a dropped watch, and between pod checks. */
  pollIntervalMs: number;
  now: () => number;
}

/** The error a rollout interrupted by its signal rejects with. */
function interrupted(service: string, o: KubernetesObject, signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const why = messageOf(reason) ?? (reason instanceof Error ? reason.message : message('kube.aborted'));
  const m = message('release.kubernetesInterrupted', { service, object: ref(o), why });
  return Object.assign(new RuntimeError(m.text, { cause: reason }), { reasonMessage: m });
}

/** The error of a workload deleted under its rollout. */
function deleted(service: string, o: KubernetesObject): Error {
  const m = message('release.kubernetesDeleted', { service, object: ref(o) });
  return Object.assign(new RuntimeError(m.text), { reasonMessage: m });
}

type Workload = Parameters<typeof rolloutProgress>[0];

/** Resolves when the workload's rollout finished; rejects with why it failed or stalled. */
export function watchRollout(
  clients: KubeClients,
  workload: KubernetesObject,
  opts: RolloutWatchOptions,
): Promise<void> {
  const kind = kindOf(workload);
  if (!kind) return Promise.resolve();
  const name = workload.metadata.name;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let last = '';
    let lastDetail: Message | undefined;
    let watch: AbortController | undefined;
    let stall: NodeJS.Timeout | undefined;
    let retry: NodeJS.Timeout | undefined;
    /** The last watch ended with 410 Gone: its resource version is compacted. */
    let gone = false;
    let stopCrashWatch: (() => void) | undefined;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      stopCrashWatch?.();
      clearTimeout(stall);
      clearTimeout(retry);
      watch?.abort();
      opts.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const onAbort = (): void => finish(interrupted(opts.service, workload, opts.signal));
    // An event about the workload: `<Kind/name>: <what>`, the what as a code when it has one.
    const emit = (type: RuntimeEvent['type'], reason: string, what: Message | string): void =>
      opts.onEvent({
        time: new Date(opts.now()).toISOString(),
        service: opts.service,
        type,
        reason,
        ...said(message('event.ofObject', { object: ref(workload), message: what })),
      });
    const armStall = (): void => {
      clearTimeout(stall);
      stall = setTimeout(() => {
        emit('Warning', 'ProgressDeadlineExceeded', lastDetail ?? last);
        const why = message('release.kubernetesNoProgress', {
          service: opts.service,
          object: ref(workload),
          seconds: Math.round(opts.progressDeadlineMs / 1000),
          last: lastDetail ?? last,
        });
        const err = new TimeoutError(why.text, { details: { service: opts.service, object: ref(workload) } });
        finish(Object.assign(err, { reasonMessage: why }));
      }, opts.progressDeadlineMs);
    };
    const check = (o: Workload): void => {
      if (settled) return;
      const p = rolloutProgress(o);
      if (p.failed) {
        const failed = p.failedDetail ?? p.failed;
        emit('Warning', 'RolloutFailed', failed);
        const why = message('release.kubernetesRolloutFailed', {
          service: opts.service,
          object: ref(workload),
          error: failed,
        });
        const err = new RuntimeError(why.text, { details: { service: opts.service, object: ref(workload) } });
        finish(Object.assign(err, { reasonMessage: why }));
        return;
      }
      if (p.message !== last) {
        last = p.message;
        lastDetail = p.detail;
        armStall();
        emit('Normal', p.done ? 'RolloutComplete' : 'Progressing', p.detail);
      }
      if (p.done) finish();
    };
    const rewatch = (): void => {
      if (settled) return;
      clearTimeout(retry);
      retry = setTimeout(() => {
        clients.objects
          .read({
            apiVersion: workload.apiVersion,
            kind: workload.kind,
            metadata: { name, namespace: opts.namespace },
          } as ClientObject as never)
          .then((o) => {
            check(o as unknown as Workload);
            // After 410 Gone the object's version may itself be compacted: watch from now (the
            // server sends the object as it is first).
            start(gone ? undefined : o.metadata?.resourceVersion);
          })
          .catch((err: unknown) => {
            if (apiStatus(err) === 404) finish(deleted(opts.service, workload));
            else rewatch(); // transient: the stall timer bounds how long this goes on
          });
      }, opts.pollIntervalMs);
    };
    const start = (resourceVersion: string | undefined): void => {
      if (settled) return;
      gone = false;
      clients.watch
        .watch(
          collectionPath(kind, opts.namespace),
          { fieldSelector: `metadata.name=${name}`, ...(resourceVersion ? { resourceVersion } : {}) },
          (type: string, o: Workload & { code?: number }) => {
            gone = type === 'ERROR' && o.code === 410;
            if (type === 'DELETED') finish(deleted(opts.service, workload));
            else if (type === 'ADDED' || type === 'MODIFIED') check(o);
          },
          () => rewatch(),
        )
        .then((c) => {
          watch = c;
          if (settled) c.abort();
        })
        .catch(() => rewatch());
    };
    if (opts.signal.aborted) return onAbort();
    opts.signal.addEventListener('abort', onAbort, { once: true });
    armStall();
    check(workload as unknown as Workload);
    start(workload.metadata.resourceVersion as string | undefined);
    const selector = podSelectorOf(workload);
    const hash = (workload.spec as { template?: { metadata?: { annotations?: Record<string, string> } } } | undefined)
      ?.template?.metadata?.annotations?.[ANNOTATION.hash];
    if (!settled && selector && hash !== undefined && kind.kind !== 'Job' && kind.kind !== 'CronJob')
      stopCrashWatch = watchCrashLoops(clients, {
        namespace: opts.namespace,
        service: opts.service,
        selector,
        hash,
        rewatchMs: opts.pollIntervalMs,
        onCrashLoop: (err) => {
          emit('Warning', 'CrashLoop', messageOf(err) ?? err.message);
          finish(err);
        },
      });
  });
}

/**
 * `k=v,k2=v2` from a workload's `spec.selector.matchLabels`. A stable track's selector also matches
 * the canary's pods (it predates tracks and selectors are immutable), so those are excluded.
 */
export function podSelectorOf(workload: KubernetesObject): string | undefined {
  const spec = workload.spec as
    | {
        selector?: { matchLabels?: Record<string, string> };
        template?: { metadata?: { labels?: Record<string, string> } };
      }
    | undefined;
  const labels = spec?.selector?.matchLabels;
  if (!labels || Object.keys(labels).length === 0) return undefined;
  const stable = spec?.template?.metadata?.labels?.[LABEL.track] === 'stable' && labels[LABEL.track] === undefined;
  return [...Object.entries(labels).map(([k, v]) => `${k}=${v}`), ...(stable ? [`${LABEL.track}!=canary`] : [])].join(
    ',',
  );
}

/**
 * Waits until the workload's pods are exactly its current version: none terminating, none of
 * another Berth hash, no more than desired. A real cluster keeps old pods Terminating for their
 * grace period after the controller reports the rollout done. Resolves with how many pods run
 * (the live count: an autoscaler's, when Berth renders none).
 */
export async function waitForOldPods(
  clients: KubeClients,
  workload: KubernetesObject,
  opts: RolloutWatchOptions & { hash: string; desired: number },
): Promise<number | undefined> {
  const selector = podSelectorOf(workload);
  if (!selector || workload.kind === 'Job' || workload.kind === 'CronJob') return undefined;
  const deadline = opts.now() + opts.progressDeadlineMs;
  let reported = -1;
  for (;;) {
    if (opts.signal.aborted) throw interrupted(opts.service, workload, opts.signal);
    let pods;
    try {
      pods = (await clients.core.listNamespacedPod({ namespace: opts.namespace, labelSelector: selector })).items;
    } catch (err) {
      throw new RuntimeError(`${opts.service}: cannot list pods of ${ref(workload)}: ${describeApiError(err)}`, {
        cause: err,
      });
    }
    const live = pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    const stale = live.filter(
      (p) =>
        p.metadata?.deletionTimestamp !== undefined ||
        (p.metadata?.annotations?.[ANNOTATION.hash] ?? opts.hash) !== opts.hash,
    );
    if (stale.length === 0 && live.length <= opts.desired) return live.length;
    const old = Math.max(stale.length, live.length - opts.desired);
    if (old !== reported) {
      reported = old;
      opts.onEvent({
        time: new Date(opts.now()).toISOString(),
        service: opts.service,
        type: 'Normal',
        reason: 'Killing',
        ...said(message('event.waitingOldPods', { count: old, workload: ref(workload) })),
      });
    }
    if (opts.now() > deadline) {
      const m = message('release.kubernetesOldPods', { service: opts.service, count: old, object: ref(workload) });
      throw Object.assign(new TimeoutError(m.text), { reasonMessage: m });
    }
    await new Promise((r) => setTimeout(r, opts.pollIntervalMs));
  }
}
