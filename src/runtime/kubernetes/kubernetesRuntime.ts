/**
 * Berth's Kubernetes runtime: a release's services rendered to objects (manifests/), applied with
 * server-side apply (field manager `berth`), their rollouts watched, what a release no longer renders
 * pruned by label, and the cluster read back as Berth's status and logs. A progressive service runs
 * a canary Deployment beside the stable one while a release steps it, its traffic split by HTTPRoute
 * weights or ingress-nginx canary annotations (manifests/traffic.ts, edge.ts). Kubernetes does the
 * scheduling, scaling and rolling; this file wires the pieces.
 */
import { pino, type Logger } from 'pino';
import type { ConvergeOptions, Runtime, ServiceEndpoint, ReleaseToCheck } from '../runtime.js';
import type { AppObservation, LogLine, LogSelector, RuntimeEvent, ServiceAddress } from '../../model/observation.js';
import { TrafficRouter, type Route, type AppRoutes } from '../../model/routing.js';
import type { WorkloadPort } from '../../model/ports.js';
import type { ServiceState } from '../../model/serviceState.js';
import { said, type Message } from '../../model/messages.js';
import { serviceAddress } from '../serviceAddress.js';
import { applyObjects } from './apply.js';
import { createClients, loadKubeConfig, type KubeClients } from './client.js';
import { edgeObjects, liveRoutes, pruneEdge, stripRelease } from './edge.js';
import * as say from './convergeEvents.js';
import { watchWorkloadEvents } from './events.js';
import { CLAIM_KIND, hasLabels, kindOf, labelsOf, MANAGED_KINDS, ref } from './kinds.js';
import { collisionError, collisionsWith, nameCollisions, namesOf } from './ownership.js';
import { podLogs } from './logs.js';
import { LABEL, type KubernetesObject, type ManifestOptions, type ServiceShape } from './manifests/contract.js';
import { renderManifests } from './manifests/render.js';
import { checkReleaseObjects } from './releaseRender.js';
import { isPullSecret } from './manifests/pullSecret.js';
import { canaryState, DEFAULT_SHAPE, hasTracks } from './manifests/tracks.js';
import { isTrafficObject } from './manifests/traffic.js';
import { serviceHost } from './manifests/addresses.js';
import { discoveryConfigMapName } from './manifests/discovery.js';
import { ensureNamespace } from './namespace.js';
import { adoptLegacySelectors } from './legacySelectors.js';
import { instanceLabel } from './manifests/labels.js';
import { listLabelled, deleteObject } from './prune.js';
import { Inventory } from './inventory.js';
import { observeApp } from './status.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
import { ENVIRONMENT_OPTIONS } from './environmentOptions.js';
import { prometheusTraffic, type PrometheusSettings } from './prometheus/source.js';
import { buildInCluster, type InClusterBuildOptions } from './build/kanikoBuild.js';
import { applyAndWatch } from './serviceApply.js';

/** What the release knows about a service beyond its ServiceState. */
export interface ServiceDescription {
  /** Deployment, StatefulSet, DaemonSet, Job or CronJob, autoscaling (a replicated Deployment when omitted). */
  shape?: ServiceShape;
  /** `RenderedService.secretDigests`: which env values are secrets (they go to the Secret, not the ConfigMap). */
  secretDigests?: Record<string, string>;
}

/** Options of the Kubernetes runtime. */
export interface KubernetesRuntimeOptions extends Pick<ManifestOptions, (typeof ENVIRONMENT_OPTIONS)[number]> {
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
  /** Retries of transient API errors (429, 5xx, resets): attempts, backoff, and for tests the sleep and jitter. */
  retry?: Partial<RetryPolicy>;
  /** Pause before re-watching a dropped watch and between pod checks (default 1000 ms). */
  pollIntervalMs?: number;
  /** The Prometheus that scrapes the traffic router: per-track traffic for canary analysis (`traffic`). */
  prometheus?: PrometheusSettings;
  /** How image builds run in the cluster (build/kanikoJob.ts: the Kaniko image, resources, deadline). */
  builder?: InClusterBuildOptions['builder'];
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
  readonly sharesDiscovery = true;
  private clientsOnce: KubeClients | undefined;
  private namespaceReady: Promise<unknown> | undefined;
  /** Last converged state per `app/env/service`: the Ingress needs the port names of routed services. */
  private readonly states = new Map<string, ServiceState>();
  /** Shape per `app/env/service` from its release: whether it runs tracks. */
  private readonly shapes = new Map<string, ServiceShape>();
  /** The app's routes per `app/env`, as last applied: a progressive service's traffic split serves them. */
  private readonly routes = new Map<string, Route[]>();
  /** The shared discovery ConfigMap per `app/env`, as last applied (or being applied). */
  private readonly sharedApplied = new Map<string, { text: string; done: Promise<void> }>();
  /** The apps' live objects, listed once per release (prune and hadCanary read it). */
  private readonly inventory: Inventory;
  private readonly closing = new AbortController();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly fieldManager: string;
  private readonly opts: KubernetesRuntimeOptions;
  /** Per-track traffic from the router's metrics in Prometheus; absent without one (no analysis). */
  readonly traffic?: Runtime['traffic'];

  constructor(opts: KubernetesRuntimeOptions) {
    this.opts = opts;
    if (opts.prometheus)
      this.traffic = prometheusTraffic({
        ...opts.prometheus,
        router: opts.trafficRouter ?? TrafficRouter.gatewayApi,
        namespace: opts.namespace,
        // A service known to run without tracks has no per-track traffic (its requests are not told apart).
        tracked: (app, env, s) => {
          const shape = this.shapes.get(`${app}/${env}/${s}`);
          return !shape || hasTracks({ shape, state: this.states.get(`${app}/${env}/${s}`) });
        },
      });
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.now = opts.clock ?? Date.now;
    this.fieldManager = opts.fieldManager ?? 'berth';
    this.inventory = new Inventory(() => this.clients, opts.namespace);
  }

  /** The inventory key of the release a state belongs to (a canary's revision included). */
  private static release(state: ServiceState): string {
    return `${state.revision}/${state.canary?.revision ?? ''}`;
  }

  /** The cluster connection, made on first use so a bad kubeconfig fails the operation, not the server. */
  private get clients(): KubeClients {
    this.clientsOnce ??= createClients(
      loadKubeConfig({
        ...(this.opts.kubeconfig === undefined ? {} : { kubeconfig: this.opts.kubeconfig }),
        ...(this.opts.context === undefined ? {} : { context: this.opts.context }),
      }),
      {
        ...DEFAULT_RETRY,
        onRetry: (r) => this.logger.warn(r, 'transient Kubernetes API error: retrying'),
        ...this.opts.retry,
      },
      this.closing.signal,
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

  private event(service: string, reason: string, m: Message): RuntimeEvent {
    return { time: new Date(this.now()).toISOString(), service, type: 'Normal', reason, ...said(m) };
  }

  async converge(state: ServiceState, o: ConvergeOptions): Promise<void> {
    const signal = AbortSignal.any([o.signal, this.closing.signal]);
    const ns = this.opts.namespace;
    await this.namespace();
    const key = `${state.app}/${state.env}/${state.service}`;
    const description = (await this.opts.describeService?.(state)) ?? {};
    // The canary's own revision says which of its values are secrets.
    const canaryDescription = state.canary
      ? ((await this.opts.describeService?.(canaryState(state, state.canary))) ?? {})
      : {};
    const declared = description.shape ?? DEFAULT_SHAPE;
    if (description.shape) this.shapes.set(key, description.shape);
    // Leaving a canary keeps the tracks for this converge even when the stable revision predates the
    // strategy: the weights go back to stable before the canary is deleted.
    const leaving = !hasTracks({ shape: declared, state }) && (await this.hadCanary(state, declared));
    const shape = leaving ? { ...declared, progressive: {} } : declared;
    const tracked = hasTracks({ shape, state });
    const routes = tracked && state.workload.ports.length > 0 ? await this.routesOf(state) : [];
    const rendered = renderManifests({
      app: state.app,
      env: state.env,
      revision: state.revision,
      configVersion: state.configVersion,
      services: { [state.service]: state },
      routes,
      options: this.manifestOptions(),
      // Discovery rendered apart: the app's shared `<app>-discovery` ConfigMap, as `berth render` has it.
      ...(state.discovery ? { discovery: state.discovery } : {}),
      shapes: { [state.service]: shape },
      ...(description.secretDigests ? { secretDigests: { [state.service]: description.secretDigests } } : {}),
      ...(canaryDescription.secretDigests
        ? { canarySecretDigests: { [state.service]: canaryDescription.secretDigests } }
        : {}),
    });
    // The service's own objects, and the claims of the volumes it mounts (no service label: apps share them).
    const objects = rendered.filter(
      (x) => x.metadata.labels?.[LABEL.name] === state.service || x.kind === 'PersistentVolumeClaim',
    );
    const traffic = objects.filter((x) => isTrafficObject(x, state.service)).map(stripRelease);
    const ownRendered = objects.filter((x) => !isTrafficObject(x) && x.kind !== 'Ingress');
    // A service whose live workload an earlier Berth applied keeps its (immutable) selector: a rolling update.
    const live = await this.inventory.of(state.app, state.env, KubernetesRuntime.release(state));
    const { objects: own, adopted } = adoptLegacySelectors(state.app, state.env, state.service, ownRendered, live);
    for (const w of adopted)
      o.onEvent(
        this.event(
          state.service,
          'LegacySelector',
          say.legacySelectorMessage(
            w,
            `${LABEL.instance}=${state.app}`,
            `${LABEL.instance}=${instanceLabel(state.app, state.env)}`,
          ),
        ),
      );
    // The app's shared discovery ConfigMap first: the pods read it (envFrom).
    const shared = rendered.find(
      (x) => x.kind === 'ConfigMap' && x.metadata.name === discoveryConfigMapName(state.app),
    );
    // Nothing is applied over another app's or environment's object of the same name.
    const others = await this.inventory.others(state.app, state.env, KubernetesRuntime.release(state));
    const shares = [...(shared ? [shared] : []), ...rendered.filter(isPullSecret)];
    const taken = collisionsWith([...own, ...traffic, ...shares], others);
    if (taken.length > 0) throw collisionError(state.app, state.env, ns, taken);
    for (const x of shares) await this.applyShared(state, x);
    // The event watch starts before the apply, so it sees the first ScalingReplicaSet.
    const events = watchWorkloadEvents(
      this.clients,
      ns,
      own.filter((x) => kindOf(x)?.workload),
      {
        service: state.service,
        onEvent: o.onEvent,
        now: this.now,
        rewatchMs: this.opts.pollIntervalMs ?? 1000,
      },
    );
    try {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([events.ready, new Promise((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
      await applyAndWatch(
        {
          clients: this.clients,
          namespace: ns,
          fieldManager: this.fieldManager,
          inventory: this.inventory,
          release: KubernetesRuntime.release(state),
          pollIntervalMs: this.opts.pollIntervalMs ?? 1000,
          now: this.now,
          event: (reason, m) => this.event(state.service, reason, m),
          applied: () => this.states.set(`${state.app}/${state.env}/${state.service}`, state),
        },
        { state, objects: own, traffic, o, signal },
      );
    } finally {
      events.stop();
    }
  }

  /**
   * Applies an object the app's services share (the discovery ConfigMap, a registry's pull Secret) once
   * per content: every service of a release renders the same one (its release annotations change it
   * once per release), and concurrent converges of a level share one apply. It carries no service
   * label, so no service's prune removes it; `remove` of the app does.
   */
  private applyShared(state: ServiceState, shared: KubernetesObject): Promise<void> {
    const key = `${state.app}/${state.env}/${shared.kind}/${shared.metadata.name}`;
    const text = JSON.stringify(shared);
    const known = this.sharedApplied.get(key);
    if (known?.text === text) return known.done;
    const done = applyObjects(this.clients, [shared], {
      namespace: this.opts.namespace,
      fieldManager: this.fieldManager,
      service: state.service,
    }).then(() => undefined);
    this.sharedApplied.set(key, { text, done });
    // A failed apply is tried again by the next converge.
    done.catch(() => {
      if (this.sharedApplied.get(key)?.done === done) this.sharedApplied.delete(key);
    });
    return done;
  }

  /** Whether the service ran a canary before this converge (last converge, else a live canary Deployment). */
  private async hadCanary(state: ServiceState, shape: ServiceShape): Promise<boolean> {
    if (!hasTracks({ shape: { ...shape, progressive: {} }, state })) return false;
    const last = this.states.get(`${state.app}/${state.env}/${state.service}`);
    if (last) return last.canary !== undefined;
    const live = await this.inventory.of(state.app, state.env, KubernetesRuntime.release(state));
    const labels = labelsOf(state.app, state.env, state.service);
    return [...live.values()].some(
      (d) => d.kind === 'Deployment' && hasLabels(d, labels) && d.metadata.labels?.[LABEL.track] === 'canary',
    );
  }

  /** The app's routes to `state`'s service: as last applied, else as its live traffic objects record them. */
  private async routesOf(state: ServiceState): Promise<Route[]> {
    const known = this.routes.get(`${state.app}/${state.env}`);
    if (known) return known.filter((r) => r.service === state.service);
    return liveRoutes(this.clients, this.opts.namespace, state.app, state.env, state.service);
  }

  private manifestOptions(): Parameters<typeof renderManifests>[0]['options'] {
    return {
      namespace: this.opts.namespace,
      secrets: 'real',
      ...Object.fromEntries(ENVIRONMENT_OPTIONS.flatMap((k) => (this.opts[k] ? [[k, this.opts[k]]] : []))),
    };
  }

  async applyRoutes(routes: AppRoutes, o: ConvergeOptions): Promise<void> {
    const ns = this.opts.namespace;
    await this.namespace();
    const { app, env } = routes;
    this.routes.set(`${app}/${env}`, routes.routes);
    const objects = await edgeObjects(this.clients, {
      namespace: ns,
      routes,
      options: this.manifestOptions(),
      known: (service) => {
        const key = `${app}/${env}/${service}`;
        const state = this.states.get(key);
        return state ? { state, shape: this.shapes.get(key) ?? DEFAULT_SHAPE } : undefined;
      },
    });
    const applied = await applyObjects(this.clients, objects, { namespace: ns, fieldManager: this.fieldManager });
    const pruned = await pruneEdge(this.clients, ns, app, env, applied);
    const what = say.routesMessage(applied, pruned);
    if (what) o.onEvent(this.event('', 'Routes', what));
  }

  private addressOf(
    app: string,
    env: string,
    service: string,
    livePort: number | undefined,
    declared?: WorkloadPort[],
  ): ServiceAddress {
    const ports = declared ?? this.states.get(`${app}/${env}/${service}`)?.workload.ports;
    const port = livePort ?? ports?.[0]?.port ?? DEFAULT_SERVICE_PORT;
    return serviceAddress(serviceHost(service, this.opts.namespace), port, ports, (p) => p.port);
  }

  /**
   * Refuses a release whose services' names are taken in the namespace by another app or environment,
   * before anything of it is applied (the engine asks for the addresses when it renders the release).
   */
  private async refuseTakenNames(app: string, env: string, services: string[]): Promise<void> {
    const ns = this.opts.namespace;
    const berth = await listLabelled(this.clients, ns, { [LABEL.managedBy]: 'berth' }, [...MANAGED_KINDS, CLAIM_KIND]);
    const labels = labelsOf(app, env);
    const taken = nameCollisions(
      namesOf(app, services),
      berth.filter((o) => !hasLabels(o, labels)),
    );
    if (taken.length > 0) throw collisionError(app, env, ns, taken);
  }

  async checkRelease(release: ReleaseToCheck): Promise<void> {
    checkReleaseObjects(release, this.manifestOptions());
  }

  async addresses(app: string, env: string, endpoints: ServiceEndpoint[]): Promise<Record<string, ServiceAddress>> {
    const names = endpoints.map((e) => e.name);
    await this.refuseTakenNames(app, env, names);
    // The declared port is what the Service will listen on; only a service without one falls back
    // to the live Service (or the default port).
    if (endpoints.every((e) => e.port !== undefined)) {
      return Object.fromEntries(endpoints.map((e) => [e.name, this.addressOf(app, env, e.name, e.port, e.ports)]));
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
      endpoints.map((e) => [e.name, this.addressOf(app, env, e.name, e.port ?? portOf(e.name), e.ports)]),
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
    return podLogs(this.clients, this.opts.namespace, selector, {
      ...o,
      signal,
      ...(selector.previous ? { previous: true } : {}),
    });
  }

  /** An image built by a Kaniko Job in the namespace (build/kanikoBuild.ts); the runtime closing leaves it running. */
  readonly buildImage: NonNullable<Runtime['buildImage']> = async (request, o) => {
    await this.namespace();
    return buildInCluster(this.clients, request, o, { ...this.opts, closing: this.closing.signal });
  };

  async remove(app: string, env: string, service?: string): Promise<void> {
    const ns = this.opts.namespace;
    const objects = await listLabelled(this.clients, ns, labelsOf(app, env, service));
    // Workloads first, so pods stop before the config and Services they use disappear.
    objects.sort((a, b) => Number(kindOf(b)?.workload ?? false) - Number(kindOf(a)?.workload ?? false));
    for (const x of objects) await deleteObject(this.clients, ns, x);
    for (const map of [this.states, this.shapes])
      for (const k of [...map.keys()])
        if (k === `${app}/${env}/${service}` || (service === undefined && k.startsWith(`${app}/${env}/`)))
          map.delete(k);
    this.inventory.forget(app, env);
    if (service === undefined) {
      this.routes.delete(`${app}/${env}`);
      for (const k of [...this.sharedApplied.keys()]) if (k.startsWith(`${app}/${env}/`)) this.sharedApplied.delete(k);
    }
    this.logger.info({ app, env, service, deleted: objects.map(ref) }, 'removed');
  }

  async close(): Promise<void> {
    this.closing.abort(new Error('the runtime is closing'));
  }
}
