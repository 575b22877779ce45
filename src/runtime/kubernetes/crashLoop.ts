/**
 * A crash loop among the pods of the version being rolled out fails the rollout at once, as on one
 * machine (src/runtime/local/convergeFailure.ts), instead of at the progress deadline: a container
 * of a pod that was never seen Ready is waiting in CrashLoopBackOff, or has restarted
 * CRASH_LOOP_THRESHOLD times. The pods come from a watch of the workload's pods (no LIST: a watch
 * opened without a resource version starts with every matching pod as ADDED).
 */
import { RuntimeError } from '../../errors.js';
import { CRASH_LOOP_THRESHOLD } from '../runtime.js';
import type { KubeClients } from './client.js';
import { ANNOTATION } from './manifests/contract.js';
import { message } from '../../model/messages.js';

interface ContainerStatus {
  name?: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string } };
  lastState?: { terminated?: { exitCode?: number; signal?: number; reason?: string; message?: string } };
}

/** The fields of a pod a crash loop is read from. */
export interface CrashPod {
  metadata?: { name?: string; annotations?: Record<string, string>; deletionTimestamp?: unknown };
  status?: {
    conditions?: { type?: string; status?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

/** Longest termination message quoted. */
const MAX_MESSAGE_CHARS = 300;

/** Whether a pod is Ready now. */
export const podReady = (p: CrashPod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * The crash loop of one pod of the new version that was never Ready (`everReady` says whether it
 * was seen Ready before), as an error naming the pod, the container, its restarts and its last
 * termination (exit code, reason, message). Undefined when it is not crash looping.
 */
export function crashLoopOf(service: string, pod: CrashPod, everReady: boolean): RuntimeError | undefined {
  if (everReady || podReady(pod) || pod.metadata?.deletionTimestamp) return undefined;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const c = statuses.find(
    (s) => s.state?.waiting?.reason === 'CrashLoopBackOff' || (s.restartCount ?? 0) >= CRASH_LOOP_THRESHOLD,
  );
  if (!c) return undefined;
  const name = pod.metadata?.name ?? '?';
  const restarts = c.restartCount ?? 0;
  const waiting = c.state?.waiting?.reason === 'CrashLoopBackOff';
  const t = c.lastState?.terminated;
  const exit = t
    ? t.exitCode !== undefined
      ? message('crash.exitCode', { code: t.exitCode })
      : t.signal !== undefined
        ? message('crash.signal', { signal: t.signal })
        : message('crash.terminated')
    : undefined;
  const lastMessage = t?.message?.trim().replace(/\s*\n\s*/g, ' | ');
  const quoted =
    lastMessage && lastMessage.length > MAX_MESSAGE_CHARS
      ? `${lastMessage.slice(0, MAX_MESSAGE_CHARS - 1)}…`
      : lastMessage;
  // Optional parts are nested messages (or empty), so a translation has the same parts.
  const why = message('release.kubernetesCrashLoop', {
    service,
    pod: name,
    container: c.name ?? '?',
    restarts,
    waiting: waiting ? message('crash.backOff') : '',
    lastExit: exit ? message('crash.lastExit', { exit, reason: t?.reason ? ` (${t.reason})` : '' }) : '',
    lastMessage: quoted ? message('crash.lastMessage', { message: quoted }) : '',
  });
  // The release that fails with it keeps the code (its reason reads in the console's language).
  const err = new RuntimeError(why.text, {
    details: {
      service,
      pod: name,
      container: c.name,
      restarts,
      ...(t ? { exitCode: t.exitCode, reason: t.reason, message: t.message } : {}),
    },
  });
  return Object.assign(err, { reasonMessage: why });
}

/**
 * Watches the pods matching `selector` whose Berth hash is `hash` until `stop` is called, and calls
 * `onCrashLoop` once with the first crash loop among them. A watch that ends is opened again after
 * `rewatchMs` (from now: the server sends every pod as it is first). Best effort: a watch that
 * cannot be opened leaves the rollout to its status and progress deadline.
 */
export function watchCrashLoops(
  clients: KubeClients,
  opts: {
    namespace: string;
    service: string;
    selector: string;
    hash: string;
    rewatchMs: number;
    onCrashLoop: (err: RuntimeError) => void;
  },
): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const everReady = new Set<string>();
  const seen = (type: string, p: CrashPod): void => {
    if (stopped || (type !== 'ADDED' && type !== 'MODIFIED')) return;
    const name = p.metadata?.name ?? '';
    if ((p.metadata?.annotations?.[ANNOTATION.hash] ?? '') !== opts.hash) return;
    if (podReady(p)) everReady.add(name);
    const err = crashLoopOf(opts.service, p, everReady.has(name));
    if (!err) return;
    stop();
    opts.onCrashLoop(err);
  };
  const again = (): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(start, opts.rewatchMs);
  };
  const start = (): void => {
    if (stopped) return;
    clients.watch
      .watch(
        `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/pods`,
        { labelSelector: opts.selector },
        seen,
        () => again(),
      )
      .then((c) => {
        controller = c;
        if (stopped) c.abort();
      })
      .catch(() => again());
  };
  const stop = (): void => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  };
  start();
  return stop;
}
