/**
 * `berth export --format helm`: a Helm chart whose `helm template` gives the same objects as
 * `berth render`. values.yaml holds the plain values of berth.yaml's variables from the config set;
 * the templates are the rendered objects with every variable-derived string turned back into a
 * template expression. Secrets never enter the chart: each is a required value at install time,
 * or a service's Secret is replaced by an existing one (`existingSecrets.<service>`).
 */
import { PULL_SECRET_TYPE } from '../../runtime/kubernetes/manifests/pullSecret.js';
import { stringify } from 'yaml';
import type { AppSpec } from '../../spec/schema.js';
import type { LoadedSpec } from '../../spec/load.js';
import type { ResolvedConfig } from '../../config/configSets.js';
import { resolveVariables } from '../../spec/variables.js';
import { variablesIn } from '../../spec/interpolate.js';
import { kubernetesRelease } from '../kubernetesRelease.js';
import { renderObjects } from '../../runtime/kubernetes/manifests/render.js';
import { validateObjects } from '../../runtime/kubernetes/manifests/validate.js';
import { serviceConfig } from '../../runtime/kubernetes/manifests/serviceConfig.js';
import { discoveryData } from '../../runtime/kubernetes/manifests/discovery.js';
import { objectToYaml } from '../../runtime/kubernetes/manifests/toYaml.js';
import {
  ANNOTATION,
  LABEL,
  type KubernetesObject,
  type ManifestOptions,
} from '../../runtime/kubernetes/manifests/contract.js';
import { DEFAULT_KUBERNETES_VERSION } from '../../runtime/kubernetes/manifests/versions.js';
import { JOB_DIGEST_LENGTH } from '../../runtime/kubernetes/manifests/job.js';
import { goString, literalExpr, templateExpr, type ExpressionContext } from './goTemplate.js';
import { ownGet, setOwn } from '../../own.js';

/** Stands for the release namespace while rendering; a valid DNS label nobody uses. */
const NAMESPACE_PLACEHOLDER = 'berth-helm-release-namespace-0';

export interface HelmExportInput {
  loaded: Pick<LoadedSpec, 'spec' | 'file' | 'positionOf'>;
  environment: { name: string; defaults: Record<string, string> };
  config: ResolvedConfig;
  revision: number;
  digestSecret: (plain: string) => string;
  /**
   * `namespace`: the environment's namespace. Workload hashes (and so Job names) include the discovery
   * addresses, so they are computed for this namespace; templates follow `.Release.Namespace` otherwise.
   */
  options: Pick<
    ManifestOptions,
    | 'namespace'
    | 'kubernetesVersion'
    | 'ingressClassName'
    | 'defaultHost'
    | 'preStopSeconds'
    | 'storageClass'
    | 'timeZone'
  >;
}

/** Chart files by path relative to the chart folder (Chart.yaml, values.yaml, templates/...). */
export type ChartFiles = Record<string, string>;

/** Builds the chart of one app in one environment. */
export function exportHelmChart(input: HelmExportInput): ChartFiles {
  const { spec } = input.loaded;
  const kubernetesVersion = input.options.kubernetesVersion ?? DEFAULT_KUBERNETES_VERSION;
  const { manifest } = kubernetesRelease({
    ...input,
    options: { ...input.options, kubernetesVersion, namespace: NAMESPACE_PLACEHOLDER, secrets: 'masked' },
  });
  const hashes = kubernetesRelease({
    ...input,
    options: { ...input.options, kubernetesVersion, secrets: 'masked' },
  }).manifest.services;
  for (const [name, state] of Object.entries(manifest.services)) state.hash = hashes[name]!.hash;
  const objects = renderObjects(manifest);
  validateObjects(objects, kubernetesVersion);

  const resolved = resolveVariables(spec, { config: input.config.values, environment: input.environment.defaults });
  const used = new Set<string>();
  for (const svc of Object.values(spec.services)) {
    const argv = [...(svc.entrypoint ?? []), ...(svc.command ?? [])];
    for (const t of [svc.image ?? '', ...Object.values(svc.env), ...svc.files.map((f) => f.content ?? ''), ...argv])
      for (const v of variablesIn(t)) used.add(v);
  }
  const secret = new Set(
    Object.entries(resolved)
      .filter(([, v]) => v.secret)
      .map(([k]) => k),
  );
  for (const [name, v] of Object.entries(spec.variables)) if (v.secret) secret.add(name);
  const discovery = discoveryData(manifest.addresses ?? {});
  const provided = Object.fromEntries(Object.entries(discovery).filter(([k]) => !Object.hasOwn(resolved, k)));
  const ctx: ExpressionContext = { secret, provided, namespacePlaceholder: NAMESPACE_PLACEHOLDER };

  const files: ChartFiles = {};
  const servicesWithSecrets: Record<string, string[]> = {};
  const tlsSecrets: string[] = [];
  const pullSecrets: string[] = [];
  for (const obj of objects) {
    const service = obj.metadata.labels?.[LABEL.name];
    const path = templatePath(obj, service);
    if (Object.hasOwn(files, path)) throw new Error(`two objects of the chart would be ${path}`);
    const t = new Templater(ctx);
    const svcSpec = service === undefined ? undefined : ownGet(spec.services, service);
    const state = service === undefined ? undefined : ownGet(manifest.services, service);
    const config =
      state === undefined ? undefined : serviceConfig(state, manifest.secretDigests?.[service!], discovery);
    const tokenized = t.walk(obj, [], (value, keyPath) => {
      if (!svcSpec || !config || service === undefined) return undefined;
      const parent = keyPath[keyPath.length - 2];
      const key = keyPath[keyPath.length - 1];
      if (obj.kind === 'ConfigMap' && parent === 'data' && typeof key === 'string')
        return `${sourceExpr(key, svcSpec, config, ctx)} | toJson`;
      if (key === 'image' && svcSpec.image !== undefined) return `${templateExpr(svcSpec.image, ctx)} | toJson`;
      const argv = argvSource(keyPath, svcSpec);
      if (argv !== undefined) return `${templateExpr(argv, ctx)} | toJson`;
      if (key === 'name' && (parent === 'secretKeyRef' || parent === 'secret') && value === config.secretName)
        return `${existingSecretExpr(service, config.secretName)} | toJson`;
      if (key === ANNOTATION.configChecksum) return `${checksumExpr(service, objects)} | toJson`;
      return undefined;
    });
    if (obj.kind === 'Job' && service !== undefined) {
      files[path] = jobTemplate(t, tokenized as KubernetesObject, `${spec.name}.${service}.podTemplate`, service);
    } else if (obj.kind === 'Secret' && svcSpec && config && service !== undefined) {
      const { stringData: _masked, ...rest } = tokenized as Record<string, unknown>;
      const data: Record<string, string> = {};
      for (const key of Object.keys(config.secretData).sort())
        data[key] = t.token(`${sourceExpr(key, svcSpec, config, ctx)} | b64enc | toJson`);
      servicesWithSecrets[service] = Object.keys(data);
      files[path] =
        `{{- if not (index .Values.existingSecrets ${goString(service)}) }}\n` +
        t.render({ ...rest, data }) +
        `{{- end }}\n`;
    } else if (obj.kind === 'Secret' && (obj as { type?: string }).type === 'kubernetes.io/tls') {
      // An edge certificate Berth read from files: its PEMs are install-time values, never in the chart.
      const { stringData: _masked, ...rest } = tokenized as Record<string, unknown>;
      const name = obj.metadata.name;
      const pem = (key: 'crt' | 'key') =>
        t.token(
          `required ${goString(`edgeTls.${name}.${key}: the edge certificate's PEM (--set-file edgeTls.${name}.${key}=FILE)`)} ` +
            `(dig ${goString(name)} ${goString(key)} "" (.Values.edgeTls | default dict)) | b64enc | toJson`,
        );
      tlsSecrets.push(name);
      files[path] = t.render({ ...rest, data: { 'tls.crt': pem('crt'), 'tls.key': pem('key') } });
    } else if (obj.kind === 'Secret' && (obj as { type?: string }).type === PULL_SECRET_TYPE) {
      // A registry's credentials (berth.yaml `registries`): a docker config file given at install time.
      const { stringData: _masked, ...rest } = tokenized as Record<string, unknown>;
      const name = obj.metadata.name;
      const config = t.token(
        `required ${goString(`registryAuth.${name}: the registry's docker config JSON (--set-file registryAuth.${name}=FILE)`)} ` +
          `(dig ${goString(name)} "" (.Values.registryAuth | default dict)) | b64enc | toJson`,
      );
      pullSecrets.push(name);
      files[path] = t.render({ ...rest, data: { '.dockerconfigjson': config } });
    } else {
      files[path] = t.render(tokenized);
    }
  }
  files['Chart.yaml'] = chartYaml(spec, input, kubernetesVersion);
  files['values.yaml'] = valuesYaml(spec, input, used, resolved, secret, servicesWithSecrets, tlsSecrets, pullSecrets);
  files['.helmignore'] = '*.tgz\n';
  return files;
}

/** The berth.yaml text of a container's `command` (entrypoint) or `args` (command) entry at `keyPath`. */
function argvSource(keyPath: readonly (string | number)[], svc: AppSpec['services'][string]): string | undefined {
  const n = keyPath.length;
  const i = keyPath[n - 1];
  if (keyPath[n - 4] !== 'containers' || typeof i !== 'number') return undefined;
  const list = keyPath[n - 2] === 'command' ? svc.entrypoint : keyPath[n - 2] === 'args' ? svc.command : undefined;
  return list?.[i];
}

/**
 * `templates/<service>/<kind>.yaml` for a service's main object of a kind, `<kind>-<suffix>.yaml` for
 * the others (`service-headless`, `service-canary`, `deployment-canary`, ...), `templates/<kind>.yaml`
 * or `templates/<kind>-<name>.yaml` for app-wide objects: one file per object, so none hides another
 * (the track Services of a progressive service all are Services of that service).
 */
export function templatePath(obj: KubernetesObject, service: string | undefined): string {
  const kind = obj.kind.charAt(0).toLowerCase() + obj.kind.slice(1);
  const name = obj.metadata.name;
  // A service's ConfigMap and Secret are `<service>-config` / `<service>-secret`; a Job carries a digest.
  const main =
    service === undefined
      ? [name]
      : [service, `${service}-config`, `${service}-secret`, ...(obj.kind === 'Job' ? [name] : [])];
  const extra = main.includes(name)
    ? ''
    : `-${service !== undefined && name.startsWith(`${service}-`) ? name.slice(service.length + 1) : name}`;
  return service === undefined ? `templates/${kind}${extra}.yaml` : `templates/${service}/${kind}${extra}.yaml`;
}

/**
 * A Job whose name follows its pod template: the template is a named template of the chart, the
 * Job's name `<service>-<sha256 of the template's JSON, 12 hex digits>` as `berth render` names it
 * (job.ts: podTemplateDigest), so a values change that changes the template makes a new Job instead
 * of an upgrade the API server refuses (a Job's template is immutable).
 */
function jobTemplate(t: Templater, job: KubernetesObject, defineName: string, service: string): string {
  const spec = job.spec as Record<string, unknown>;
  const body = t.render(spec.template);
  const named: KubernetesObject = {
    ...job,
    metadata: {
      ...job.metadata,
      name: t.token(
        `printf "%s-%s" ${goString(service)} ($podTemplate | fromYaml | toJson | sha256sum | trunc ${JOB_DIGEST_LENGTH}) | toJson`,
      ),
    },
    spec: { ...spec, template: t.block('$podTemplate | trim') },
  };
  return (
    `{{- define ${goString(defineName)} }}\n${body}{{- end }}\n` +
    `{{- $podTemplate := include ${goString(defineName)} . }}\n` +
    t.render(named)
  );
}

/** The expression of a ConfigMap/Secret data key of `service`: from its berth.yaml template. */
function sourceExpr(
  key: string,
  svc: AppSpec['services'][string],
  config: ReturnType<typeof serviceConfig>,
  ctx: ExpressionContext,
): string {
  if (key.startsWith('env.')) {
    const name = key.slice(4);
    const template = ownGet(svc.env, name);
    if (template !== undefined) return templateExpr(template, ctx);
    return literalExpr(ownGet(ctx.provided, name) ?? '', ctx);
  }
  const file = config.files.find((f) => f.key === key);
  const content = svc.files.find((f) => f.path === file?.path)?.content ?? '';
  return templateExpr(content, ctx);
}

function existingSecretExpr(service: string, name: string): string {
  return `(default ${goString(name)} (index $.Values.existingSecrets ${goString(service)}))`;
}

/** sha256 over the rendered config templates the pods read, so a value change rolls them. */
function checksumExpr(service: string, objects: KubernetesObject[]): string {
  const sources = objects
    .filter(
      (o) =>
        (o.kind === 'ConfigMap' || o.kind === 'Secret') &&
        (o.metadata.labels?.[LABEL.name] === service || o.metadata.labels?.[LABEL.component] === 'discovery'),
    )
    .map(
      (o) =>
        `(include (print $.Template.BasePath ${goString(templatePath(o, o.metadata.labels?.[LABEL.name]).slice('templates'.length))}) $)`,
    );
  return `(print ${sources.join(' ') || '""'} | sha256sum)`;
}

/** Replaces strings by tokens while walking, then renders YAML and puts the expressions back. */
class Templater {
  private readonly actions: string[] = [];
  private readonly ctx: ExpressionContext;
  constructor(ctx: ExpressionContext) {
    this.ctx = ctx;
  }

  token(action: string): string {
    this.actions.push(action);
    return `BERTHTPL${this.actions.length - 1}X`;
  }

  walk(
    value: unknown,
    path: (string | number)[],
    special: (value: string, path: (string | number)[]) => string | undefined,
  ): unknown {
    if (typeof value === 'string') {
      const action = special(value, path);
      if (action !== undefined) return this.token(action);
      if (value.includes(this.ctx.namespacePlaceholder) || value.includes('{{'))
        return this.token(`${literalExpr(value, this.ctx)} | toJson`);
      return value;
    }
    if (Array.isArray(value)) return value.map((v, i) => this.walk(v, [...path, i], special));
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.walk(v, [...path, k], special)]));
    return value;
  }

  /** A token for a whole YAML block: the action's text is indented under the key it is the value of. */
  block(action: string): string {
    this.actions.push(action);
    return `BERTHBLK${this.actions.length - 1}X`;
  }

  render(obj: unknown): string {
    const text = objectToYaml(obj).replace(
      /^( *)([^\s:]+):\s+BERTHBLK(\d+)X$/gm,
      (_, indent: string, key: string, i: string) =>
        `${indent}${key}:{{ ${this.actions[Number(i)]} | nindent ${indent.length + 2} }}`,
    );
    return text.replace(/BERTHTPL(\d+)X/g, (_, i: string) => `{{ ${this.actions[Number(i)]} }}`);
  }
}

function chartYaml(spec: AppSpec, input: HelmExportInput, kubernetesVersion: string): string {
  return stringify({
    apiVersion: 'v2',
    name: spec.name,
    description: spec.description ?? `${spec.name}, exported by Berth`,
    type: 'application',
    version: `1.${input.revision}.${input.config.version}`,
    appVersion: String(input.revision),
    kubeVersion: `>=${kubernetesVersion}.0-0`,
    annotations: {
      'berth.dev/env': input.environment.name,
      [ANNOTATION.revision]: String(input.revision),
      [ANNOTATION.configVersion]: String(input.config.version),
    },
  });
}

function valuesYaml(
  spec: AppSpec,
  input: HelmExportInput,
  used: Set<string>,
  resolved: ReturnType<typeof resolveVariables>,
  secret: Set<string>,
  servicesWithSecrets: Record<string, string[]>,
  tlsSecrets: string[] = [],
  pullSecrets: string[] = [],
): string {
  const config: Record<string, string> = {};
  for (const name of [...used].sort()) {
    const v = ownGet(resolved, name);
    if (v && !secret.has(name)) setOwn(config, name, v.value);
  }
  const secrets = Object.fromEntries(
    [...used]
      .filter((n) => secret.has(n))
      .sort()
      .map((n) => [n, '']),
  );
  const existing = Object.fromEntries(
    Object.keys(servicesWithSecrets)
      .sort()
      .map((s) => [s, '']),
  );
  const header = [
    `# Values of ${spec.name} in ${input.environment.name}, exported by Berth from config version ${input.config.version}.`,
    '# config: plain values of the variables berth.yaml uses.',
    '# secrets: secret variables, never exported; supply them at install time (--set secrets.NAME=...).',
    '# existingSecrets: per service, the name of an existing Secret to use instead of supplying secrets',
    `#   (keys it must hold: ${
      Object.entries(servicesWithSecrets)
        .map(([s, k]) => `${s}: ${k.join(', ')}`)
        .join('; ') || 'none'
    }).`,
    ...(tlsSecrets.length > 0
      ? [
          `# edgeTls: the edge's certificates, never exported: --set-file edgeTls.NAME.crt=FILE --set-file edgeTls.NAME.key=FILE`,
          `#   for NAME in ${tlsSecrets.join(', ')}.`,
        ]
      : []),
    ...(pullSecrets.length > 0
      ? [
          `# registryAuth: registry credentials (berth.yaml registries), never exported: a docker config JSON`,
          `#   ({"auths":{"HOST":{"auth":"BASE64(user:password)"}}}): --set-file registryAuth.NAME=FILE for NAME in ${pullSecrets.join(', ')}.`,
        ]
      : []),
  ].join('\n');
  return `${header}\n${stringify({ config, secrets, existingSecrets: existing })}`;
}
