/** The pod template every workload kind shares: container, probes, resources, drain delay, config volume. */
import type { Problem } from '../../../errors.js';
import type { Probe, ServiceState, Track } from '../../runtime.js';
import { ANNOTATION, type ManifestInput, type ServiceShape } from './contract.js';
import { imageVersion, objectLabels, withTrack } from './labels.js';
import { cpuQuantity, memoryQuantity, seconds } from './quantities.js';
import { CONFIG_DIR, type ServiceConfig } from './serviceConfig.js';
import { FIELD_SINCE } from './versions.js';

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

const MASK = '******';
const DEFAULT_PRE_STOP_SECONDS = 5;

function probe(p: Probe, ctx: ServiceContext, which: string): Record<string, unknown> {
  const firstPort = ctx.state.workload.ports[0];
  const port = (explicit: number | undefined): number | string => {
    if (explicit !== undefined) return explicit;
    if (firstPort) return firstPort.name;
    ctx.problems.push({
      path: `services.${ctx.state.service}.health.${which}`,
      message: 'the probe has no port and the service declares none (add `ports` or a probe `port`)',
    });
    return 1;
  };
  const check =
    p.kind === 'http'
      ? { httpGet: { path: p.path, port: port(p.port) } }
      : p.kind === 'tcp'
        ? { tcpSocket: { port: port(p.port) } }
        : { exec: { command: p.command } };
  return {
    ...check,
    initialDelaySeconds: seconds(p.initialDelayMs),
    periodSeconds: seconds(p.periodMs, 1),
    timeoutSeconds: seconds(p.timeoutMs, 1),
    failureThreshold: p.failureThreshold,
    successThreshold: p.successThreshold,
  };
}

function resources(ctx: ServiceContext): Record<string, unknown> | undefined {
  const r = ctx.state.workload.resources;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (r.cpuRequestMillis !== undefined) requests.cpu = cpuQuantity(r.cpuRequestMillis);
  if (r.memoryRequestBytes !== undefined) requests.memory = memoryQuantity(r.memoryRequestBytes);
  if (r.cpuLimitMillis !== undefined) limits.cpu = cpuQuantity(r.cpuLimitMillis);
  if (r.memoryLimitBytes !== undefined) limits.memory = memoryQuantity(r.memoryLimitBytes);
  const out = {
    ...(Object.keys(requests).length ? { requests } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

/** Sleep before SIGTERM so the endpoint controller and proxies stop sending traffic first. */
function preStop(ctx: ServiceContext): Record<string, unknown> | undefined {
  const wanted = ctx.input.options.preStopSeconds ?? DEFAULT_PRE_STOP_SECONDS;
  const s = Math.min(wanted, Math.floor(seconds(ctx.state.workload.terminationGracePeriodMs) / 2));
  if (s <= 0 || ctx.shape.kind !== 'service') return undefined;
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
  return secret && input.options.secrets === 'masked' ? MASK : img;
}

/** The pod template of one service (Deployment, StatefulSet, DaemonSet, Job and CronJob alike). */
export function podTemplate(ctx: ServiceContext): Record<string, unknown> {
  const { state, config, shape } = ctx;
  const w = state.workload;
  const img = image(ctx);
  const res = resources(ctx);
  const lifecycle = preStop(ctx);
  const hasFiles = config.files.length > 0;
  const container: Record<string, unknown> = {
    name: state.service,
    image: img,
    ...(w.ports.length
      ? { ports: w.ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: p.protocol })) }
      : {}),
    ...(ctx.discoveryConfigMap ? { envFrom: [{ configMapRef: { name: ctx.discoveryConfigMap } }] } : {}),
    ...(config.env.length ? { env: config.env } : {}),
    ...(res ? { resources: res } : {}),
    ...(w.readiness && shape.kind === 'service' ? { readinessProbe: probe(w.readiness, ctx, 'readiness') } : {}),
    ...(w.liveness ? { livenessProbe: probe(w.liveness, ctx, 'liveness') } : {}),
    ...(lifecycle ? { lifecycle } : {}),
    ...(hasFiles ? { volumeMounts: [{ name: 'berth-config', mountPath: CONFIG_DIR, readOnly: true }] } : {}),
  };
  const sources = [
    ...(config.files.some((f) => !f.secret)
      ? [
          {
            configMap: {
              name: config.configMapName,
              items: config.files.filter((f) => !f.secret).map((f) => ({ key: f.key, path: f.path })),
            },
          },
        ]
      : []),
    ...(config.files.some((f) => f.secret)
      ? [
          {
            secret: {
              name: config.secretName,
              // 0600, as on one machine: a secret file is readable by the service's user only.
              items: config.files.filter((f) => f.secret).map((f) => ({ key: f.key, path: f.path, mode: 0o600 })),
            },
          },
        ]
      : []),
  ];
  return {
    metadata: {
      labels: withTrack(objectLabels(ctx.input, state.service, shape.kind, imageVersion(img)), ctx.track),
      annotations: { [ANNOTATION.hash]: state.hash, [ANNOTATION.configChecksum]: config.checksum },
    },
    spec: {
      // Kubernetes' own `<SERVICE>_PORT=tcp://...` links would clash with Berth's discovery variables.
      enableServiceLinks: false,
      ...(shape.kind === 'service' ? {} : { restartPolicy: 'OnFailure' }),
      terminationGracePeriodSeconds: seconds(w.terminationGracePeriodMs),
      containers: [container],
      ...(hasFiles ? { volumes: [{ name: 'berth-config', projected: { sources } }] } : {}),
    },
  };
}
