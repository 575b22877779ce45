/**
 * Berth's local runtime: every replica runs as a supervised process under a detached shim, the
 * gateway process gives each service a stable address and each app an edge, and everything the
 * runtime needs to re-adopt running replicas after a restart lives under `<home>/run`.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { NotFoundError, RuntimeError } from '../../errors.js';
import type { EdgeListener, GatewayControl } from '../../gateway/table.js';
import type {
  ConvergeOptions,
  ImageRequest,
  JobRunStatus,
  Runtime,
  ServiceEndpoint,
  ResolvedImage,
} from '../runtime.js';
import type {
  AppObservation,
  LogLine,
  LogSelector,
  ServiceAddress,
  PolicyCounters,
  RouteTraffic,
  RuntimeEvent,
  TrackTraffic,
} from '../../model/observation.js';
import type { AppRoutes, Track } from '../../model/routing.js';
import type { ServiceState } from '../../model/serviceState.js';
import type { VolumeStatus } from '../../model/volumes.js';
import { applyEdgeRoutes, pruneCertificates } from './edgeRoutes.js';
import { DEFAULT_LOG_KEEP, DEFAULT_LOG_MAX_BYTES } from './logFiles.js';
import { addressProblem, edgeProblem } from './listenerProblem.js';
import { readReplicaLogs } from './logReader.js';
import { DEFAULT_LOG_RETENTION, archiveReplicaLogs, type LogRetention } from './logArchive.js';
import { PortRegistry } from './ports.js';
import { UsageSnapshots } from './usageSnapshots.js';
import { SupervisionClock } from './supervisionClock.js';
import { serviceAddress } from '../serviceAddress.js';
import { checkName, listServiceDirs, runRoot } from './replicaStore.js';
import { ReplicaSet } from './replicaSet.js';
import { GatewayAccess } from './gatewayAccess.js';
import { serviceIn } from './trafficIndex.js';
import { runnerFactory } from './runners.js';
import type { ShimLauncher } from './shimPool.js';
import { createShimLauncher, type ShimKind } from './shimLauncher.js';
import { forgetMounts, listVolumes, removeVolumes } from './volumes.js';
import { discoveryPrefix } from '../../spec/templates.js';
import { bindServiceHosts } from './serviceHosts.js';
import type { ContainerSupport, ContainerSupportOf } from './containerSupport.js';
import type { BuiltImage, ImageBuildRequest } from '../../model/build.js';

/** Options of the local runtime. */
export interface LocalRuntimeOptions {
  /** Berth's state directory; replicas live under `<home>/run`. */
  home: string;
  gateway: GatewayControl;
  logger?: Logger;
  /** The compiled shim (dist/runtime/local/shim.js by default). */
  shimEntry?: string;
  /** Node shims kept booted ahead of need (BERTH_WARM_SHIMS, default 4); 0 starts each one cold. */
  warmShims?: number;
  /** The native shim's binary (dist/native/berth-shim by default; shimLauncher.ts). */
  nativeShim?: string;
  /** Which shim runs replicas (BERTH_SHIM; default: the native one when built, else the Node one). */
  shim?: ShimKind;
  /** How often exits, backoffs and stops are checked. */
  pollIntervalMs?: number;
  /** How often replicas under a memory limit Berth enforces are measured (and the limit enforced); the others are measured when observed. */
  sampleIntervalMs?: number;
  /**
   * Preferred edge port of the first app (BERTH_EDGE_PORT, default 8080); later apps, or an app
   * whose preferred port is taken, get the next free port above it.
   */
  edgePort?: number;
  /** Log rotation size and number of rotated files kept. */
  logMaxBytes?: number;
  logKeep?: number;
  /** How long, how many and how much of the logs of ended replica runs are kept per service (`--previous`). */
  logRetention?: Partial<LogRetention>;
  /** Wall clock in ms (injectable for tests). */
  now?: () => number;
  /** Runs container replicas with this (src/runtime/container/localContainers.ts); absent: none. */
  containers?: ContainerSupportOf;
}

/**
 * How often a local runtime's supervision ticks now: `usual` (every pollIntervalMs) while some set
 * has work, `resting` (once a second) while every set is at rest; undefined for another runtime.
 */
export function supervisionPace(rt: Runtime): 'usual' | 'resting' | undefined {
  return rt instanceof LocalRuntime ? (rt.isResting ? 'resting' : 'usual') : undefined;
}

/** Creates the local runtime and re-adopts the replicas found under `<home>/run`. */
export function createLocalRuntime(opts: LocalRuntimeOptions): Runtime {
  return new LocalRuntime(opts);
}

class LocalRuntime implements Runtime {
  readonly kind = 'local' as const;
  private readonly sets = new Map<string, ReplicaSet>();
  private readonly ports: PortRegistry;
  private readonly shims: ShimLauncher;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly init: Promise<void>;
  /** The last snapshot of every process: the process trees the samples in between re-read. */
  private readonly snapshots = new UsageSnapshots();
  /** Ticks the sets: every pollIntervalMs, once a second while they all rest (supervisionClock.ts). */
  private readonly clock: SupervisionClock;
  /** The gateway's edge listeners until applyRoutes or remove changes them (edgeListeners). */
  private edges: EdgeListener[] | undefined;
  private closed = false;

  private readonly opts: LocalRuntimeOptions;
  private readonly retention: LogRetention;
  /** The gateway process: started once, counters read together, listeners retried (gatewayAccess.ts). */
  private readonly gw: GatewayAccess;
  private readonly containers: ContainerSupport | undefined;

  constructor(opts: LocalRuntimeOptions) {
    this.opts = opts;
    this.retention = { ...DEFAULT_LOG_RETENTION, ...opts.logRetention };
    this.logger = opts.logger ?? pino({ level: 'silent' });
    this.now = opts.now ?? Date.now;
    this.gw = new GatewayAccess(opts.gateway, this.logger, () => this.now());
    this.ports = new PortRegistry(
      join(runRoot(opts.home), 'ports.json'),
      opts.edgePort ?? Number(process.env.BERTH_EDGE_PORT ?? 8080),
    );
    this.shims = createShimLauncher({
      nodeEntry: opts.shimEntry ?? fileURLToPath(new URL('./shim.js', import.meta.url)),
      ...(opts.nativeShim !== undefined ? { nativeBinary: opts.nativeShim } : {}),
      ...(opts.shim !== undefined ? { kind: opts.shim } : {}),
      home: opts.home,
      warmShims: opts.warmShims ?? Number(process.env.BERTH_WARM_SHIMS ?? 4),
      logger: this.logger,
    });
    const logs = { logMaxBytes: opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES, logKeep: opts.logKeep ?? DEFAULT_LOG_KEEP };
    this.containers = opts.containers?.({ home: opts.home, ...logs });
    this.clock = new SupervisionClock({
      sets: () => this.sets.values(),
      anySet: () => this.sets.size > 0,
      snapshots: this.snapshots,
      healGateway: () => this.opts.gateway.heal(),
      logger: this.logger,
      now: () => this.now(),
      ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
      ...(opts.sampleIntervalMs !== undefined ? { sampleIntervalMs: opts.sampleIntervalMs } : {}),
    });
    this.init = this.adopt();
  }

  async converge(state: ServiceState, opts: ConvergeOptions): Promise<void> {
    await this.ready();
    if (this.containers && (state.workload.runAs === 'container' || state.canary?.workload.runAs === 'container')) {
      await this.containers.check(state.service);
      await bindServiceHosts(this.opts.gateway, this.containers, () => this.gatewayReady());
    }
    return this.set(state.app, state.env, state.service).converge(state, opts);
  }

  async applyRoutes(routes: AppRoutes, _opts: ConvergeOptions): Promise<void> {
    await this.ready();
    try {
      await applyEdgeRoutes(
        {
          home: this.opts.home,
          ports: this.ports,
          gateway: this.opts.gateway,
          logger: this.logger,
          gatewayReady: () => this.gatewayReady(),
        },
        routes,
      );
    } finally {
      this.edges = undefined;
    }
  }

  /**
   * The gateway's edge listeners, as observe reports them: `table()` is a copy of the whole routing
   * table (every service's backends), too much to make at every observe (the metric history's each
   * 10 s) for one edge. Edges change only through applyRoutes and remove, which forget this copy.
   */
  private edgeListeners(): EdgeListener[] {
    return (this.edges ??= this.opts.gateway.table().edges);
  }

  async addresses(
    app: string,
    env: string,
    endpoints: ServiceEndpoint[],
    opts: { allocate?: boolean } = {},
  ): Promise<Record<string, ServiceAddress>> {
    await this.ready();
    // A read (a plan) takes the ports registered already; one missing leaves its service out.
    const known = this.ports.lookup().services;
    const portOf = (key: string): Promise<number | undefined> | number | undefined =>
      opts.allocate === false ? (Object.hasOwn(known, key) ? known[key] : undefined) : this.ports.servicePort(key);
    const out: Record<string, ServiceAddress> = {};
    endpoints: for (const e of endpoints) {
      const key = `${checkName('app', app)}/${checkName('env', env)}/${checkName('service', e.name)}`;
      const port = await portOf(key);
      if (port === undefined) continue;
      // Each TCP port after the first gets its own stable port on the gateway.
      const others = new Map<string, number>();
      for (const p of (e.ports ?? []).slice(1)) {
        if (p.protocol !== 'TCP') continue;
        const other = await portOf(`${key}:${p.name}`);
        if (other === undefined) continue endpoints;
        others.set(p.name, other);
      }
      out[e.name] = {
        ...serviceAddress('127.0.0.1', port, e.ports, (p) => others.get(p.name)!),
        ...(this.containers ? { containerHost: this.containers.host } : {}),
      };
    }
    return out;
  }

  async observe(app: string, env: string): Promise<AppObservation> {
    await this.ready();
    const errors = this.opts.gateway.listenerErrors();
    if (errors.length > 0) this.gw.retryListeners();
    const sets = [...this.sets.values()].filter((s) => s.app === app && s.env === env);
    // Usage is read when it is looked at (status, the metric history, autoscaling), at most every
    // USAGE_SAMPLE_MS per replica: a lazy snapshot reads /proc only for the replicas due.
    const snap = this.snapshots.read(this.now());
    for (const s of sets) s.sampleUsage(snap);
    // Circuit states live in the gateway: asked for only when some service has a breaker.
    const circuits = sets.some((s) => s.hasCircuitBreaker)
      ? new Map((await this.gw.traffic()).map((t) => [t.key, t.policy?.circuit]))
      : undefined;
    const services = sets
      .sort((a, b) => a.service.localeCompare(b.service))
      .map((s) => {
        const st = s.status();
        if (st.address && this.containers) st.address.containerHost = this.containers.host;
        const circuit = circuits?.get(s.key);
        if (circuit) st.circuit = circuit;
        const failed = errors.find((e) => e.key === s.key);
        // `error` is beyond the shared ServiceAddress type: the API passes it through as is.
        if (failed && st.address)
          st.address = {
            ...st.address,
            ...addressProblem(s.service, failed),
          } as ServiceAddress;
        return st;
      });
    const key = `${app}/${env}`;
    const edge = this.edgeListeners().find((e) => e.key === key);
    if (!edge) return { services };
    const failed = errors.find((e) => e.key === key);
    const observed: AppObservation['edge'] = {
      url: `http://127.0.0.1:${edge.port}`,
      port: edge.port,
      ...(edge.tls ? { httpsUrl: `https://127.0.0.1:${edge.tls.port}` } : {}),
      ...(failed ? edgeProblem(key, failed) : {}),
    };
    return { services, edge: observed };
  }

  async traffic(app: string, env: string, service: string): Promise<TrackTraffic[]> {
    await this.ready();
    return serviceIn(await this.gw.traffic(), `${app}/${env}/${service}`)?.tracks ?? [];
  }

  async routeTraffic(app: string, env: string, service: string): Promise<RouteTraffic[]> {
    await this.ready();
    return serviceIn(await this.gw.traffic(), `${app}/${env}/${service}`)?.routes ?? [];
  }

  async policyCounters(app: string, env: string, service: string): Promise<PolicyCounters | undefined> {
    await this.ready();
    return serviceIn(await this.gw.traffic(), `${app}/${env}/${service}`)?.policy;
  }

  async scale(app: string, env: string, service: string, track: Track, replicas: number): Promise<void> {
    await this.ready();
    const set = this.sets.get(`${app}/${env}/${service}`);
    if (!set?.scaleTrack(track, replicas))
      throw new NotFoundError(`${app}/${env} has no ${track} track of ${service} running here`);
  }

  async *logs(
    selector: LogSelector,
    opts: { follow: boolean; since?: Date; tail?: number; signal?: AbortSignal },
  ): AsyncIterable<LogLine> {
    await this.ready();
    yield* readReplicaLogs(this.opts.home, selector, {
      ...opts,
      keep: this.opts.logKeep ?? DEFAULT_LOG_KEEP,
      retention: this.retention,
      nowMs: this.now(),
    });
  }

  async volumes(env: string, app?: string): Promise<VolumeStatus[]> {
    await this.ready();
    return listVolumes(this.opts.home, checkName('env', env), app);
  }

  async removeVolumes(app: string, env: string, volume?: string): Promise<VolumeStatus[]> {
    await this.ready();
    const inUse = new Map<string, string>();
    for (const s of this.sets.values()) {
      if (s.app === app && s.env === env) for (const [dir, replica] of s.mountedVolumes()) inUse.set(dir, replica);
    }
    return removeVolumes(this.opts.home, app, env, volume, inUse);
  }

  async remove(app: string, env: string, service?: string): Promise<void> {
    await this.ready();
    const targets = service
      ? [this.set(app, env, service)]
      : [...this.sets.values()].filter((s) => s.app === app && s.env === env);
    await Promise.all(targets.map((s) => s.remove()));
    for (const s of targets) this.sets.delete(s.key);
    if (service) {
      const key = `${app}/${env}/${service}`;
      await this.ports.release(
        Object.keys(this.ports.lookup().services).filter((k) => k === key || k.startsWith(`${key}:`)),
      );
      return;
    }
    const edgeKey = `${app}/${env}`;
    await this.gatewayReady();
    await this.opts.gateway
      .update((t) => {
        t.edges = t.edges.filter((e) => e.key !== edgeKey);
        t.services = t.services.filter((s) => !s.key.startsWith(`${edgeKey}/`));
        if (t.tcp) t.tcp = t.tcp.filter((l) => !l.key.startsWith(`${edgeKey}/`));
        t.generation++;
      })
      .finally(() => (this.edges = undefined));
    pruneCertificates({ home: this.opts.home, gateway: this.opts.gateway, logger: this.logger });
    const serviceKeys = Object.keys(this.ports.lookup().services).filter((k) => k.startsWith(`${edgeKey}/`));
    await this.ports.release(serviceKeys, edgeKey);
    await this.ports.release([], `${edgeKey} https`);
    rmSync(join(runRoot(this.opts.home), checkName('app', app), checkName('env', env)), {
      recursive: true,
      force: true,
    });
    forgetMounts(this.opts.home, app, env);
  }

  async startJobRun(app: string, env: string, service: string, runId: string): Promise<void> {
    await this.ready();
    await this.set(app, env, service).startRun(checkName('run', runId));
  }

  async jobRuns(app: string, env: string, service: string): Promise<JobRunStatus[]> {
    await this.ready();
    return this.sets.get(`${app}/${env}/${service}`)?.runs() ?? [];
  }

  async stopJobRun(app: string, env: string, service: string, runId: string): Promise<void> {
    await this.ready();
    await this.sets.get(`${app}/${env}/${service}`)?.stopRun(runId);
  }

  /** Images of container workloads, through the engine the container replicas use. */
  async resolveImages(
    images: ImageRequest[],
    opts: { pull: boolean; signal?: AbortSignal; onEvent?: (e: RuntimeEvent) => void },
  ): Promise<ResolvedImage[]> {
    if (images.length === 0) return [];
    if (!this.containers) {
      const services = [...new Set(images.map((i) => i.service))].join(', ');
      throw new RuntimeError(`${services}: this runtime runs no containers`);
    }
    return this.containers.resolveImages(images, opts);
  }

  /** An image built (and pushed) by the engine the container replicas use (docs/builds.md). */
  async buildImage(
    request: ImageBuildRequest,
    opts: { onLog: (line: string) => void; signal?: AbortSignal },
  ): Promise<BuiltImage> {
    if (!this.containers)
      throw new RuntimeError(`${request.service}: this runtime runs no containers: it cannot build images`);
    return this.containers.buildImage(request, opts);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.init.catch(() => undefined);
    this.clock.stop();
    for (const s of this.sets.values()) s.close();
    this.shims.close();
  }

  private async ready(): Promise<void> {
    if (this.closed) throw new Error('the local runtime is closed');
    await this.init;
  }

  private async adopt(): Promise<void> {
    await this.gatewayReady().catch((err: unknown) => {
      // Replicas are supervised even when the gateway cannot start now.
      this.logger.warn({ err }, 'gateway not running; adopting replicas without it');
    });
    const serving = new Set(this.opts.gateway.table().services.flatMap((s) => s.backends.map((b) => b.id)));
    for (const { app, env, service } of listServiceDirs(this.opts.home)) {
      try {
        const s = this.set(app, env, service);
        s.adoptFromDisk(serving);
        if (s.size > 0)
          await s
            .syncGateway()
            .catch((err: unknown) => this.logger.warn({ err, service: s.key }, 'gateway sync failed'));
      } catch (err) {
        this.logger.warn({ err, app, env, service }, 'cannot adopt service directory');
      }
    }
    // Containers no adopted replica names (a control plane that died while creating one): removed.
    await this.containers?.sweep(this.logger);
    if (this.closed) return;
    this.clock.start();
  }

  /** The supervision clock rests (supervisionPace). */
  get isResting(): boolean {
    return this.clock.isResting;
  }

  private set(app: string, env: string, service: string): ReplicaSet {
    const key = `${app}/${env}/${service}`;
    let s = this.sets.get(key);
    const containers = this.containers;
    if (!s) {
      s = new ReplicaSet(
        {
          home: this.opts.home,
          gateway: this.opts.gateway,
          ports: this.ports,
          runnerFor: runnerFactory(
            {
              shims: this.shims,
              logMaxBytes: this.opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES,
              logKeep: this.opts.logKeep ?? DEFAULT_LOG_KEEP,
            },
            containers ? (rec, dir) => containers.runnerOf(rec, dir) : undefined,
          ),
          ...(containers ? { containerLaunch: (st, rec, cfg, env) => containers.launchOf(st, rec, cfg, env) } : {}),
          logMaxBytes: this.opts.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES,
          logKeep: this.opts.logKeep ?? DEFAULT_LOG_KEEP,
          archiveLogs: (rec, logDir, reason) =>
            archiveReplicaLogs(this.opts.home, rec, logDir, { reason, nowMs: this.now(), retention: this.retention }),
          logger: this.logger,
          now: () => this.now(),
          gatewayReady: () => this.gatewayReady(),
          replicaAddresses: (a, e) => this.replicaAddresses(a, e),
          hurry: () => this.clock.hurry(),
        },
        app,
        env,
        service,
      );
      this.sets.set(key, s);
    }
    return s;
  }

  /**
   * `<SERVICE>_<INDEX>_HOST` and `_PORT` of every replica of the app's stateful services that has a
   * port (a headless Service's per-pod names): indexes below the desired count, or every reserved one
   * while a service has not been converged since a restart.
   */
  private replicaAddresses(app: string, env: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of this.sets.values()) {
      if (s.app !== app || s.env !== env) continue;
      const count = s.statefulReplicas;
      const ports = this.ports.indexPorts(s.key);
      if (ports.size === 0 || (count === undefined && s.size === 0)) continue;
      const prefix = discoveryPrefix(s.service);
      for (const [index, port] of [...ports].sort(([a], [b]) => a - b)) {
        if (count !== undefined && index >= count) continue;
        out[`${prefix}_${index}_HOST`] = '127.0.0.1';
        out[`${prefix}_${index}_PORT`] = String(port);
      }
    }
    return out;
  }

  /** Starts (or adopts) the gateway process once (gatewayAccess.ts). */
  private gatewayReady(): Promise<void> {
    return this.gw.ready();
  }
}
