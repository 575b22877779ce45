/**
 * The control plane process (`berth server`): opens the store, wires config, engine and runtimes,
 * serves the API, and resumes unfinished releases. One per data directory. Stopping it (even with
 * SIGKILL) leaves services and the gateway running; the next start re-adopts them.
 */
import { chmod, mkdir, rm, writeFile, rename } from 'node:fs/promises';
import { readServerInfo, serverInfoFile, type ServerInfo } from './serverInfo.js';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import { dataVersionOf, openStore } from '../store/store.js';
import { createLeases } from '../store/leases.js';
import { loadSecretBox } from '../config/secretBox.js';
import { createConfigSets } from '../config/configSets.js';
import { createAlertRules } from '../alerts/ruleStore.js';
import { createOutbox } from '../alerts/outbox.js';
import { createEvaluator, evaluationIntervalMs } from '../alerts/evaluator.js';
import { createAlertStateStore } from '../alerts/stateStore.js';
import { createSilences } from '../alerts/silences.js';
import { createAlertHistory } from '../alerts/history.js';
import { createHookDeliveries } from '../hooks/deliveryStore.js';
import { createAlertReadings } from './alertReadings.js';
import { clusterStorage, prometheusOf, createEnvironments } from '../environment/environments.js';
import { Releases } from '../release/releases.js';
import { createReleaseEngine } from '../release/engine/engine.js';
import { createGatewayControl, type LocalGatewayControl } from '../gateway/control.js';
import { startTraceCollector } from '../traces/collector.js';
import { TraceStore } from '../traces/traceStore.js';
import { MetricStore } from '../metrics/metricStore.js';
import { startSampler } from '../metrics/sampler.js';
import { metricSettings } from '../metrics/settings.js';
import { createMetricSource } from './metricSource.js';
import { otlpExportConfig } from '../traces/otlpConfig.js';
import { startOtlpExporter } from '../traces/otlpExporter.js';
import { chooseDataPlane, servedDataPlane, type DataPlaneChoice } from '../gateway/dataPlaneChoice.js';
import { createLocalRuntime } from '../runtime/local/localRuntime.js';
import { localContainers } from '../runtime/container/localContainers.js';
import type { Runtime } from '../runtime/runtime.js';
import type { ServiceState } from '../model/serviceState.js';
import type { ServiceDescription } from '../runtime/kubernetes/kubernetesRuntime.js';
import { shapeOf } from '../runtime/kubernetes/manifests/shapes.js';
import { readStartTime, isSameProcessAlive } from '../runtime/local/procfs.js';
import { CHILD_UMASK } from '../runtime/local/shimFiles.js';
import { ConflictError } from '../errors.js';
import { ownGet } from '../own.js';
import { buildApi } from './app.js';
import { createRenderService } from './renderService.js';
import { startRenderWarmup, type RenderWarmup } from './renderWarmup.js';
import { appsRunHere } from './appsRunHere.js';
import { startLogCenter, tellingLogCenter } from './logCenter.js';
import type { ServerContext } from './context.js';
import { createAutoscaler } from '../autoscale/autoscaler.js';
import { createCronScheduler } from '../cron/scheduler.js';
import { createJobRunStore } from '../cron/jobRunStore.js';
import { cronTargets, jobTargets } from '../cron/cronTargets.js';
import { cronClock } from '../cron/cronClock.js';
import { releaseAutoscaleSource } from '../autoscale/settings.js';
import { ensureToken, defaultTokenOwner } from './auth.js';
import { createAccess } from '../access/access.js';
import { createSso } from '../access/sso/sso.js';
import { AuditLog } from '../audit/auditLog.js';
import { version } from '../version.js';
import { MASK } from '../model/mask.js';
import { CodeStore } from '../artifacts/codeStore.js';
import { limitsFromEnv } from '../artifacts/codeSnapshot.js';
import { startCodeCollector } from '../release/codeCollection.js';
import { previewsOf, previewSweepIntervalMs } from './previewWiring.js';
import { startPreviewSweeper } from '../previews/sweeper.js';
import { createApprovals } from '../approvals/approvals.js';
import { approvalExecutor } from './approvalWiring.js';
import { auditedExecutor } from './auditActions.js';
import { controlPlaneBuilds, createPipelines, enginePromotions } from './pipelineWiring.js';
import { createBuildStore } from '../build/buildStore.js';
import { createBuilds } from '../build/builds.js';
import { buildLookup, keptCode } from '../build/buildLookup.js';
import { assertSupportedNode } from './nodeVersion.js';
import { portPool } from '../localPorts.js';

export interface DaemonOptions {
  home: string;
  /** What serves service addresses and edges, and why (default: BERTH_DATA_PLANE, else auto: HAProxy when installed, else Node). */
  dataPlane?: DataPlaneChoice;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logLevel?: string;
  /** Also log to stdout (foreground `berth server`). */
  logToStdout?: boolean;
}

/** Whether a `pid:startTime` lease holder is a live process on this machine. */
function holderAlive(holder: string): boolean {
  const [host, pid, start] = holder.split(':');
  if (host !== hostname()) return true; // another machine's lease: only its expiry frees it
  return isSameProcessAlive(Number(pid), Number(start));
}

export interface Daemon {
  url: string;
  /** Graceful stop; services keep running. The gateway stops when asked, and by default when no app runs here. */
  close(opts?: { stopGateway?: boolean }): Promise<void>;
  closed: Promise<void>;
}

/**
 * Makes the data directory the owner's alone whether or not it existed: the directory 0700, and every
 * file this process and what it starts (gateway, shims, SQLite's WAL) create there 0600 / 0700 by
 * umask 077. Workloads get the umask the server was started with (CHILD_UMASK).
 */
async function privateHome(home: string): Promise<void> {
  const started = process.umask(0o077);
  process.env[CHILD_UMASK] ??= started.toString(8);
  await mkdir(home, { recursive: true, mode: 0o700 });
  await chmod(home, 0o700);
  // Berth's own files an earlier version left readable to others (berth.db was 0644) become
  // owner-only too; nothing else is touched (the home may hold files that are not Berth's).
  for (const name of [
    'berth.db',
    'berth.db-wal',
    'berth.db-shm',
    'traces.db',
    'metrics.db',
    'server.log',
    'server.json',
    'token',
    'secret.key',
  ])
    await chmod(join(home, name), 0o600).catch(() => undefined);
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  // Refused on a Node.js outside package.json's engines, before anything is opened or written.
  assertSupportedNode();
  // A wrong OTEL_EXPORTER_OTLP_* variable is refused before anything starts.
  const otlp = otlpExportConfig(process.env);
  await privateHome(opts.home);
  const logger: Logger = pino(
    {
      level: opts.logLevel ?? 'info',
      // Credentials never reach the log, whatever a log call is given (docs/access.md).
      redact: {
        paths: [
          'token',
          'password',
          'secret',
          '*.token',
          '*.password',
          '*.secret',
          '*.authorization',
          '*.cookie',
          'headers.authorization',
          'headers.cookie',
          '*.headers.authorization',
          '*.headers.cookie',
        ],
        censor: MASK,
      },
    },
    pino.multistream([
      { stream: pino.destination({ dest: join(opts.home, 'server.log'), mkdir: true, sync: false }) },
      ...(opts.logToStdout ? [{ stream: process.stdout }] : []),
    ]),
  );

  portPool(); // a BERTH_PORT_RANGE that is not <low>-<high> stops the start here, named, not a deploy later
  const existing = await readServerInfo(opts.home);
  if (existing && existing.pid !== process.pid && isSameProcessAlive(existing.pid, existing.startTime)) {
    throw new ConflictError(
      `a Berth control plane already runs for ${opts.home} at ${existing.url} (pid ${existing.pid})`,
    );
  }

  const store = await openStore({ file: join(opts.home, 'berth.db') });
  const logCenter = startLogCenter(opts.home, logger.child({ part: 'logs' }));
  const box = await loadSecretBox(opts.home);
  const access = createAccess(store.db);
  const audit = new AuditLog(store.sqlite, join(opts.home, 'audit.head'));
  await ensureToken(access.tokens, opts.home, defaultTokenOwner());
  const holder = `${hostname()}:${process.pid}:${readStartTime(process.pid) ?? 0}`;
  const chosen = opts.dataPlane ?? (await chooseDataPlane({ env: process.env.BERTH_DATA_PLANE }));
  const gateway: LocalGatewayControl = createGatewayControl({
    home: opts.home,
    logger: logger.child({ part: 'gateway' }),
    dataPlane: chosen.plane,
    // A gateway this control plane started that dies is restarted at once on its saved table.
    onExit: () => void gateway.heal().catch((err: unknown) => logger.warn({ err }, 'restarting the gateway failed')),
  });
  await gateway.ensureRunning();
  const dataPlane = servedDataPlane(chosen, gateway.dataPlane());
  logger.info({ dataPlane: dataPlane.plane, reason: dataPlane.reason }, `data plane: ${dataPlane.plane}`);
  const local = createLocalRuntime({
    home: opts.home,
    gateway,
    logger: logger.child({ part: 'runtime' }),
    // Container replicas through the engine found via BERTH_CONTAINER_SOCKET, DOCKER_HOST or the usual sockets.
    containers: localContainers(),
  });
  // Spans of every request through the gateway, in their own file (src/traces/traceStore.ts).
  const traces = new TraceStore({ file: join(opts.home, 'traces.db') });
  // And to an OpenTelemetry collector when the OTEL_EXPORTER_OTLP_* variables name one (docs/traces.md).
  const exporter = otlp ? startOtlpExporter({ config: otlp, logger: logger.child({ part: 'traces' }) }) : undefined;
  if (otlp) logger.info({ url: otlp.url, protocol: otlp.protocol }, 'exporting spans over OTLP');
  const traceCollector = startTraceCollector({
    store: traces,
    ...(exporter ? { exporter } : {}),
    source: (max, read) => gateway.spans(max, read),
    logger: logger.child({ part: 'traces' }),
  });
  const environments = tellingLogCenter(createEnvironments(store.db), logCenter);
  await logCenter.followEnvironments(() => environments.list());
  const releases = new Releases(store.db, dataVersionOf(store.sqlite));
  // The Kubernetes runtime learns a service's shape (StatefulSet, Job, ...) and which values are
  // secret from the revision it belongs to.
  const describeService = async (s: ServiceState): Promise<ServiceDescription> => {
    const release = await releases.byRevision(s.app, s.env, s.revision);
    const { spec, rendered } = await releases.content(release.id);
    const svc = ownGet(spec.services, s.service);
    return {
      ...(svc ? { shape: shapeOf(svc) } : {}),
      secretDigests: ownGet(rendered.services, s.service)?.secretDigests ?? {},
    };
  };
  const kubeRuntimes = new Map<string, Runtime>();
  const runtimeFor = async (env: string): Promise<Runtime> => {
    const e = await environments.get(env);
    if (e.target.kind === 'local') return local;
    const t = e.target;
    const cluster = clusterStorage(t);
    // Canary analysis reads the traffic router's metrics from the environment's Prometheus, when it has one.
    const prometheus = prometheusOf(t);
    const key = JSON.stringify([
      t.context ?? '',
      t.namespace,
      t.trafficRouter ?? '',
      t.gateway ?? null,
      cluster,
      prometheus ?? null,
      t.builderImage ?? null,
    ]);
    let rt = kubeRuntimes.get(key);
    if (rt) return rt;
    // The Kubernetes runtime and its client (~26 MB of the daemon's 58 MB of heap once imported)
    // are loaded when an environment first runs there, not by every control plane at start.
    const { createKubernetesRuntime } = await import('../runtime/kubernetes/kubernetesRuntime.js');
    rt = kubeRuntimes.get(key); // another call may have made it while this one waited
    if (!rt) {
      rt = createKubernetesRuntime({
        namespace: e.target.namespace,
        ...(e.target.context ? { context: e.target.context } : {}),
        logger: logger.child({ part: 'kubernetes', context: e.target.context, namespace: e.target.namespace }),
        describeService,
        ...(t.trafficRouter ? { trafficRouter: t.trafficRouter } : {}),
        ...(t.gateway ? { gateway: t.gateway } : {}),
        ...(prometheus ? { prometheus } : {}),
        ...(t.builderImage ? { builder: { image: t.builderImage } } : {}),
        ...cluster,
      });
      kubeRuntimes.set(key, rt);
    }
    return rt;
  };
  // Metric history (src/metrics/): every app's measurements sampled into <home>/metrics.db.
  const metricsConfig = metricSettings();
  const metricStore = new MetricStore({
    file: join(opts.home, 'metrics.db'),
    rawRetentionMs: metricsConfig.rawRetentionMs,
    rollupRetentionMs: metricsConfig.rollupRetentionMs,
  });
  const sampler = startSampler({
    store: metricStore,
    source: createMetricSource({ releases, runtimeFor, logger: logger.child({ part: 'metrics' }) }),
    intervalMs: metricsConfig.intervalMs,
    logger: logger.child({ part: 'metrics' }),
  });
  const configSets = createConfigSets(store.db, box);
  // Code snapshots of process services (issue 17 point 1): a revision runs the code it was deployed with.
  const codeStore = new CodeStore({ root: join(opts.home, 'artifacts'), limits: limitsFromEnv(process.env) });
  // Builds (issue 17 point 2, docs/builds.md): a deploy runs a service's newest successful build.
  const buildStore = createBuildStore(store.db);
  await buildStore.failInterrupted();
  const builds = createBuilds({
    store: buildStore,
    environments,
    configSets,
    codeStore,
    runtimeFor,
    hostRuntime: async () => local,
    home: opts.home,
  });
  const engine = createReleaseEngine({
    releases,
    environments,
    configSets,
    secretBox: box,
    leases: createLeases(store.db, { holder }),
    runtimeFor,
    isHolderAlive: holderAlive,
    logger: logger.child({ part: 'engine' }),
    // Called only while releases run, after the autoscaler below exists.
    autoscaledReplicas: (app, env, service, track) => autoscaler.replicasOf(app, env, service, track),
    codeStore,
    builtArtifacts: buildLookup(buildStore),
  });
  // Operations waiting for approvals (docs/access.md): approved ones a previous run left run once the engine started.
  const approvals = createApprovals({
    db: store.db,
    box,
    executor: auditedExecutor(approvalExecutor({ engine, releases, environments, configSets }), audit),
    logger: logger.child({ part: 'approvals' }),
  });
  // One machine's HPA controller; clusters scale with their own HorizontalPodAutoscalers.
  const autoscaler = createAutoscaler({
    source: releaseAutoscaleSource(releases),
    changes: (wake) => releases.onChange(wake),
    runtimeFor,
    logger: logger.child({ part: 'autoscaler' }),
  });

  // One machine's cron scheduler; clusters run CronJobs themselves.
  const jobRuns = createJobRunStore(store.db);
  const cron = createCronScheduler({
    now: cronClock(process.env.BERTH_CRON_TIME_SCALE, process.env.BERTH_CRON_TIME_ORIGIN),
    targets: cronTargets(releases, environments),
    jobs: jobTargets(releases),
    changes: (wake) => releases.onChange(wake),
    runtimeFor,
    runs: jobRuns,
    logger: logger.child({ part: 'cron' }),
  });

  // Alert notifications waiting for their receivers; rows left by a previous run are delivered too.
  const outbox = createOutbox({ db: store.db, box, logger: logger.child({ part: 'alerts' }) });
  const alertRules = createAlertRules(store.db, box);
  const silences = createSilences(store.db);
  const alertHistory = createAlertHistory(store.db);
  const hookDeliveries = createHookDeliveries(store.db);
  const evaluator = createEvaluator({
    rules: alertRules,
    read: createAlertReadings({ runtimeFor, db: store.db, logger: logger.child({ part: 'alerts' }) }),
    outbox,
    states: createAlertStateStore(store.db),
    silences,
    history: alertHistory,
    intervalMs: evaluationIntervalMs(process.env.BERTH_ALERT_INTERVAL),
    logger: logger.child({ part: 'alerts' }),
  });

  // Preview environments of branches and pull requests (docs/previews.md), swept once started.
  const previewSweepMs = previewSweepIntervalMs(process.env.BERTH_PREVIEW_SWEEP_INTERVAL);
  const previews = previewsOf({
    db: store.db,
    environments,
    configSets,
    engine,
    logger: logger.child({ part: 'previews' }),
    // Its pipeline runs not yet finished are cancelled: none deploys into the environment being deleted.
    beforeClose: (app, key, reason) => pipelines.cancelPreviewRuns(app, key, `preview ${key} closed (${reason})`),
  });
  let previewSweeper: { stop(): Promise<void> } | undefined = undefined;
  let renderWarmup: RenderWarmup | undefined = undefined;

  // Pipelines (docs/pipelines.md): their runs resume once the engine has started.
  const pipelines = createPipelines({
    home: opts.home,
    store,
    box,
    engine,
    releases,
    logger: logger.child({ part: 'pipelines' }),
    jobs: { cron, runs: jobRuns },
    audit,
    approvals: { approvals, environments, releases },
    ports: {
      previews,
      promotions: enginePromotions({ engine, releases, environments, configSets }),
      builds: controlPlaneBuilds(builds),
    },
  });
  // Removes the code snapshots no stored release runs: now, then every hour (docs/releases.md).
  const codeCollector = startCodeCollector({
    store: codeStore,
    // What a build made is kept too: the next deploy runs it.
    releases: keptCode(releases, buildStore),
    logger: logger.child({ part: 'artifacts' }),
  });
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let closing: Promise<void> | undefined;
  const close = (o: { stopGateway?: boolean } = {}): Promise<void> =>
    (closing ??= (async () => {
      logger.info('control plane stopping');
      renderWarmup?.stop();
      await api.close().catch(() => undefined);
      sso?.stop();
      await autoscaler.stop();
      await cron.stop();
      await traceCollector.stop();
      await exporter?.stop();
      traces.close();
      await sampler.stop();
      metricStore.close();
      await logCenter.close();
      await evaluator.stop();
      await outbox.stop();
      await previewSweeper?.stop();
      await pipelines.close();
      await builds.close();
      await approvals.close();
      await engine.close();
      await codeCollector.stop();
      await local.close();
      for (const rt of kubeRuntimes.values()) await rt.close();
      const stopGateway =
        o.stopGateway ??
        !(await appsRunHere(opts.home, releases, environments).catch((err: unknown) => {
          logger.warn({ err }, 'could not tell whether apps run here: the gateway keeps running');
          return true;
        }));
      if (stopGateway) await gateway.stop().catch((err: unknown) => logger.warn({ err }, 'gateway stop failed'));
      await store.close();
      const info = await readServerInfo(opts.home);
      if (info?.pid === process.pid) await rm(serverInfoFile(opts.home), { force: true });
      logger.flush();
      resolveClosed();
    })());

  // Single sign-on (docs/access.md): discovered once the server's URL (the default redirect base) is known.
  const sso = createSso({ env: process.env, db: store.db, users: access.users, logger: logger.child({ part: 'sso' }) });
  const apiContext: ServerContext = {
    version,
    home: opts.home,
    dataPlane: { plane: dataPlane.plane, reason: dataPlane.reason },
    engine,
    releases,
    configSets,
    environments,
    runtimeFor,
    secretBox: box,
    renderWarmup: () => renderWarmup?.state() ?? 'running',
    renders: createRenderService({
      environments,
      configSets,
      releases,
      secretBox: box,
      builtArtifacts: buildLookup(buildStore),
    }),
    access,
    ...(sso ? { sso } : {}),
    audit,
    logger,
    shutdown: (o) => close(o),
    autoscaler,
    cron,
    jobRuns,
    traces,
    freshTraces: () => traceCollector.fresh(),
    traceStats: () => traceCollector.stats(),
    metricHistory: { store: metricStore, intervalMs: sampler.intervalMs },
    ...(logCenter.index ? { logIndex: logCenter.index } : {}),
    alertRules,
    alerts: evaluator,
    silences,
    alertHistory,
    previews,
    hookDeliveries,
    pipelines,
    pipelineTriggers: pipelines,
    builds: { run: builds, store: buildStore },
    approvals,
  };
  const api = await buildApi(apiContext);
  await api.listen({ host: opts.host, port: opts.port });
  const addr = api.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  const info: ServerInfo = { pid: process.pid, startTime: readStartTime(process.pid) ?? 0, url, version };
  const tmp = `${serverInfoFile(opts.home)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(info), { mode: 0o600 });
  await rename(tmp, serverInfoFile(opts.home));
  sso?.start(url);
  await engine.start();
  await approvals.start();
  pipelines.start();
  autoscaler.start();
  cron.start();
  outbox.start();
  evaluator.start();
  previewSweeper = startPreviewSweeper({
    previews,
    logger: logger.child({ part: 'previews' }),
    intervalMs: previewSweepMs,
  });
  logger.info({ url, home: opts.home }, 'control plane listening');
  // The render path's code compiled in the background from a sample app (renderWarmup.ts).
  renderWarmup = startRenderWarmup({ log: (msg, fields) => logger.info(fields, msg) });
  return { url, close, closed };
}
