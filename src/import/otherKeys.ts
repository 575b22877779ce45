/**
 * Why each compose key Berth does not map is not mapped: the reasons the report gives for
 * service keys and top-level keys that have no mapper.
 */

const SECURITY =
  'Berth runs services with the user and rights it was started with; a security context is not in berth.yaml';
const KERNEL = 'kernel and container-engine settings are not in berth.yaml';
const CPU_TUNING = 'Berth has CPU requests and limits only (`resources`)';

/** Service keys with a mapper of their own (everything else is looked up in UNMAPPED_SERVICE_KEYS). */
export const MAPPED_SERVICE_KEYS: ReadonlySet<string> = new Set([
  'image',
  'build',
  'command',
  'entrypoint',
  'working_dir',
  'environment',
  'env_file',
  'ports',
  'expose',
  'depends_on',
  'healthcheck',
  'deploy',
  'restart',
  'scale',
  'cpus',
  'mem_limit',
  'mem_reservation',
  'stop_grace_period',
  'stop_signal',
  'configs',
  'secrets',
  'volumes',
]);

/** Reason per unmapped service key. */
export const UNMAPPED_SERVICE_KEYS: Record<string, string> = {
  annotations: 'Berth sets its own annotations',
  attach: "Berth collects every service's output: `berth logs`",
  blkio_config: KERNEL,
  cap_add: SECURITY,
  cap_drop: SECURITY,
  cgroup: KERNEL,
  cgroup_parent: KERNEL,
  container_name: 'the service name is the name: Berth names replicas itself',
  cpu_count: CPU_TUNING,
  cpu_percent: CPU_TUNING,
  cpu_period: CPU_TUNING,
  cpu_quota: CPU_TUNING,
  cpu_rt_period: CPU_TUNING,
  cpu_rt_runtime: CPU_TUNING,
  cpu_shares: CPU_TUNING,
  cpuset: CPU_TUNING,
  credential_spec: SECURITY,
  develop: 'compose watch is a development loop; Berth deploys releases',
  device_cgroup_rules: KERNEL,
  devices: 'berth.yaml requests no host devices',
  dns: 'Berth services find each other through <SERVICE>_HOST/_PORT/_URL',
  dns_opt: 'Berth services find each other through <SERVICE>_HOST/_PORT/_URL',
  dns_search: 'Berth services find each other through <SERVICE>_HOST/_PORT/_URL',
  domainname: 'Berth services find each other through <SERVICE>_HOST/_PORT/_URL',
  driver_opts: KERNEL,
  extends: 'not followed: inline the base service (or share it with an `x-` anchor) and import again',
  external_links:
    'Berth services find each other through <SERVICE>_HOST/_PORT/_URL; outside services are configured with variables',
  extra_hosts: 'Berth does not edit /etc/hosts; configure outside addresses with variables',
  gpus: 'berth.yaml requests no GPUs',
  group_add: SECURITY,
  hostname: 'the service name is its host name: <SERVICE>_HOST',
  init: KERNEL,
  ipc: KERNEL,
  isolation: KERNEL,
  label_file: 'Berth sets its own labels',
  labels: 'Berth sets its own labels (app, service, release revision, config version)',
  links: 'every service of an app reaches the others through <SERVICE>_HOST/_PORT/_URL',
  logging: 'Berth collects stdout and stderr of every replica: `berth logs`',
  mac_address: KERNEL,
  mem_swappiness: KERNEL,
  memswap_limit: 'Berth has memory requests and limits only (`resources`)',
  models: 'AI model bindings are not in berth.yaml',
  network_mode: 'every service of an app is in one network; services find each other through <SERVICE>_HOST/_PORT/_URL',
  networks: 'every service of an app is in one network; services find each other through <SERVICE>_HOST/_PORT/_URL',
  oom_kill_disable: KERNEL,
  oom_score_adj: KERNEL,
  pid: KERNEL,
  pids_limit: 'Berth sets no process-count limit',
  platform: 'clusters pull the image for their own platform',
  post_start: 'lifecycle hooks are not in berth.yaml; run the step in the command',
  pre_stop: 'Berth drains traffic before SIGTERM itself; other stop hooks are not in berth.yaml',
  privileged: SECURITY,
  profiles: 'Berth imports and deploys every service, whatever its profile',
  provider: 'provider services are run by compose plugins',
  pull_policy: 'clusters pull by their own policy',
  read_only: SECURITY,
  runtime: KERNEL,
  security_opt: SECURITY,
  shm_size: KERNEL,
  stdin_open: 'services run without a terminal',
  storage_opt: KERNEL,
  sysctls: KERNEL,
  tmpfs: 'Berth mounts nothing; the process can use the system temp folder',
  tty: 'services run without a terminal',
  ulimits: KERNEL,
  use_api_socket: 'Berth does not share the Docker engine with services',
  user: SECURITY,
  userns_mode: SECURITY,
  uts: KERNEL,
  volumes_from:
    "Berth does not copy another service's mounts: list the named volumes this service needs under its own `volumes`",
};

/** Reason per unmapped or ignored top-level key. */
export const TOP_LEVEL_KEYS: Record<string, { status: 'unmapped' | 'ignored'; reason: string }> = {
  version: { status: 'ignored', reason: 'obsolete in compose; berth.yaml has no version' },
  include: {
    status: 'unmapped',
    reason:
      'included compose files are not followed: import each of them, or merge them first (`docker compose config`)',
  },
  networks: {
    status: 'unmapped',
    reason: 'every service of an app is in one network; services find each other through <SERVICE>_HOST/_PORT/_URL',
  },
  models: { status: 'unmapped', reason: 'AI model bindings are not in berth.yaml' },
};
