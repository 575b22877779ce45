/**
 * Berth's Kubernetes runtime: a release's services rendered to objects (manifests/), applied with
 * server-side apply (field manager `berth`), their rollouts watched, what a release no longer renders
 * pruned by label, and the cluster read back as Berth's status and logs. Kubernetes does the
 * scheduling, scaling and rolling; this file wires the pieces.
 */
import { pino, type Logger } from 'pino';
import { ValidationError } from '../../errors.js';
import type {
  AppObservation,
  AppRoutes,
  ConvergeOptions,
  LogLine,
  LogSelector,
  Runtime,
  RuntimeEvent,
  ServiceAddress,
  ServiceEndpoint,
  ServiceState,
} from '../runtime.js';
import { applyObjects } from './apply.js';
import { createClients, loadKubeConfig, type KubeClients } from './client.js';
import { watchWorkloadEvents } from './events.js';
import { kindOf, labelsOf, MANAGED_KINDS, ref } from './kinds.js';
import { podLogs } from './logs.js';
import type { KubernetesObject, ServiceShape } from './manifests/contract.js';
import { ANNOTATION, LABEL } from './manifests/contract.js';
import { ingress } from './manifests/ingress.js';
import { renderManifests } from './manifests/render.js';
import { serviceHost } from './manifests/addresses.js';
import { ensureNamespace } from './namespace.js';
import { listLabelled, prune, deleteObject } from './prune.js';
import { waitForOldPods, watchRollout } from './rollout.js';
import { observeApp } from './status.js';

/** What the release knows about a service beyond its ServiceState. */
export interface ServiceDescription {
  /** Deployment, StatefulSet, DaemonSet, Job or CronJob, autoscaling (a replicated Deployment when omitted). */
  shape?: ServiceShape;
  /** `RenderedService.secretDigests`: which env values are secrets (they go to the Secret, not the ConfigMap). */
  secretDigests?: Record<string, string>;
}

/** Options of the Kubernetes runtime. */
export interface KubernetesRuntimeOptions {
  /** kubeconfig path; default $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string;
  /** kubeconfig context; the current context when omitted. */
  context?: string;
  /** Namespace of the environment (created when missing). */
  namespace: string;
  logger?: Logger;
  /** Server-side apply field manager (default `berth`). */
  fieldManager?: string;
  /** Wall clock in ms (event times, deadlines). */
  clock?: () => number;
  /** Shape and secret keys of a service, from its release (see ServiceDescription). */
  describeService?: (state: ServiceState) => Promise<ServiceDescription>;
  /** Kubernetes minor version the objects are validated against (default the renderer's, 1.30). */
  kubernetesVersion?: string;
  ingressClassName?: string;
  /** Host for routes without one. */
  defaultHost?: string;
  /** Pause before re-watching a dropped watch and between pod checks (default 1000 ms). */
  pollIntervalMs?: number;
}

/**
 * Port of an address when no Service exists yet and no state was converged: Runtime.addresses gets
 * service names only, so before the first deploy the Service's real port is unknown.
 */
export const DEFAULT_SERVICE_PORT = 80;

/** Creates the Kubernetes runtime of one environment (context + namespace). */
export function createKubernetesRuntime(opts: KubernetesRuntimeOptions): Runtime {
  return new KubernetesRuntime(opts);
}

class KubernetesRuntime implements Runtime {
  readonly kind = 'kubernetes' as const;
  private clientsOnce: KubeClients | undefined;
  private namespaceReady: Promise<unknown> | undefined;
  /** Last converged state per `app/env/service`: the Ingress needs the port names of routed services. */
  private readonly states = new Map<string, ServiceState>();
  private readonly closing = new AbortController();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly fieldManager: string;
  private readonly opts: KubernetesRuntimeOptions;

  constructor(opts: KubernetesRuntimeOptions) {
    this.opts = opts;
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.now = opts.clock ?? Date.now;
    this.fieldManager = opts.fieldManager ?? 'berth';
  }

  /** The cluster connection, made on first use so a bad kubeconfig fails the operation, not the server. */
  private get clients(): KubeClients {
    this.clientsOnce ??= createClients(
      loadKubeConfig({
        ...(this.opts.kubeconfig === undefined ? {} : { kubeconfig: this.opts.kubeconfig }),
        ...(this.opts.context === undefined ? {} : { context: this.opts.context }),
      }),
    );
    return this.clientsOnce;
  }

  private async namespace(): Promise<void> {
    this.namespaceReady ??= ensureNamespace(this.clients, this.opts.namespace).then(
      (r) => this.logger.info({ namespace: this.opts.namespace, result: r }, 'namespace ready'),
      (err: unknown) => {
        this.namespaceReady = undefined;
        throw err;
      },
    );
    await this.namespaceReady;
  }

  private event(service: string, reason: string, message: string): RuntimeEvent {
    return { time: new Date(this.now()).toISOString(), service, type: 'Normal', reason, message };
  }

  async converge(state: ServiceState, o: ConvergeOptions): Promise<void> {
    const signal = AbortSignal.any([o.signal, this.closing.signal]);
    const ns = this.opts.namespace;
    await this.namespace();
    const description = (await this.opts.describeService?.(state)) ?? {};
    const objects = renderManifests({
      app: state.app,
      env: state.env,
      revision: state.revision,
      configVersion: state.configVersion,
      services: { [state.service]: state },
      routes: [],
      options: this.manifestOptions(),
      ...(description.shape ? { shapes: { [state.service]: description.shape } } : {}),
      ...(description.secretDigests ? { secretDigests: { [state.service]: description.secretDigests } } : {}),
    }).filter((x) => x.metadata.labels?.[LABEL.name] === state.service && x.kind !== 'Ingress');
    // The event watch starts before the apply, so it sees the first ScalingReplicaSet.
    const events = watchWorkloadEvents(
      this.clients,
      ns,
      objects.filter((x) => kindOf(x)?.workload),
      {
        service: state.service,
        onEvent: o.onEvent,
        now: this.now,
      },
    );
    try {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([events.ready, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      await this.applyAndWatch(state, objects, o, signal);
    } finally {
      events.stop();
    }
  }

  private async applyAndWatch(
    state: ServiceState,
    objects: KubernetesObject[],
    o: ConvergeOptions,
    signal: AbortSignal,
  ): Promise<void> {
    const ns = this.opts.namespace;
    const applied = await applyObjects(this.clients, objects, {
      namespace: ns,
      fieldManager: this.fieldManager,
      service: state.service,
    });
    this.states.set(`${state.app}/${state.env}/${state.service}`, state);
    o.onEvent(this.event(state.service, 'Applied', `server-side applied ${applied.map(ref).join(', ')} to ${ns}`));

    const workloads = applied.filter((x) => kindOf(x)?.workload);
    const watchOpts = {
      namespace: ns,
      service: state.service,
      signal,
      onEvent: o.onEvent,
      progressDeadlineMs: state.rollout.progressDeadlineMs,
      pollIntervalMs: this.opts.pollIntervalMs ?? 1000,
      now: this.now,
    };
    await Promise.all(workloads.map((w) => watchRollout(this.clients, w, watchOpts)));
    await Promise.all(
      workloads.map((w) => {
        // Without spec.replicas (autoscaled, or a DaemonSet) the count is the controller's to decide.
        const replicas = (w.spec as { replicas?: number } | undefined)?.replicas;
        return waitForOldPods(this.clients, w, { ...watchOpts, hash: state.hash, desired: replicas ?? Infinity });
      }),
    );
    const kinds = MANAGED_KINDS.filter((k) => k.kind !== 'Ingress');
    const pruned = await prune(this.clients, ns, labelsOf(state.app, state.env, state.service), applied, kinds);
    if (pruned.length > 0)
      o.onEvent(this.event(state.service, 'Pruned', `deleted ${pruned.map(ref).join(', ')}: no longer rendered`));
    o.onEvent(
      this.event(
        state.service,
        'Converged',
        `${state.replicas} replica${state.replicas === 1 ? '' : 's'} of ${state.hash} ready`,
      ),
    );
  }

  private manifestOptions(): Parameters<typeof renderManifests>[0]['options'] {
    return {
      namespace: this.opts.namespace,
      secrets: 'real',
      ...(this.opts.kubernetesVersion ? { kubernetesVersion: this.opts.kubernetesVersion } : {}),
      ...(this.opts.ingressClassName ? { ingressClassName: this.opts.ingressClassName } : {}),
      ...(this.opts.defaultHost ? { defaultHost: this.opts.defaultHost } : {}),
    };
  }

  async applyRoutes(routes: AppRoutes, o: ConvergeOptions): Promise<void> {
    const ns = this.opts.namespace;
    await this.namespace();
    const services: Record<string, ServiceState> = {};
    for (const r of routes.routes) {
      const s =
        this.states.get(`${routes.app}/${routes.env}/${r.service}`) ??
        (await this.liveState(routes.app, routes.env, r.service));
      if (s) services[r.service] = s;
    }
    const problems: { path: string; message: string }[] = [];
    const edge = ingress(
      {
        app: routes.app,
        env: routes.env,
        revision: 0,
        configVersion: 0,
        services,
        routes: routes.routes,
        options: this.manifestOptions(),
      },
      problems,
    );
    if (problems.length > 0) {
      throw new ValidationError(`the routes of ${routes.app} cannot be served by an Ingress`, problems);
    }
    // The Ingress is app-wide: the release annotations would churn it on every release, so it carries none.
    const objects = edge
      ? [{ ...edge, metadata: { ...edge.metadata, annotations: withoutRelease(edge.metadata.annotations) } }]
      : [];
    const applied = await applyObjects(this.clients, objects, { namespace: ns, fieldManager: this.fieldManager });
    const ingressKind = MANAGED_KINDS.filter((k) => k.kind === 'Ingress');
    const pruned = await prune(this.clients, ns, labelsOf(routes.app, routes.env), applied, ingressKind);
    const what = [...applied.map((x) => `applied ${ref(x)}`), ...pruned.map((x) => `deleted ${ref(x)}`)];
    if (what.length > 0) o.onEvent(this.event('', 'Routes', what.join(', ')));
  }

  /** A state with just the ports of a service's live Service (enough for the Ingress backend). */
  private async liveState(app: string, env: string, service: string): Promise<ServiceState | undefined> {
    const svc = (
      await listLabelled(
        this.clients,
        this.opts.namespace,
        labelsOf(app, env, service),
        MANAGED_KINDS.filter((k) => k.kind === 'Service'),
      )
    ).find((x) => x.metadata.name === service);
    const ports = (svc?.spec as { ports?: { name?: string; port: number; protocol?: string }[] } | undefined)?.ports;
    if (!ports?.length) return undefined;
    return {
      app,
      env,
      service,
      revision: 0,
      configVersion: 0,
      hash: '',
      replicas: 0,
      workload: {
        env: {},
        files: [],
        ports: ports.map((p) => ({
          name: p.name ?? 'http',
          port: p.port,
          protocol: p.protocol === 'UDP' ? 'UDP' : 'TCP',
        })),
        resources: {},
        terminationGracePeriodMs: 0,
      },
      rollout: { maxSurge: 0, maxUnavailable: 0, progressDeadlineMs: 0 },
      restart: { initialBackoffMs: 0, maxBackoffMs: 0, resetAfterMs: 0 },
    };
  }

  private addressOf(app: string, env: string, service: string, livePort: number | undefined): ServiceAddress {
    const converged = this.states.get(`${app}/${env}/${service}`)?.workload.ports[0]?.port;
    const port = livePort ?? converged ?? DEFAULT_SERVICE_PORT;
    const host = serviceHost(service, this.opts.namespace);
    return { host, port, url: `http://${host}:${port}` };
  }

  async addresses(app: string, env: string, endpoints: ServiceEndpoint[]): Promise<Record<string, ServiceAddress>> {
    // The declared port is what the Service will listen on; only a service without one falls back
    // to the live Service (or the default port).
    if (endpoints.every((e) => e.port !== undefined)) {
      return Object.fromEntries(endpoints.map((e) => [e.name, this.addressOf(app, env, e.name, e.port)]));
    }
    const live = await listLabelled(
      this.clients,
      this.opts.namespace,
      labelsOf(app, env),
      MANAGED_KINDS.filter((k) => k.kind === 'Service'),
    );
    const portOf = (s: string): number | undefined =>
      (live.find((x) => x.metadata.name === s)?.spec as { ports?: { port: number }[] } | undefined)?.ports?.[0]?.port;
    return Object.fromEntries(
      endpoints.map((e) => [e.name, this.addressOf(app, env, e.name, e.port ?? portOf(e.name))]),
    );
  }

  async observe(app: string, env: string): Promise<AppObservation> {
    return observeApp(this.clients, this.opts.namespace, app, env, (s, port) => this.addressOf(app, env, s, port));
  }

  logs(
    selector: LogSelector,
    o: { follow: boolean; since?: Date; tail?: number; signal?: AbortSignal },
  ): AsyncIterable<LogLine> {
    const signal = AbortSignal.any([o.signal ?? new AbortController().signal, this.closing.signal]);
    return podLogs(this.clients, this.opts.namespace, selector, { ...o, signal });
  }

  async remove(app: string, env: string, service?: string): Promise<void> {
    const ns = this.opts.namespace;
    const objects = await listLabelled(this.clients, ns, labelsOf(app, env, service));
    // Workloads first, so pods stop before the config and Services they use disappear.
    objects.sort((a, b) => Number(kindOf(b)?.workload ?? false) - Number(kindOf(a)?.workload ?? false));
    for (const x of objects) await deleteObject(this.clients, ns, x);
    for (const k of [...this.states.keys()])
      if (k === `${app}/${env}/${service}` || (service === undefined && k.startsWith(`${app}/${env}/`)))
        this.states.delete(k);
    this.logger.info({ app, env, service, deleted: objects.map(ref) }, 'removed');
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('the runtime is closing'));
  }
}

/** Annotations minus the per-release ones (revision, config version). */
function withoutRelease(a: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!a) return undefined;
  const perRelease: string[] = [ANNOTATION.revision, ANNOTATION.configVersion];
  const rest = Object.fromEntries(Object.entries(a).filter(([k]) => !perRelease.includes(k)));
  return Object.keys(rest).length > 0 ? rest : undefined;
}
