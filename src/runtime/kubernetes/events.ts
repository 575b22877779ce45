/**
 * Kubernetes events about one workload during its rollout (ScalingReplicaSet, SuccessfulCreate,
 * and the Warning events of its pods: image pull back-off, failed probes...) forwarded as progress.
 * Best effort: a rollout never fails because its events could not be watched.
 */
import type { RuntimeEvent } from '../../model/observation.js';
import { apiStatus, type KubeClients } from './client.js';
import { transientReason } from './retry.js';

interface EventObject {
  metadata?: { resourceVersion?: string };
  type?: string;
  reason?: string;
  message?: string;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  involvedObject?: { kind?: string; name?: string };
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether an event is about the workload, its ReplicaSets or its pods (by the controllers' naming). */
export function isAbout(workload: { kind: string; metadata: { name: string } }, e: EventObject): boolean {
  const io = e.involvedObject ?? {};
  const name = workload.metadata.name;
  const n = escape(name);
  if (io.kind === workload.kind) return io.name === name;
  if (io.kind === 'ReplicaSet') return new RegExp(`^${n}-[a-z0-9]{5,10}$`).test(io.name ?? '');
  if (io.kind !== 'Pod') return false;
  const pod =
    workload.kind === 'StatefulSet'
      ? `^${n}-\\d+$`
      : workload.kind === 'Deployment'
        ? `^${n}-[a-z0-9]{5,10}-[a-z0-9]{5}$`
        : `^${n}-[a-z0-9]{5}$`;
  return new RegExp(pod).test(io.name ?? '');
}

/**
 * Watches the namespace's events from now on, in the background (the rollout never waits for the
 * watch itself). `ready` resolves once the starting resource version is known, so a watch started
 * before an apply sees every event the apply causes. A watch that ends (API servers end them after a
 * timeout; a connection drops) is opened again from the last resource version it saw; one that the
 * server ends with 410 Gone (that version is compacted) starts again from a fresh list's version.
 * `stop` ends the watch.
 */
export function watchWorkloadEvents(
  clients: KubeClients,
  namespace: string,
  workloads: { kind: string; metadata: { name: string } }[],
  opts: {
    service: string;
    onEvent: (e: RuntimeEvent) => void;
    now: () => number;
    /** Pause before re-opening a watch that ended (default 1000 ms). */
    rewatchMs?: number;
  },
): { ready: Promise<void>; stop: () => void } {
  let controller: AbortController | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let markReady!: () => void;
  const ready = new Promise<void>((r) => (markReady = r));
  const run = async (from: string | undefined): Promise<void> => {
    let last = from;
    if (last === undefined) {
      const list = await clients.core.listNamespacedEvent({ namespace, limit: 1 });
      last = list.metadata?.resourceVersion;
    }
    markReady();
    if (stopped) return;
    let gone = false;
    controller = await clients.watch.watch(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      { resourceVersion: last, allowWatchBookmarks: true },
      (type: string, e: EventObject & { code?: number }) => {
        if (type === 'ERROR') {
          if (e.code === 410) gone = true;
          return;
        }
        last = e.metadata?.resourceVersion ?? last;
        if (stopped || type !== 'ADDED' || !workloads.some((w) => isAbout(w, e))) return;
        const time = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp;
        opts.onEvent({
          time: time ? new Date(time).toISOString() : new Date(opts.now()).toISOString(),
          service: opts.service,
          ...(e.involvedObject?.kind === 'Pod' && e.involvedObject.name ? { replica: e.involvedObject.name } : {}),
          type: e.type === 'Warning' ? 'Warning' : 'Normal',
          reason: e.reason ?? 'Event',
          message: e.message ?? '',
        });
      },
      (err: unknown) => {
        if (stopped) return;
        // Refused for good (403: a Role without events; 404): no use asking again every second.
        if (apiStatus(err) !== undefined && transientReason(err) === undefined) return;
        // Re-established: from where it was, or from a fresh list after 410 Gone.
        timer = setTimeout(() => void run(gone ? undefined : last).catch(giveUp), gone ? 0 : (opts.rewatchMs ?? 1000));
      },
    );
    if (stopped) controller.abort();
  };
  // Events are progress decoration (and may live in another etcd); the rollout watch decides.
  const giveUp = (): void => markReady();
  void run(undefined).catch(giveUp);
  return {
    ready,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      markReady();
      controller?.abort();
    },
  };
}
