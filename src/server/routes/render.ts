/** Rendering for Kubernetes: the manifests of a spec in an environment (secrets masked) and its Helm chart. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { SpecInput, type Api } from './api.js';
import type { LoadedSpec } from '../../spec/load.js';
import type { Environment } from '../../environment/environments.js';
import { SpecParser } from '../../spec/specParser.js';
import { loadSecretBox, type SecretBox } from '../../config/secretBox.js';
import { prepareKubernetesRender } from '../../release/kubernetesRender.js';
import { withSpecPositions } from '../../release/kubernetesProblems.js';
import { ManifestMemo } from '../../runtime/kubernetes/manifests/manifestMemo.js';
import { ServiceRenderMemo } from '../../release/serviceMemo.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../runtime/kubernetes/manifests/versions.js';
import { exportHelmChart } from '../../export/helm/chart.js';
import { contentHash } from '../../canonical.js';
import { dnsLabel } from '../../spec/dnsLabel.js';

/** The app name (read without parsing the whole spec) and the config version a render uses. */
async function specIdentity(
  ctx: ServerContext,
  b: { env: string; spec: { text: string }; configVersion?: number | undefined },
): Promise<{ app?: string; configVersion?: number }> {
  const app = /^name:\s*["']?([a-z0-9-]+)/m.exec(b.spec.text)?.[1];
  if (!app) return {};
  return { app, configVersion: b.configVersion ?? (await ctx.configSets.current(app, b.env)).version };
}

const kubernetesName = dnsLabel().max(63);

const RenderBody = z.object({
  env: z.string().min(1).default('local').describe('Environment whose config set is rendered'),
  spec: SpecInput,
  kubernetesVersion: z
    .string()
    .regex(/^v?1\.\d+(\.\d+)?$/, 'a Kubernetes version such as 1.30')
    .optional()
    .describe(`Kubernetes version the objects target (default ${DEFAULT_KUBERNETES_VERSION})`),
  namespace: kubernetesName
    .optional()
    .describe('Namespace for an environment that does not target Kubernetes (default: the environment name)'),
  ingressClassName: kubernetesName.optional().describe('Ingress class of the app’s routes'),
  configVersion: z.number().int().min(0).optional().describe('Config version to render (default: current)'),
  format: z
    .enum(['json', 'yaml'])
    .default('json')
    .describe('`json`: `objects` as JSON; `yaml`: `yaml`, one multi-document YAML text'),
});

/**
 * How many render keys the control plane remembers (by a hash of everything a render depends on, with
 * the berth.yaml text, and again with the spec's digest): 8 renders.
 */
const CACHE_SIZE = 16;
/** How many loaded berth.yaml texts it remembers (by a digest of file and text). */
const SPEC_CACHE_SIZE = 8;

/** A small map that forgets its oldest entry beyond `size`. */
function boundedCache<V>(size: number): { get(key: string): V | undefined; set(key: string, value: V): V } {
  const entries = new Map<string, V>();
  return {
    get: (key) => entries.get(key),
    set(key, value) {
      entries.set(key, value);
      if (entries.size > size) entries.delete(entries.keys().next().value!);
      return value;
    },
  };
}

/** What a render request resolved to before rendering: its app, versions and cache key. */
interface RenderKeys {
  app: string | undefined;
  configVersion: number | undefined;
  environment: Environment;
  revision: number;
  key: string;
}

export function renderRoutes(api: Api, ctx: ServerContext): void {
  // A render is a pure function of its inputs (config versions are immutable), so the last few are
  // kept: CI jobs and the console ask for the same render again and again.
  const cache = boundedCache<object>(CACHE_SIZE);
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
  let box: Promise<SecretBox> | undefined;
  // The same keyed digests as the engine's, so hashes and checksums match what a deploy applies.
  const deps = async () => {
    const b = await (box ??= loadSecretBox(ctx.home));
    return { ...ctx, digestSecret: (s: string) => b.digest(s) };
  };
  const request = (b: Omit<z.infer<typeof RenderBody>, 'format'>) => ({
    loaded: loadSpec(b.spec),
    env: b.env,
    ...(b.namespace ? { namespace: b.namespace } : {}),
    ...(b.kubernetesVersion ? { kubernetesVersion: b.kubernetesVersion } : {}),
    ...(b.ingressClassName ? { ingressClassName: b.ingressClassName } : {}),
    ...(b.configVersion === undefined ? {} : { configVersion: b.configVersion }),
  });

  // Per-service results of earlier renders (one memo per secret key: this control plane's box).
  const services = new ServiceRenderMemo();
  const manifests = new ManifestMemo();
  // The digest of a parsed spec's JSON, once per parsed spec (a config change renders the same one).
  const meanings = new WeakMap<LoadedSpec, string>();
  const meaningOf = (loaded: LoadedSpec): string => {
    let m = meanings.get(loaded);
    if (m === undefined)
      meanings.set(loaded, (m = createHash('sha256').update(JSON.stringify(loaded.spec)).digest('hex')));
    return m;
  };
  // A render's JSON (~1 MB) is encoded once per render, not once per request.
  const serialized = new WeakMap<object, string>();
  // Renders under way, by key: a request for one being made (the console and a CI job asking for the
  // same render at once) waits for it instead of making it again.
  const pending = new Map<string, Promise<object>>();
  /**
   * The render of a request body: from the cache, under way, or rendered, validated and remembered;
   * `how` says which (the answer's Server-Timing header tells it, with the time a render took).
   */
  async function render(b: z.infer<typeof RenderBody>): Promise<{ value: object; how: 'cached' | 'joined' | 'made' }> {
    const environment = await ctx.environments.get(b.env);
    const { app, configVersion } = await specIdentity(ctx, b);
    const [latest] = app ? await ctx.releases.list(app, b.env, 1) : [];
    const revision = latest?.revision ?? 0;
    const key = contentHash({ b: { ...b, configVersion }, environment, revision });
    const hit = cache.get(key);
    if (hit) return { value: hit, how: 'cached' };
    const under = pending.get(key);
    if (under) return { value: await under, how: 'joined' };
    const made = renderAnew(b, { app, configVersion, environment, revision, key }).finally(() => pending.delete(key));
    pending.set(key, made);
    return { value: await made, how: 'made' };
  }

  async function renderAnew(
    b: z.infer<typeof RenderBody>,
    { app, configVersion, environment, revision, key }: RenderKeys,
  ): Promise<object> {
    const parsed = request(b);
    // A new text with the same meaning (a comment, formatting, a reverted edit) renders the same: its
    // parsed spec is the same JSON, keys in the same order (so no order-dependent output can differ).
    const { spec: _text, ...rest } = b;
    const meaningKey = contentHash({
      b: { ...rest, configVersion },
      spec: { file: b.spec.file, json: meaningOf(parsed.loaded) },
      environment,
      revision,
    });
    // (The config version is the regex-read app's: only the spec's own app may use or fill the cache.)
    const own = app === parsed.loaded.spec.name;
    const same = own ? cache.get(meaningKey) : undefined;
    if (same) return cache.set(key, same);
    // Services whose inputs did not change since an earlier render (an edit of one service, another
    // environment's render of the same spec) are neither rendered, validated nor printed again. The
    // render is of what the key was made from (read once: a write in between cannot slip in).
    const { manifest } = await prepareKubernetesRender(await deps(), {
      ...parsed,
      secrets: 'masked',
      memo: services,
      environment,
      ...(own && configVersion !== undefined ? { configVersion, latestRevision: revision } : {}),
    });
    // A value the Kubernetes schemas refuse is reported at its berth.yaml line, like every problem.
    const { objects, documents } = withSpecPositions(parsed.loaded, () => manifests.render(manifest));
    const about = {
      app: manifest.app,
      env: manifest.env,
      revision: manifest.revision,
      configVersion: manifest.configVersion,
      namespace: manifest.options.namespace,
      kubernetesVersion: manifest.options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION,
    };
    const res = b.format === 'yaml' ? { ...about, yaml: documents.join('---\n') } : { ...about, objects };
    // Only when the key's app (read by a regex) is the spec's: else its config version may be another app's.
    if (!own) return res;
    cache.set(meaningKey, res);
    return cache.set(key, res);
  }

  api.post(
    '/api/v1/render',
    {
      schema: {
        summary: 'The Kubernetes objects of a spec in an environment, validated, secrets masked',
        description:
          'With `format: yaml` and `Accept: application/yaml`, the answer is the YAML text itself (`application/yaml`). ' +
          'Every answer carries `Server-Timing: render;desc="made|joined|cached";dur=<ms>`: rendered for this request, ' +
          'shared with a request that was rendering it, or from the cache.',
        tags: ['render'],
        body: RenderBody,
      },
    },
    async (req, reply) => {
      const started = performance.now();
      const { value: res, how } = await render(req.body);
      void reply.header('server-timing', `render;desc="${how}";dur=${(performance.now() - started).toFixed(1)}`);
      if (req.body.format === 'yaml' && req.headers.accept?.includes('application/yaml')) {
        void reply.type('application/yaml; charset=utf-8');
        return (res as { yaml: string }).yaml;
      }
      let json = serialized.get(res);
      if (json === undefined) serialized.set(res, (json = JSON.stringify(res)));
      void reply.type('application/json; charset=utf-8');
      return json;
    },
  );

  api.post(
    '/api/v1/export/helm',
    {
      schema: {
        summary: 'A Helm chart of a spec in an environment: values from the config set, secrets required at install',
        tags: ['render'],
        body: RenderBody.omit({ format: true }),
      },
    },
    async (req) => {
      const d = await deps();
      const r = request(req.body);
      const { manifest, result } = await prepareKubernetesRender(d, { ...r, secrets: 'masked' });
      const config = await ctx.configSets.resolve(r.loaded.spec.name, r.env, result.rendered.configVersion);
      const environment = await ctx.environments.get(r.env);
      const files = withSpecPositions(r.loaded, () =>
        exportHelmChart({
          loaded: r.loaded,
          environment: { name: r.env, defaults: environment.defaults },
          config,
          revision: manifest.revision,
          digestSecret: d.digestSecret,
          options: {
            namespace: manifest.options.namespace,
            ...(r.kubernetesVersion ? { kubernetesVersion: r.kubernetesVersion } : {}),
            ...(r.ingressClassName ? { ingressClassName: r.ingressClassName } : {}),
            // The environment's volume storage class and CronJob time zone, as `berth render` has them.
            ...(manifest.options.storageClass ? { storageClass: manifest.options.storageClass } : {}),
            ...(manifest.options.volumeSizes ? { volumeSizes: manifest.options.volumeSizes } : {}),
            ...(manifest.options.timeZone ? { timeZone: manifest.options.timeZone } : {}),
          },
        }),
      );
      return { chart: r.loaded.spec.name, namespace: manifest.options.namespace, files };
    },
  );
}
