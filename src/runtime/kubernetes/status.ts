/**
 * What the cluster shows for an app: its workloads (desired/ready replicas, revision, hash), their
 * pods as replicas (phase, restarts, last exit with its reason, e.g. OOMKilled), each service's
 * address, and the edge URL from the app's Ingress.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { RuntimeError } from '../../errors.js';
import { message as coded, type Message } from '../../model/messages.js';
import type {
  AppObservation,
  ReplicaPhase,
  ReplicaStatus,
  ServiceAddress,
  ServiceStatus,
  TrackStatus,
} from '../../model/observation.js';
import type { TrafficSplit } from '../../model/routing.js';
import { apiStatus, describeApiError, type KubeClients } from './client.js';
import { EDGE_KINDS, kindOf, labelsOf, MANAGED_KINDS, selectorOf } from './kinds.js';
import { ANNOTATION, LABEL, type KubernetesObject } from './manifests/contract.js';
import { liveSplit } from './manifests/traffic.js';
import { listLabelled } from './prune.js';

const iso = (v: unknown): string | undefined =>
  v instanceof Date ? v.toISOString() : typeof v === 'string' && v !== '' ? new Date(v).toISOString() : undefined;
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

const exitedWith = (m: Message) => ({ reason: m.text, reasonMessage: m });

/** A pod as a Berth replica. */
export function replicaOf(pod: V1Pod): ReplicaStatus {
  const statuses = pod.status?.containerStatuses ?? [];
  const waiting = statuses.map((c) => c.state?.waiting).find((w) => w?.reason);
  const ready = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const phase: ReplicaPhase = pod.metadata?.deletionTimestamp
    ? 'terminating'
    : pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed'
      ? 'exited'
      : waiting?.reason === 'CrashLoopBackOff'
        ? 'backoff'
        : pod.status?.phase === 'Running'
          ? ready
            ? 'ready'
            : 'unready'
          : 'starting';
  const exits = statuses
    .map((c) => c.lastState?.terminated)
    .filter((t) => t !== undefined)
    .sort((a, b) => (iso(b.finishedAt) ?? '').localeCompare(iso(a.finishedAt) ?? ''));
  const last = exits[0];
  const port = pod.spec?.containers[0]?.ports?.[0]?.containerPort;
  const startedAt = iso(pod.status?.startTime);
  const message = waiting ? `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` : undefined;
  return {
    id: pod.metadata?.name ?? '',
    phase,
    hash: pod.metadata?.annotations?.[ANNOTATION.hash] ?? '',
    ...(port === undefined ? {} : { port }),
    ...(startedAt ? { startedAt } : {}),
    restarts: statuses.reduce((n, c) => n + (c.restartCount ?? 0), 0),
    ...(last
      ? {
          lastExit: {
            at: iso(last.finishedAt) ?? '',
            code: last.exitCode,
            signal: last.signal ? `signal ${last.signal}` : null,
            // the cluster's own reason (OOMKilled, Error) as it says it; Berth's words with a code
            ...(last.reason ? { reason: last.reason } : exitedWith(coded('crash.exitCode', { code: last.exitCode }))),
          },
        }
      : {}),
    ...(message ? { message } : {}),
  };
}

/** Desired and ready replicas of a workload, by kind. */
function replicaCounts(w: KubernetesObject): { desired: number; ready: number } {
  const spec = (w.spec ?? {}) as Record<string, unknown>;
  const st = (w.status ?? {}) as Record<string, unknown>;
  switch (w.kind) {
    case 'DaemonSet':
      return { desired: num(st.desiredNumberScheduled), ready: num(st.numberReady) };
    case 'Job':
      return { desired: typeof spec.completions === 'number' ? spec.completions : 1, ready: num(st.succeeded) };
    case 'CronJob':
      return { desired: 0, ready: 0 };
    default:
      return { desired: typeof spec.replicas === 'number' ? spec.replicas : 1, ready: num(st.readyReplicas) };
  }
}

/** Lists the pods matching a label selector; none when the namespace is missing. */
export async function listPods(clients: KubeClients, namespace: string, labelSelector: string): Promise<V1Pod[]> {
  try {
    return (await clients.core.listNamespacedPod({ namespace, labelSelector })).items;
  } catch (err) {
    if (apiStatus(err) === 404) return [];
    throw new RuntimeError(`cannot list pods in ${namespace}: ${describeApiError(err)}`, { cause: err });
  }
}

/** The edge of an app: its Ingress's first host (or load-balancer address). */
function edgeOf(ing: KubernetesObject | undefined): AppObservation['edge'] {
  if (!ing) return undefined;
  const spec = ing.spec as { rules?: { host?: string }[]; tls?: unknown[] } | undefined;
  const lb = (ing.status as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined)
    ?.loadBalancer?.ingress?.[0];
  const host = spec?.rules?.find((r) => r.host)?.host ?? lb?.hostname ?? lb?.ip;
  if (!host) return undefined;
  const tls = (spec?.tls?.length ?? 0) > 0;
  return { url: `${tls ? 'https' : 'http'}://${host}`, port: tls ? 443 : 80 };
}

/** One track as observed: its workload's revision, hash and replicas, and its share of the weighted traffic. */
function trackOf(track: 'stable' | 'canary', w: KubernetesObject, split: TrafficSplit): TrackStatus {
  const { desired, ready } = replicaCounts(w);
  const revision = Number(w.metadata.annotations?.[ANNOTATION.revision]);
  const hash = w.metadata.annotations?.[ANNOTATION.hash];
  return {
    track,
    ...(Number.isFinite(revision) ? { revision } : {}),
    ...(hash ? { hash } : {}),
    desiredReplicas: desired,
    readyReplicas: ready,
    weight: track === 'canary' ? split.canaryWeight : 100 - split.canaryWeight,
  };
}

/** Observes an app in one namespace. `addressOf` maps a service and its live Service's port to its address. */
export async function observeApp(
  clients: KubeClients,
  namespace: string,
  app: string,
  env: string,
  addressOf: (service: string, servicePort: number | undefined) => ServiceAddress | undefined,
): Promise<AppObservation> {
  const labels = labelsOf(app, env);
  const kinds = MANAGED_KINDS.filter((k) => k.workload || ['CronJob', 'Service', 'Ingress'].includes(k.kind));
  const [objects, pods] = await Promise.all([
    listLabelled(clients, namespace, labels, kinds),
    listPods(clients, namespace, selectorOf(app, env)),
  ]);
  const ports = new Map<string, number | undefined>();
  for (const o of objects.filter((x) => x.kind === 'Service')) {
    const port = (o.spec as { ports?: { port: number }[] } | undefined)?.ports?.[0]?.port;
    if (o.metadata.name === o.metadata.labels?.[LABEL.name]) ports.set(o.metadata.name, port);
  }
  const byService = new Map<string, KubernetesObject>();
  const canaries = new Map<string, KubernetesObject>();
  for (const w of objects.filter((o) => kindOf(o)?.workload || o.kind === 'CronJob')) {
    const service = w.metadata.labels?.[LABEL.name];
    if (!service) continue;
    if (w.metadata.labels?.[LABEL.track] === 'canary') {
      canaries.set(service, w);
      continue;
    }
    const seen = byService.get(service);
    const rev = (o: KubernetesObject): number => Number(o.metadata.annotations?.[ANNOTATION.revision] ?? 0);
    if (!seen || rev(w) > rev(seen)) byService.set(service, w);
  }
  // HTTPRoutes are read only while a canary runs: clusters without the Gateway API never see the call.
  const edge =
    canaries.size > 0
      ? [
          ...objects,
          ...(await listLabelled(
            clients,
            namespace,
            labels,
            EDGE_KINDS.filter((k) => k.kind !== 'Ingress'),
          )),
        ]
      : [];
  const services: ServiceStatus[] = [...byService.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, w]) => {
      const { desired, ready } = replicaCounts(w);
      const revision = Number(w.metadata.annotations?.[ANNOTATION.revision]);
      const hash = w.metadata.annotations?.[ANNOTATION.hash];
      const address = addressOf(service, ports.get(service));
      const canary = canaries.get(service);
      const split = canary ? (liveSplit(edge, service) ?? { canaryWeight: 0 }) : undefined;
      return {
        app,
        env,
        service,
        ...(Number.isFinite(revision) ? { revision } : {}),
        ...(hash ? { hash } : {}),
        desiredReplicas: desired,
        readyReplicas: ready,
        ...(address ? { address } : {}),
        replicas: pods
          .filter((p) => p.metadata?.labels?.[LABEL.name] === service)
          .map(replicaOf)
          .sort((a, b) => a.id.localeCompare(b.id)),
        ...(canary && split
          ? { tracks: [trackOf('stable', w, split), trackOf('canary', canary, split)], traffic: split }
          : {}),
      };
    });
  const url = edgeOf(objects.find((o) => o.kind === 'Ingress' && o.metadata.name === app));
  return { services, ...(url ? { edge: url } : {}) };
}
