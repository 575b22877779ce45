/**
 * The control plane's renders for Kubernetes (`POST /api/v1/render`, `POST /api/v1/export/helm`), as
 * a service the routes are handed in ServerContext: the same render preparation as the engine's
 * (release/renderSources.ts), the same keyed digests (the control plane's SecretBox, so hashes and
 * checksums match what a deploy applies), and the caches that make a repeated render cheap — the
 * last renders, the last parsed berth.yaml texts, per-service results and manifests, and renders
 * under way, which a request for the same one joins. Services with `build:` are rendered with their
 * newest successful build in the environment, as a deploy runs them (release/builtArtifacts.ts).
 */
import { createHash } from 'node:crypto';
import type { ConfigSets } from '../config/configSets.js';
import type { SecretBox } from '../config/secretBox.js';
import type { Environments } from '../environment/environments.js';
import type { Releases } from '../release/releases.js';
import { readRenderSources } from '../release/renderSources.js';
import { withBuilds, type BuildLookup, type WithBuilds } from '../release/builtArtifacts.js';
import { setOwn } from '../own.js';
import { ServiceRenderMemo } from '../release/serviceMemo.js';
import type { LoadedSpec } from '../spec/load.js';
import { SpecParser } from '../spec/specParser.js';
import { specMeaning } from '../spec/specMeaning.js';
import { contentHash } from '../canonical.js';
import { exportHelmChart, type ChartFiles } from '../export/helm/chart.js';
import { ManifestMemo } from '../runtime/kubernetes/manifests/manifestMemo.js';
import { DEFAULT_KUBERNETES_VERSION } from '../runtime/kubernetes/manifests/versions.js';
import { kubernetesRelease } from '../export/kubernetesRelease.js';
import { withSpecPositions } from '../runtime/kubernetes/specPositions.js';
import { kubernetesTargetOptions } from './kubernetesTarget.js';
import { boundedCache } from '../boundedCache.js';

/** A render asked for: a berth.yaml text in an environment, for a Kubernetes version and namespace. */
export interface RenderRequest {
  env: string;
  spec: { file: string; text: string };
  kubernetesVersion?: string | undefined;
  namespace?: string | undefined;
  ingressClassName?: string | undefined;
  configVersion?: number | undefined;
  /** Services with `build:` are rendered with their newest successful build of this commit. */
  commit?: string | undefined;
  format: 'json' | 'yaml';
}

/** A render's answer: what it is of, and its objects (`json`) or one multi-document YAML text (`yaml`). */
export interface Rendered {
  app: string;
  env: string;
  revision: number;
  configVersion: number;
  namespace: string;
  kubernetesVersion: string;
  objects?: unknown[];
  yaml?: string;
}

/** How a render was answered: rendered for this request, joined one under way, or from the cache. */
export type RenderHow = 'made' | 'joined' | 'cached';

export interface RenderService {
  render(req: RenderRequest): Promise<{ value: Rendered; how: RenderHow; json: () => string }>;
  helmChart(req: Omit<RenderRequest, 'format'>): Promise<{ chart: string; namespace: string; files: ChartFiles }>;
}

/**
 * How many render keys the control plane remembers (by a hash of everything a render depends on, with
 * the berth.yaml text, and again with the spec's digest): 8 renders.
 */
const CACHE_SIZE = 16;
/** How many loaded berth.yaml texts it remembers (by a digest of file and text). */
const SPEC_CACHE_SIZE = 8;

/** The app name a berth.yaml text declares, read without parsing the whole spec. */
export function declaredApp(text: string): string | undefined {
  return /^name:\s*["']?([a-z0-9-]+)/m.exec(text)?.[1];
}

export function createRenderService(deps: {
  environments: Environments;
  configSets: ConfigSets;
  releases: Releases;
  secretBox: Pick<SecretBox, 'digest'>;
  /** The builds a deploy runs: without it, services with `build:` render as berth.yaml has them. */
  builtArtifacts?: BuildLookup;
}): RenderService {
  const { environments, configSets, releases } = deps;
  // The same keyed digests as the engine's, so hashes and checksums match what a deploy applies.
  const digestSecret = (s: string) => deps.secretBox.digest(s);
  // A render is a pure function of its inputs (config versions are immutable), so the last few are
  // kept: CI jobs and the console ask for the same render again and again.
  const cache = boundedCache<Rendered>(CACHE_SIZE);
  // The same berth.yaml is rendered for several config versions, environments and Kubernetes versions:
  // parsing and validating 200 services is ~100 ms, so a text seen before is not parsed again. Only
  // valid specs are kept (parseSpec throws otherwise), so every problem is reported every time.
  const specs = boundedCache<LoadedSpec>(SPEC_CACHE_SIZE);
  // A new text is mostly an edit of one seen before: only its changed services are parsed again.
  const parser = new SpecParser();
  const loadSpec = (input: { file: string; text: string }): LoadedSpec => {
    const key = createHash('sha256').update(input.file).update('\0').update(input.text).digest('base64');
    return specs.get(key) ?? specs.set(key, parser.parse(input.text, input.file));
  };
  // Per-service results of earlier renders (one memo per secret key: this control plane's box).
  const services = new ServiceRenderMemo();
  const manifests = new ManifestMemo();
  // The digest of a parsed spec's meaning, once per parsed spec (a config change renders the same one).
  const meanings = new WeakMap<LoadedSpec, string>();
  const meaningOf = (loaded: LoadedSpec): string => {
    let m = meanings.get(loaded);
    if (m === undefined) meanings.set(loaded, (m = specMeaning(loaded.spec)));
    return m;
  };
  // A render's JSON (~1 MB) is encoded once per render, not once per request.
  const serialized = new WeakMap<object, string>();
  const jsonOf = (value: Rendered) => (): string => {
    let json = serialized.get(value);
    if (json === undefined) serialized.set(value, (json = JSON.stringify(value)));
    return json;
  };
  // Renders under way, by key: a request for one being made (the console and a CI job asking for the
  // same render at once) waits for it instead of making it again.
  const pending = new Map<string, Promise<Rendered>>();

  /**
   * The spec as a deploy would run it: each service with `build:` set to its newest successful build
   * (a ValidationError names a service never built), and which builds those are — part of the cache
   * keys, so a new build is rendered, never hidden by an earlier render.
   */
  async function builtSpec(
    b: RenderRequest,
  ): Promise<{ built?: WithBuilds<LoadedSpec>; builds?: Record<string, string> }> {
    const lookup = deps.builtArtifacts;
    // A text that cannot declare `build:` (in any YAML spelling of the key) is not parsed before the
    // cache is asked: a repeated render of it stays a hash of its inputs.
    if (!lookup || !b.spec.text.includes('build')) return {};
    const loaded = loadSpec(b.spec);
    const ids: Record<string, string> = {};
    const recorded: BuildLookup = async (app, env, service, commit) => {
      const got = await lookup(app, env, service, commit);
      if (got) setOwn(ids, service, got.buildId);
      return got;
    };
    const built = await withBuilds(recorded, loaded, b.env, b.commit);
    return Object.keys(ids).length > 0 ? { built, builds: ids } : { built };
  }

  async function render(b: RenderRequest): Promise<{ value: Rendered; how: RenderHow }> {
    const environment = await environments.get(b.env);
    const app = declaredApp(b.spec.text);
    const configVersion = app ? (b.configVersion ?? (await configSets.current(app, b.env)).version) : undefined;
    const [latest] = app ? await releases.list(app, b.env, 1) : [];
    const revision = latest?.revision ?? 0;
    const { built, builds } = await builtSpec(b);
    const key = contentHash({ b: { ...b, configVersion }, environment, revision, ...(builds ? { builds } : {}) });
    const hit = cache.get(key);
    if (hit) return { value: hit, how: 'cached' };
    const under = pending.get(key);
    if (under) return { value: await under, how: 'joined' };
    const made = renderAnew(b, built, { app, configVersion, environment, revision, key, builds }).finally(() =>
      pending.delete(key),
    );
    pending.set(key, made);
    return { value: await made, how: 'made' };
  }

  async function renderAnew(
    b: RenderRequest,
    built: WithBuilds<LoadedSpec> | undefined,
    keys: {
      app: string | undefined;
      configVersion: number | undefined;
      environment: Awaited<ReturnType<Environments['get']>>;
      revision: number;
      key: string;
      builds: Record<string, string> | undefined;
    },
  ): Promise<Rendered> {
    const { app, configVersion, environment, revision, key, builds } = keys;
    // The text's own parse (its meaning), and the spec rendered: with the builds a deploy would run.
    const parsed = loadSpec(b.spec);
    const loaded = built?.loaded ?? parsed;
    // A new text with the same meaning (a comment, formatting, a reverted edit) renders the same: its
    // parsed spec is the same JSON, keys in the same order (so no order-dependent output can differ).
    const { spec: _text, ...rest } = b;
    const meaningKey = contentHash({
      b: { ...rest, configVersion },
      spec: { file: b.spec.file, json: meaningOf(parsed) },
      environment,
      revision,
      ...(builds ? { builds } : {}),
    });
    // (The config version is the regex-read app's: only the spec's own app may use or fill the cache.)
    const own = app === loaded.spec.name;
    const same = own ? cache.get(meaningKey) : undefined;
    if (same) return cache.set(key, same);
    // Services whose inputs did not change since an earlier render (an edit of one service, another
    // environment's render of the same spec) are neither rendered, validated nor printed again. The
    // render is of what the key was made from (read once: a write in between cannot slip in).
    const sources = await readRenderSources(deps, {
      app: loaded.spec.name,
      env: b.env,
      environment,
      ...(own ? { configVersion, latestRevision: revision } : { configVersion: b.configVersion }),
    });
    const { manifest } = kubernetesRelease({
      loaded,
      environment: { name: b.env, defaults: environment.defaults },
      config: sources.config,
      revision: sources.revision,
      digestSecret,
      // A built image is pinned by the build's digest, as a deploy pins it.
      ...(built?.images ? { images: built.images } : {}),
      memo: services,
      options: kubernetesTargetOptions(environment, { ...b, secrets: 'masked' }),
    });
    // A value the Kubernetes schemas refuse is reported at its berth.yaml line, like every problem.
    const { objects, documents } = withSpecPositions(loaded, () => manifests.render(manifest));
    const about = {
      app: manifest.app,
      env: manifest.env,
      revision: manifest.revision,
      configVersion: manifest.configVersion,
      namespace: manifest.options.namespace,
      kubernetesVersion: manifest.options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
    };
    const res: Rendered = b.format === 'yaml' ? { ...about, yaml: documents.join('---\n') } : { ...about, objects };
    // Only when the key's app (read by a regex) is the spec's: else its config version may be another app's.
    if (!own) return res;
    cache.set(meaningKey, res);
    return cache.set(key, res);
  }

  return {
    async render(req) {
      const r = await render(req);
      return { ...r, json: jsonOf(r.value) };
    },

    async helmChart(req) {
      const loaded = loadSpec(req.spec);
      const environment = await environments.get(req.env);
      const { config, revision } = await readRenderSources(deps, {
        app: loaded.spec.name,
        env: req.env,
        environment,
        configVersion: req.configVersion,
      });
      const options = kubernetesTargetOptions(environment, { ...req, secrets: 'masked' });
      const files = withSpecPositions(loaded, () =>
        exportHelmChart({
          loaded,
          environment: { name: req.env, defaults: environment.defaults },
          config,
          revision,
          digestSecret,
          options: {
            namespace: options.namespace,
            ...(req.kubernetesVersion ? { kubernetesVersion: req.kubernetesVersion } : {}),
            ...(req.ingressClassName ? { ingressClassName: req.ingressClassName } : {}),
            // The environment's volume storage class and CronJob time zone, as `berth render` has them.
            ...(options.storageClass ? { storageClass: options.storageClass } : {}),
            ...(options.volumeSizes ? { volumeSizes: options.volumeSizes } : {}),
            ...(options.timeZone ? { timeZone: options.timeZone } : {}),
          },
        }),
      );
      return { chart: loaded.spec.name, namespace: options.namespace, files };
    },
  };
}
