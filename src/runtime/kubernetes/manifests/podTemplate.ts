/** The pod template every workload kind shares: container, probes, resources, drain delay, config volume. */
import type { Problem } from '../../../errors.js';
import type { Probe } from '../../../model/probe.js';
import type { ServiceState } from '../../../model/serviceState.js';
import type { Track } from '../../../model/routing.js';
import { ANNOTATION, type ManifestInput, type ServiceShape } from './contract.js';
import { imageVersion, objectLabels, withTrack } from './labels.js';
import { cpuQuantity, memoryQuantity, seconds } from './quantities.js';
import { CONFIG_DIR, type ServiceConfig } from './serviceConfig.js';
import { FIELD_SINCE } from './versions.js';
import { imagePullSecrets } from './pullSecret.js';
import { claimVolumes, volumeMounts } from './volumes.js';
import { MASK } from '../../../model/mask.js';
import { compareText } from '../../../collate.js';

/** What the per-kind renderers get for one service. */
export interface ServiceContext {
  input: ManifestInput;
  state: ServiceState;
  shape: ServiceShape;
  config: ServiceConfig;
  minor: number;
  problems: Problem[];
  /** Name of the shared discovery ConfigMap, when the app has one. */
  discoveryConfigMap?: string;
  /** The track these objects belong to, for a progressive service (none for the others). */
  track?: Track;
}

/** The workload's name: `<service>`, or `<service>-canary` for the canary track. */
export function workloadName(ctx: Pick<ServiceContext, 'state' | 'track'>): string {
  return ctx.track === 'canary' ? `${ctx.state.service}-canary` : ctx.state.service;
}

/** The pod volume of a service's config files. */
const CONFIG_VOLUME = 'berth-config';
const REPLICA_INDEX = 'BERTH_REPLICA_INDEX';
/** The label the StatefulSet controller puts on each pod: its ordinal. */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
const DEFAULT_PRE_STOP_SECONDS = 5;

function probePort(explicit: number | undefined, ctx: ServiceContext, which: string): number | string {
  if (explicit !== undefined) return explicit;
  const firstPort = ctx.state.workload.ports[0];
  if (firstPort) return firstPort.name;
  ctx.problems.push({
    path: `services.${ctx.state.service}.health.${which}`,
    message: 'the probe has no port and the service declares none (add `ports` or a probe `port`)',
  });
  return 1;
}

// The builders below add fields one by one, in the order they print, instead of spreading optional
// parts: every service of a render goes through them, and spreads cost a copy each.

function probe(p: Probe, ctx: ServiceContext, which: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.kind === 'http') out.httpGet = { path: p.path, port: probePort(p.port, ctx, which) };
  else if (p.kind === 'tcp') out.tcpSocket = { port: probePort(p.port, ctx, which) };
  else out.exec = { command: p.command };
  out.initialDelaySeconds = seconds(p.initialDelayMs);
  out.periodSeconds = seconds(p.periodMs, 1);
  out.timeoutSeconds = seconds(p.timeoutMs, 1);
  out.failureThreshold = p.failureThreshold;
  out.successThreshold = p.successThreshold;
  return out;
}

function resources(ctx: ServiceContext): Record<string, unknown> | undefined {
  const r = ctx.state.workload.resources;
  let requests: Record<string, string> | undefined;
  let limits: Record<string, string> | undefined;
  if (r.cpuRequestMillis !== undefined) (requests ??= {}).cpu = cpuQuantity(r.cpuRequestMillis);
  if (r.memoryRequestBytes !== undefined) (requests ??= {}).memory = memoryQuantity(r.memoryRequestBytes);
  if (r.cpuLimitMillis !== undefined) (limits ??= {}).cpu = cpuQuantity(r.cpuLimitMillis);
  if (r.memoryLimitBytes !== undefined) (limits ??= {}).memory = memoryQuantity(r.memoryLimitBytes);
  if (!requests && !limits) return undefined;
  const out: Record<string, unknown> = {};
  if (requests) out.requests = requests;
  if (limits) out.limits = limits;
  return out;
}

/**
 * Sleep before SIGTERM so the endpoint controller and proxies stop sending traffic first. A service
 * with a `stopSignal` gets it from the hook instead: after the sleep, the hook sends it to the
 * container's main process (PID 1) and waits for that process to exit, so the kubelet's SIGTERM
 * that follows the hook never comes while it still runs (within the grace period). Kubernetes'
 * own `lifecycle.stopSignal` is alpha behind a feature gate in 1.33, the newest version rendered.
 */
function preStop(ctx: ServiceContext): Record<string, unknown> | undefined {
  const wanted = ctx.input.options.preStopSeconds ?? DEFAULT_PRE_STOP_SECONDS;
  const drain = ctx.shape.kind === 'service';
  const s = drain ? Math.min(wanted, Math.floor(seconds(ctx.state.workload.terminationGracePeriodMs) / 2)) : 0;
  const signal = ctx.state.workload.stopSignal;
  if (signal !== undefined && signal !== 'SIGTERM') {
    const name = signal.replace(/^SIG/, '');
    const stop = `kill -s ${name} 1; while kill -0 1 2>/dev/null; do sleep 1; done`;
    return { preStop: { exec: { command: ['/bin/sh', '-c', s > 0 ? `sleep ${s}; ${stop}` : stop] } } };
  }
  if (s <= 0) return undefined;
  return ctx.minor >= FIELD_SINCE.preStopSleep
    ? { preStop: { sleep: { seconds: s } } }
    : { preStop: { exec: { command: ['/bin/sh', '-c', `sleep ${s}`] } } };
}

function image(ctx: ServiceContext): string {
  const { state, input } = ctx;
  const img = state.workload.image;
  if (img === undefined) {
    ctx.problems.push({
      path: `services.${state.service}.image`,
      message: 'a service needs `image` to run on Kubernetes',
    });
    return '';
  }
  const secret = 'image' in (input.secretDigests?.[state.service] ?? {});
  if (secret && input.options.secrets === 'masked') return MASK;
  // A built image runs by the digest its build pushed: the tag may move, the revision does not.
  const digest = state.workload.imageDigest;
  return digest && !img.includes('@') ? `${img}@${digest}` : img;
}

/** The pod template of one service (Deployment, StatefulSet, DaemonSet, Job and CronJob alike). */
export function podTemplate(ctx: ServiceContext): Record<string, unknown> {
  const { state, config, shape } = ctx;
  const w = state.workload;
  const img = image(ctx);
  const res = resources(ctx);
  const lifecycle = preStop(ctx);
  const hasFiles = config.files.length > 0;
  const container: Record<string, unknown> = { name: state.service, image: img };
  // Only when berth.yaml sets it: otherwise Kubernetes' own default (and the objects stay as they were).
  if (w.imagePullPolicy) container.imagePullPolicy = w.imagePullPolicy;
  // compose's entrypoint/command are Kubernetes' command/args (docs/berth-yaml.md, Clusters).
  if (w.entrypoint?.length) container.command = w.entrypoint;
  if (w.command?.length) container.args = w.command;
  if (w.ports.length)
    container.ports = w.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol }));
  if (ctx.discoveryConfigMap) container.envFrom = [{ configMapRef: { name: ctx.discoveryConfigMap } }];
  const mounts = w.volumes ?? [];
  const stateful = isStateful(ctx);
  const env = stateful ? withReplicaIndex(config.env, ctx.minor) : config.env;
  if (env.length) container.env = env;
  if (res) container.resources = res;
  if (w.readiness && shape.kind === 'service') container.readinessProbe = probe(w.readiness, ctx, 'readiness');
  if (w.liveness) container.livenessProbe = probe(w.liveness, ctx, 'liveness');
  if (lifecycle) container.lifecycle = lifecycle;
  if (hasFiles || mounts.length > 0)
    container.volumeMounts = [
      ...(hasFiles ? [{ name: CONFIG_VOLUME, mountPath: CONFIG_DIR, readOnly: true }, ...fileMounts(ctx)] : []),
      ...volumeMounts(mounts),
    ];
  const spec: Record<string, unknown> = {
    // Kubernetes' own `<SERVICE>_PORT=tcp://...` links would clash with Berth's discovery variables.
    enableServiceLinks: false,
  };
  if (shape.kind !== 'service') spec.restartPolicy = 'OnFailure';
  spec.terminationGracePeriodSeconds = seconds(w.terminationGracePeriodMs);
  spec.containers = [container];
  const pullSecrets = imagePullSecrets(ctx.input.app, state);
  if (pullSecrets.length > 0) spec.imagePullSecrets = pullSecrets;
  // A stateful service's claims come from its StatefulSet's volumeClaimTemplates, one per replica.
  const claims = stateful ? [] : claimVolumes(ctx.input.app, mounts);
  if (hasFiles || claims.length > 0)
    spec.volumes = [
      ...(hasFiles ? [{ name: CONFIG_VOLUME, projected: { sources: fileSources(config) } }] : []),
      ...claims,
    ];
  for (const m of mounts)
    if (m.volume === CONFIG_VOLUME)
      ctx.problems.push({
        path: `volumes.${m.volume}`,
        message: `\`${CONFIG_VOLUME}\` is the name of the config files' volume on clusters: name the volume otherwise`,
      });
  return {
    metadata: {
      labels: withTrack(objectLabels(ctx.input, state.service, shape.kind, imageVersion(img)), ctx.track),
      annotations: { [ANNOTATION.hash]: state.hash, [ANNOTATION.configChecksum]: config.checksum },
    },
    spec,
  };
}

/**
 * A file with a `mountPath` is also mounted there, from the config volume by `subPath` (its path in
 * the volume), read-only: the image reads its config where compose put it. A subPath mount does not
 * follow later changes of the volume, which is fine here: a changed file changes the pod template's
 * config checksum, so the pods are replaced.
 */
function fileMounts(ctx: ServiceContext): Record<string, unknown>[] {
  return ctx.state.workload.files.flatMap((f) =>
    f.mountPath === undefined ? [] : [{ name: CONFIG_VOLUME, mountPath: f.mountPath, subPath: f.path, readOnly: true }],
  );
}

/** Whether the service runs as a StatefulSet. */
export function isStateful(ctx: Pick<ServiceContext, 'shape'>): boolean {
  const { shape } = ctx;
  return shape.kind === 'service' && shape.placement !== 'perNode' && shape.stateful;
}

/**
 * `BERTH_REPLICA_INDEX` from the pod's `apps.kubernetes.io/pod-index` label (the downward API), as a
 * stateful replica has it on one machine; the label exists from Kubernetes 1.28.
 */
function withReplicaIndex(env: Record<string, unknown>[], minor: number): Record<string, unknown>[] {
  if (minor < FIELD_SINCE.podIndexLabel || env.some((e) => e.name === REPLICA_INDEX)) return env;
  const index = {
    name: REPLICA_INDEX,
    valueFrom: { fieldRef: { fieldPath: `metadata.labels['${POD_INDEX_LABEL}']` } },
  };
  return [...env, index].sort((a, b) => compareText(String(a.name), String(b.name)));
}

/** The projected volume's sources: the ConfigMap's files, then the Secret's. */
function fileSources(config: ServiceConfig): Record<string, unknown>[] {
  const plain = config.files.filter((f) => !f.secret);
  const secret = config.files.filter((f) => f.secret);
  const sources: Record<string, unknown>[] = [];
  if (plain.length > 0)
    sources.push({
      configMap: { name: config.configMapName, items: plain.map((f) => ({ key: f.key, path: f.path })) },
    });
  if (secret.length > 0)
    sources.push({
      secret: {
        name: config.secretName,
        // 0600, as on one machine: a secret file is readable by the service's user only.
        items: secret.map((f) => ({ key: f.key, path: f.path, mode: 0o600 })),
      },
    });
  return sources;
}
