/**
 * The part of the compose specification Berth reads, as zod schemas: types are checked (after
 * interpolation, so `replicas: "${N:-2}"` is a number like compose makes it), keys Berth does not
 * map are let through for the report, and keys compose does not know are errors, as in compose.
 */
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { Problem } from '../errors.js';
import { didYouMean, zodFindings } from '../spec/problems.js';
import { parseShortVolume } from './composeVolumes.js';
import type { Locate } from './report.js';

/** Numbers written as strings (interpolation makes strings) become numbers, as compose casts them. */
const intLike = z.preprocess(
  (v) => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v),
  z.number().int('must be a whole number'),
);
const boolLike = z.preprocess(
  (v) => (typeof v === 'string' && /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === 'true' : v),
  z.boolean(),
);
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const stringOrList = z.union([z.string(), z.array(scalar.transform(String))]);
const nullable = <T extends z.ZodType>(t: T) => t.nullish();

const command = nullable(stringOrList);

const environment = z.union([
  z.array(z.string()),
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
]);

const envFileItem = z.union([
  z.string(),
  z.looseObject({ path: z.string(), required: boolLike.optional(), format: z.string().optional() }),
]);

const portLong = z.looseObject({
  target: intLike,
  published: z.union([z.string(), z.number()]).optional(),
  host_ip: z.string().optional(),
  protocol: z.string().optional(),
  mode: z.string().optional(),
  name: z.string().optional(),
  app_protocol: z.string().optional(),
});

const dependsOnLong = z.looseObject({
  condition: z
    .enum(['service_started', 'service_healthy', 'service_completed_successfully'])
    .default('service_started'),
  required: boolLike.optional(),
  restart: boolLike.optional(),
});

const healthcheck = z.looseObject({
  test: stringOrList.optional(),
  interval: z.union([z.string(), z.number()]).optional(),
  timeout: z.union([z.string(), z.number()]).optional(),
  retries: intLike.optional(),
  start_period: z.union([z.string(), z.number()]).optional(),
  start_interval: z.union([z.string(), z.number()]).optional(),
  disable: boolLike.optional(),
});

const amount = z.union([z.string(), z.number()]);
const resourceSet = z.looseObject({ cpus: amount.optional(), memory: amount.optional(), pids: intLike.optional() });

const deploy = z.looseObject({
  mode: z.string().optional(),
  replicas: intLike.optional(),
  resources: z.looseObject({ limits: resourceSet.optional(), reservations: resourceSet.optional() }).optional(),
  update_config: z
    .looseObject({
      parallelism: intLike.optional(),
      order: z.enum(['start-first', 'stop-first']).optional(),
      delay: z.union([z.string(), z.number()]).optional(),
      failure_action: z.string().optional(),
      monitor: z.union([z.string(), z.number()]).optional(),
      max_failure_ratio: z.union([z.number(), z.string()]).optional(),
    })
    .optional(),
  restart_policy: z
    .looseObject({
      condition: z.enum(['none', 'on-failure', 'any']).optional(),
      delay: z.union([z.string(), z.number()]).optional(),
      max_attempts: intLike.optional(),
      window: z.union([z.string(), z.number()]).optional(),
    })
    .optional(),
});

const fileRef = z.union([
  z.string(),
  z.looseObject({
    source: z.string(),
    target: z.string().optional(),
    uid: z.unknown().optional(),
    gid: z.unknown().optional(),
    mode: z.unknown().optional(),
  }),
]);

const volumeLong = z.looseObject({
  type: z.string(),
  source: z.string().optional(),
  target: z.string().optional(),
  read_only: boolLike.optional(),
});

const build = z.union([
  z.string(),
  z.looseObject({ context: z.string().optional(), dockerfile: z.string().optional(), target: z.string().optional() }),
]);

/** One compose service, as far as Berth reads it. */
export const composeServiceSchema = z.looseObject({
  image: nullable(z.string()),
  build: nullable(build),
  command,
  entrypoint: command,
  environment: nullable(environment),
  env_file: nullable(z.union([z.string(), z.array(envFileItem)])),
  ports: nullable(z.array(z.union([z.number(), z.string(), portLong]))),
  expose: nullable(z.array(z.union([z.number(), z.string()]))),
  depends_on: nullable(z.union([z.array(z.string()), z.record(z.string(), dependsOnLong)])),
  healthcheck: nullable(healthcheck),
  deploy: nullable(deploy),
  restart: nullable(z.string()),
  configs: nullable(z.array(fileRef)),
  secrets: nullable(z.array(fileRef)),
  volumes: nullable(z.array(z.union([z.string(), volumeLong]))),
  scale: nullable(intLike),
  stop_grace_period: nullable(z.union([z.string(), z.number()])),
  stop_signal: nullable(z.union([z.string(), z.number()])),
  cpus: nullable(amount),
  mem_limit: nullable(amount),
  mem_reservation: nullable(amount),
  working_dir: nullable(z.string()),
});

const topFile = z.looseObject({
  file: z.string().optional(),
  content: z.string().optional(),
  environment: z.string().optional(),
  external: z.unknown().optional(),
  name: z.string().optional(),
});

/** A compose file, as far as Berth reads it. */
export const composeSchema = z.looseObject({
  name: z.string().optional(),
  services: z.record(z.string(), composeServiceSchema.nullable()),
  configs: nullable(z.record(z.string(), topFile.nullable())),
  secrets: nullable(z.record(z.string(), topFile.nullable())),
  volumes: nullable(z.record(z.string(), z.unknown())),
  networks: nullable(z.record(z.string(), z.unknown())),
});

export type ComposeFile = z.output<typeof composeSchema>;
export type ComposeService = z.output<typeof composeServiceSchema>;

/** Every key of a compose service (compose specification, 2025). */
export const SERVICE_KEYS = [
  'annotations',
  'attach',
  'blkio_config',
  'build',
  'cap_add',
  'cap_drop',
  'cgroup',
  'cgroup_parent',
  'command',
  'configs',
  'container_name',
  'cpu_count',
  'cpu_percent',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'cpu_shares',
  'cpus',
  'cpuset',
  'credential_spec',
  'depends_on',
  'deploy',
  'develop',
  'device_cgroup_rules',
  'devices',
  'dns',
  'dns_opt',
  'dns_search',
  'domainname',
  'driver_opts',
  'entrypoint',
  'env_file',
  'environment',
  'expose',
  'extends',
  'external_links',
  'extra_hosts',
  'gpus',
  'group_add',
  'healthcheck',
  'hostname',
  'image',
  'init',
  'ipc',
  'isolation',
  'label_file',
  'labels',
  'links',
  'logging',
  'mac_address',
  'mem_limit',
  'mem_reservation',
  'mem_swappiness',
  'memswap_limit',
  'models',
  'network_mode',
  'networks',
  'oom_kill_disable',
  'oom_score_adj',
  'pid',
  'pids_limit',
  'platform',
  'ports',
  'post_start',
  'pre_stop',
  'privileged',
  'profiles',
  'provider',
  'pull_policy',
  'read_only',
  'restart',
  'runtime',
  'scale',
  'secrets',
  'security_opt',
  'shm_size',
  'stdin_open',
  'stop_grace_period',
  'stop_signal',
  'storage_opt',
  'sysctls',
  'tmpfs',
  'tty',
  'ulimits',
  'use_api_socket',
  'user',
  'userns_mode',
  'uts',
  'volumes',
  'volumes_from',
  'working_dir',
] as const;

/** Every top-level key of a compose file. */
export const TOP_KEYS = [
  'version',
  'name',
  'include',
  'services',
  'networks',
  'volumes',
  'configs',
  'secrets',
  'models',
] as const;

const isExtension = (k: string) => k.startsWith('x-');

/** Checks a compose document's types and keys; returns the typed form or throws every problem at once. */
export function validateCompose(data: Record<string, unknown>, file: string, locate: Locate): ComposeFile {
  const problems: Problem[] = [];
  const add = (path: (string | number)[], message: string) => {
    const pos = locate(path) ?? { line: 1, column: 1 };
    problems.push({ file, line: pos.line, column: pos.column, path: path.join('.'), message });
  };
  for (const k of Object.keys(data))
    if (!isExtension(k) && !(TOP_KEYS as readonly string[]).includes(k))
      add([k], `unknown top-level key \`${k}\`${didYouMean(k, TOP_KEYS)}`);
  if (data.services === undefined && data.include === undefined) add([], 'missing required key `services`');
  const services = data.services;
  if (services !== null && typeof services === 'object' && !Array.isArray(services)) {
    if (Object.keys(services).length === 0) add(['services'], 'there are no services to import');
    for (const [name, svc] of Object.entries(services as Record<string, unknown>)) {
      if (!/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/.test(name))
        add(['services', name], `\`${name}\` is not a valid compose service name`);
      if (svc === null || typeof svc !== 'object' || Array.isArray(svc)) continue;
      for (const k of Object.keys(svc))
        if (!isExtension(k) && !(SERVICE_KEYS as readonly string[]).includes(k))
          add(['services', name, k], `unknown key \`${k}\`${didYouMean(k, SERVICE_KEYS)}`);
    }
  }
  const result = composeSchema.safeParse({ services: {}, ...data });
  if (!result.success)
    for (const f of zodFindings(result.error.issues, data, composeSchema)) add([...f.path], f.message);
  checkReferences(data, add);
  if (problems.length > 0) {
    const n = problems.length;
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new ValidationError(`${file} is not a valid compose file (${n} problem${n === 1 ? '' : 's'})`, problems);
  }
  return result.data!;
}

/** depends_on, named volumes, configs and secrets must name things the file defines, as compose checks (on the raw data, so it runs even when types are wrong). */
function checkReferences(
  data: Record<string, unknown>,
  add: (path: (string | number)[], message: string) => void,
): void {
  const asMap = (v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  const services = asMap(data.services);
  const names = Object.keys(services);
  for (const [name, raw] of Object.entries(services)) {
    const svc = asMap(raw);
    const deps = svc.depends_on;
    const refs: [string | number, unknown][] = Array.isArray(deps)
      ? deps.map((d, i) => [i, d])
      : Object.keys(asMap(deps)).map((d) => [d, d]);
    for (const [key, d] of refs)
      if (typeof d === 'string' && !names.includes(d))
        add(['services', name, 'depends_on', key], `unknown service \`${d}\`${didYouMean(d, names)}`);
    const volumes = Object.keys(asMap(data.volumes));
    (Array.isArray(svc.volumes) ? (svc.volumes as unknown[]) : []).forEach((v, i) => {
      const m = typeof v === 'string' ? parseShortVolume(v) : asMap(v);
      if (m?.type === 'volume' && typeof m.source === 'string' && m.source !== '' && !volumes.includes(m.source))
        add(
          ['services', name, 'volumes', i],
          `unknown volume \`${m.source}\` (define it under the top-level \`volumes\`)${didYouMean(m.source, volumes)}`,
        );
    });
    for (const kind of ['configs', 'secrets'] as const) {
      const defined = Object.keys(asMap(data[kind]));
      const list = Array.isArray(svc[kind]) ? (svc[kind] as unknown[]) : [];
      list.forEach((ref, i) => {
        const source = typeof ref === 'string' ? ref : asMap(ref).source;
        if (typeof source === 'string' && !defined.includes(source))
          add(
            ['services', name, kind, i],
            `unknown ${kind === 'configs' ? 'config' : 'secret'} \`${source}\` (define it under the top-level \`${kind}\`)${didYouMean(source, defined)}`,
          );
      });
    }
  }
}
