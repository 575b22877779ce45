/**
 * Builds (issue 17 point 2): `Builds.run` builds the services of an app that have `build:` (or the
 * ones named), in dependency order, for one environment. Each service's context is hashed first; an
 * earlier successful build with the same digest is reused (`skipped`), else an image is built through
 * the environment's runtime (`Runtime.buildImage`; the control plane's host when the runtime cannot)
 * and pushed to the environment's registry, or a command runs and its output folder is snapshotted
 * into the code store. Every step is written to the store and to the build's log. docs/builds.md.
 */
import { posix } from 'node:path';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { CodeStore } from '../artifacts/codeStore.js';
import type { ConfigSets } from '../config/configSets.js';
import type { Environments } from '../environment/environments.js';
import { NotFoundError, RuntimeError, UnavailableError, ValidationError, type Problem } from '../errors.js';
import type { BuildSpec, CommandBuildSpec, ImageBuildSpec, ServiceBuildResult } from '../model/build.js';
import { ownGet } from '../own.js';
import { registryFor, resolveRegistries } from '../release/renderContainers.js';
import type { Runtime } from '../runtime/runtime.js';
import { dependencyLevels } from '../spec/graph.js';
import { loadSpec, type LoadedSpec } from '../spec/load.js';
import { resolveVariables } from '../spec/variables.js';
import { BuildLog, buildLogFile } from './buildLog.js';
import type { BuildStore, ServiceBuild } from './buildStore.js';
import { COMMAND_BUILD_TIMEOUT_MS, runBuildCommand } from './commandBuild.js';
import { commitOf } from './commit.js';
import { commandContextDigest, imageContextDigest, type ContextDigest } from './contextDigest.js';
import { imageTarget } from './imageTag.js';

export interface BuildsDeps {
  store: BuildStore;
  environments: Pick<Environments, 'get'>;
  configSets: Pick<ConfigSets, 'current' | 'resolve'>;
  codeStore: CodeStore;
  /** The runtime of an environment: it builds the images when it can (`buildImage`). */
  runtimeFor(env: string): Promise<Runtime>;
  /** The control plane's host runtime: builds the images of environments whose runtime cannot. */
  hostRuntime?: () => Promise<Runtime>;
  /** Where the logs go (`<home>/builds/<id>.log`). */
  home: string;
  /** How long a build command may run. */
  commandTimeoutMs?: number;
}

/** What `Builds.run` and `Builds.start` take. */
export interface BuildRequest {
  app: string;
  env: string;
  /** The berth.yaml folder (or file); the build contexts are relative to it. */
  dir: string;
  /** The berth.yaml already parsed (its file must be in `dir`); read from `dir` when absent. */
  spec?: LoadedSpec;
  /** Only these services (each must have `build:`); every service with `build:` when absent. */
  services?: string[];
  /** The commit built (a pipeline's checkout); else git HEAD of `dir`, else the context digest. */
  commit?: string;
  /**
   * Where the same sources are in git (a builder elsewhere fetches them there); `subPath` is the
   * berth.yaml folder in the repository (a context's path in git is that joined with the context).
   */
  git?: { url: string; commit: string; subPath?: string };
  author: string;
  /** Build even when an earlier build had the same context. */
  noCache?: boolean;
}

export interface BuildRunOptions {
  /** Each line of the build's log, prefixed with its service (`[api] STEP 1/3: …`). */
  onLog?: (line: string) => void;
  signal?: AbortSignal;
  /** Called with the build's id once it is recorded (before the first service builds). */
  onStart?: (id: string) => void;
}

export interface BuildOutcome {
  id: string;
  /** Every service built or skipped. */
  ok: boolean;
  commit: string;
  services: ServiceBuildResult[];
}

export interface Builds {
  /** Builds and waits for the outcome (what pipelines call in-process). */
  run(req: BuildRequest, opts?: BuildRunOptions): Promise<BuildOutcome>;
  /** Starts a build and answers its id once recorded; it goes on in the background (the API). */
  start(req: BuildRequest): Promise<{ id: string; done: Promise<BuildOutcome> }>;
  /**
   * Watches a build running in this control plane: `changed` is called after each line of its log is
   * written, and `done` resolves once the build ended (its last row and line written). Undefined when
   * the build is not running here (it ended, or never ran). `stop()` ends the watch.
   */
  watch(id: string, changed: () => void): { done: Promise<void>; stop(): void } | undefined;
  /** Stops the builds running (control plane shutdown); they end failed. */
  close(): Promise<void>;
}

/** The services of `spec` with `build:` to build, in dependency order; errors name each unknown one. */
export function buildOrder(spec: LoadedSpec, only: string[] | undefined): string[] {
  const withBuild = (n: string) => ownGet(spec.spec.services, n)?.build !== undefined;
  const problems: Problem[] = [];
  for (const [i, n] of (only ?? []).entries()) {
    if (!Object.hasOwn(spec.spec.services, n))
      problems.push({ path: `services.${i}`, message: `${spec.spec.name} has no service ${n}` });
    else if (!withBuild(n))
      problems.push({
        file: spec.file,
        ...(spec.positionOf(['services', n]) ?? {}),
        path: `services.${n}`,
        message: `service ${n} has no \`build:\`: nothing to build`,
      });
  }
  if (problems.length > 0) throw new ValidationError('cannot build these services', problems);
  const levels = dependencyLevels(
    Object.fromEntries(Object.entries(spec.spec.services).map(([n, s]) => [n, { dependsOn: s.dependsOn }])),
  );
  const wanted = new Set(only ?? Object.keys(spec.spec.services).filter(withBuild));
  const order = levels.flat().filter((n) => wanted.has(n));
  if (order.length === 0)
    throw new ValidationError(`${spec.spec.name} has no service with \`build:\``, [
      { file: spec.file, path: 'services', message: 'add `build:` to a service (docs/builds.md)' },
    ]);
  return order;
}

function newBuildId(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

interface Planned {
  service: string;
  build: BuildSpec;
  context: ContextDigest;
  /** The folder the build runs in: the image context, or the service's cwd. */
  dir: string;
}

export function createBuilds(deps: BuildsDeps): Builds {
  const running = new Set<AbortController>();
  /** Every build under way: `close` waits for them to record how they ended. */
  const underway = new Set<Promise<unknown>>();
  /** The builds running here, by id: their end and who watches their log. */
  const live = new Map<string, { done: Promise<void>; watchers: Set<() => void> }>();
  const begin = (
    id: string,
    req: BuildRequest,
    prepared: Awaited<ReturnType<typeof prepare>>,
    opts: BuildRunOptions,
  ) => {
    const watchers = new Set<() => void>();
    const onLog = (line: string) => {
      opts.onLog?.(line);
      for (const w of watchers) w();
    };
    const p = track(execute(id, req, prepared, { ...opts, onLog }));
    const done = p.then(
      () => undefined,
      () => undefined,
    );
    live.set(id, { done, watchers });
    void done.then(() => live.delete(id));
    return p;
  };
  const track = <T>(p: Promise<T>): Promise<T> => {
    underway.add(p);
    void p.then(
      () => underway.delete(p),
      () => underway.delete(p),
    );
    return p;
  };

  /** The credentials for pushing `image`: berth.yaml `registries` with the environment's config values. */
  async function authFor(loaded: LoadedSpec, env: string, image: string) {
    if (!loaded.spec.registries) return undefined;
    const environment = await deps.environments.get(env);
    const current = await deps.configSets.current(loaded.spec.name, env);
    const values =
      current.version > 0 ? (await deps.configSets.resolve(loaded.spec.name, env, current.version)).values : {};
    const lookup = resolveVariables(loaded.spec, { config: values, environment: environment.defaults });
    return registryFor(
      image,
      resolveRegistries(loaded.spec, (v) => ownGet(lookup, v)),
    )?.real;
  }

  async function builderFor(env: string): Promise<Runtime> {
    const rt = await deps.runtimeFor(env);
    if (rt.buildImage) return rt;
    const host = await deps.hostRuntime?.();
    if (host?.buildImage) return host;
    throw new UnavailableError(
      `environment ${env}'s runtime cannot build images, and this control plane has no engine to build them`,
    );
  }

  async function prepare(
    req: BuildRequest,
  ): Promise<{ loaded: LoadedSpec; planned: Planned[]; commit: string; registry?: string }> {
    const loaded = req.spec ?? (await loadSpec(req.dir));
    if (loaded.spec.name !== req.app)
      throw new ValidationError(`the berth.yaml is app ${loaded.spec.name}, not ${req.app}`, [
        { file: loaded.file, path: 'name', message: `must be ${req.app}` },
      ]);
    const environment = await deps.environments.get(req.env);
    const registry = (environment.target as { registry?: string }).registry;
    const order = buildOrder(loaded, req.services);
    // A cluster pulls its images: one kept on this machine (no registry) would never run there.
    const images = order.filter((n) => loaded.spec.services[n]!.build!.kind === 'image');
    if (environment.target.kind !== 'local' && !registry && images.length > 0)
      throw new ValidationError(`environment ${req.env} runs on Kubernetes and has no registry to push images to`, [
        {
          path: 'env',
          message: `set one with \`berth env set ${req.env} --registry HOST[/PREFIX]\` (images of ${images.join(', ')})`,
        },
      ]);
    const planned: Planned[] = [];
    for (const service of order) {
      const svc = loaded.spec.services[service]!;
      const build = svc.build!;
      const what = `the build context of service ${service}`;
      if (build.kind === 'image') {
        const dir = resolve(loaded.dir, build.context);
        planned.push({ service, build, dir, context: await imageContextDigest(dir, build, what) });
      } else {
        const dir = svc.cwd === undefined ? loaded.dir : resolve(loaded.dir, svc.cwd.replaceAll('$$', '$'));
        planned.push({ service, build, dir, context: await commandContextDigest(dir, build, what) });
      }
    }
    const commit = await commitOf(req.commit ?? req.git?.commit, loaded.dir, () => planned[0]!.context.digest);
    return { loaded, planned, commit, ...(registry ? { registry } : {}) };
  }

  async function reusable(req: BuildRequest, p: Planned): Promise<ServiceBuild | undefined> {
    if (req.noCache) return undefined;
    const earlier = await deps.store.sameContext(req.app, req.env, p.service, p.context.digest);
    if (!earlier) return undefined;
    // Its artifact must still be there: a code snapshot collected since is built again.
    if (earlier.codeDigest && !(await deps.codeStore.manifest(earlier.codeDigest))) return undefined;
    if (p.build.kind === 'image' && !earlier.imageDigest) return undefined;
    return earlier;
  }

  async function runOne(
    id: string,
    req: BuildRequest,
    ctx: { loaded: LoadedSpec; commit: string; registry?: string },
    p: Planned,
    log: BuildLog,
    signal: AbortSignal,
  ): Promise<ServiceBuildResult> {
    const base = {
      buildId: id,
      app: req.app,
      env: req.env,
      service: p.service,
      kind: p.build.kind,
      commit: ctx.commit,
      contextDigest: p.context.digest,
      author: req.author,
      startedAt: new Date().toISOString(),
      logFile: log.file,
    };
    const result = { service: p.service, kind: p.build.kind, contextDigest: p.context.digest };
    const earlier = await reusable(req, p);
    if (earlier) {
      const artifact = {
        ...(earlier.image ? { image: earlier.image } : {}),
        ...(earlier.imageDigest ? { imageDigest: earlier.imageDigest } : {}),
        ...(earlier.codeDigest ? { codeDigest: earlier.codeDigest } : {}),
      };
      log.line(
        p.service,
        `context unchanged since build ${earlier.buildId} (commit ${earlier.commit}): reusing ${earlier.imageDigest ?? earlier.codeDigest}`,
      );
      await deps.store.start({ ...base, ...artifact, status: 'skipped' });
      await deps.store.finish(id, p.service, { status: 'skipped' });
      return { ...result, status: 'skipped', ...artifact };
    }
    await deps.store.start(base);
    try {
      if (p.build.kind === 'image') {
        const made = await buildImageOf(req, ctx, p, p.build, log, signal);
        log.line(p.service, `built ${made.image} (${made.digest})`);
        await deps.store.finish(id, p.service, { status: 'built', image: made.image, imageDigest: made.digest });
        return { ...result, status: 'built', image: made.image, imageDigest: made.digest };
      }
      const code = await buildCommandOf(p, p.build, log, signal);
      log.line(p.service, `built code ${code}`);
      await deps.store.finish(id, p.service, { status: 'built', codeDigest: code });
      return { ...result, status: 'built', codeDigest: code };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      log.line(p.service, `build failed: ${reason}`);
      await deps.store.finish(id, p.service, { status: 'failed', error: reason });
      return { ...result, status: 'failed', logTail: log.tail(p.service) };
    }
  }

  async function buildImageOf(
    req: BuildRequest,
    ctx: { loaded: LoadedSpec; commit: string; registry?: string },
    p: Planned,
    build: ImageBuildSpec,
    log: BuildLog,
    signal: AbortSignal,
  ) {
    const target = imageTarget({
      registry: ctx.registry,
      app: req.app,
      service: p.service,
      specImage: ctx.loaded.spec.services[p.service]!.image,
      commit: ctx.commit,
    });
    const auth = target.push ? await authFor(ctx.loaded, req.env, target.image) : undefined;
    const builder = await builderFor(req.env);
    log.line(
      p.service,
      `building ${target.image} from ${join(p.dir, build.dockerfile)}${target.push ? ' (then pushing it)' : ''}`,
    );
    const request = {
      app: req.app,
      env: req.env,
      service: p.service,
      contextDir: p.dir,
      ...(req.git
        ? {
            git: {
              url: req.git.url,
              commit: req.git.commit,
              subPath: posix.join(req.git.subPath ?? '', build.context),
            },
          }
        : {}),
      dockerfile: build.dockerfile,
      args: build.args,
      ...(build.target ? { target: build.target } : {}),
      image: target.image,
      push: target.push,
      ...(auth ? { auth } : {}),
    };
    const options = { onLog: (l: string) => log.line(p.service, l), signal };
    try {
      return await builder.buildImage!(request, options);
    } catch (err) {
      // A cluster's builder clones git: a build from a folder (no git source) runs on this host.
      if (!(err instanceof RuntimeError) || err.details?.needs !== 'git') throw err;
      const host = await deps.hostRuntime?.();
      if (!host?.buildImage || host === builder) throw err;
      log.line(
        p.service,
        `the cluster builds from git only (this build is from a folder): building on the control plane's host${target.push ? ` and pushing to ${target.image}` : ''}`,
      );
      return host.buildImage(request, options);
    }
  }

  async function buildCommandOf(
    p: Planned,
    build: CommandBuildSpec,
    log: BuildLog,
    signal: AbortSignal,
  ): Promise<string> {
    log.line(p.service, `$ ${build.command}   (in ${p.dir})`);
    const ran = await runBuildCommand({
      cwd: p.dir,
      command: build.command,
      onLog: (l) => log.line(p.service, l),
      signal,
      timeoutMs: deps.commandTimeoutMs ?? COMMAND_BUILD_TIMEOUT_MS,
    });
    if (!ran.ok) throw new Error(`\`${build.command}\` failed: ${ran.reason}`);
    const out = join(p.dir, build.output);
    const snap = await deps.codeStore.pin(
      out,
      `the build output of service ${p.service}`,
      `services.${p.service}.build.output`,
    );
    return snap.digest;
  }

  async function execute(
    id: string,
    req: BuildRequest,
    prepared: Awaited<ReturnType<typeof prepare>>,
    opts: BuildRunOptions,
  ): Promise<BuildOutcome> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    running.add(controller);
    const log = await BuildLog.open(buildLogFile(deps.home, id), opts.onLog);
    const services: ServiceBuildResult[] = [];
    try {
      for (const p of prepared.planned) {
        if (controller.signal.aborted) break;
        const r = await runOne(id, req, prepared, p, log, controller.signal);
        services.push(r);
        if (r.status === 'failed') break; // what depends on it is not built from a broken base
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      running.delete(controller);
      await log.close();
    }
    const ok = services.length === prepared.planned.length && services.every((s) => s.status !== 'failed');
    return { id, ok, commit: prepared.commit, services };
  }

  const builds: Builds = {
    async run(req, opts = {}) {
      const prepared = await prepare(req);
      const id = newBuildId();
      opts.onStart?.(id);
      return begin(id, req, prepared, opts);
    },
    async start(req) {
      const prepared = await prepare(req);
      const id = newBuildId();
      const done = begin(id, req, prepared, {});
      // The id is answered once the first row exists (a GET right after finds the build).
      for (let i = 0; i < 100 && !(await deps.store.get(id)); i++) await new Promise((r) => setTimeout(r, 20));
      done.catch(() => undefined);
      return { id, done };
    },
    watch(id, changed) {
      const b = live.get(id);
      if (!b) return undefined;
      b.watchers.add(changed);
      return { done: b.done, stop: () => b.watchers.delete(changed) };
    },
    async close() {
      for (const c of running) c.abort(new Error('the control plane is stopping'));
      await Promise.allSettled([...underway]);
    },
  };
  return builds;
}

/** A build's summary, or 404. */
export async function buildOf(store: BuildStore, id: string) {
  const b = await store.get(id);
  if (!b) throw new NotFoundError(`build ${id} does not exist (list them with \`berth builds\`)`);
  return b;
}
