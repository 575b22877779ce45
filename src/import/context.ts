/**
 * What every per-key mapper gets: the compose service being mapped, the berth.yaml service being
 * built (in berth.yaml's input form, written out as is), the report, the variables, and the paths
 * it needs to read files next to the compose file.
 */
import type { Problem } from '../errors.js';
import type { AppProtocol } from '../model/ports.js';
import type { StopSignal } from '../model/workload.js';
import type { Lookup } from './composeInterpolate.js';
import type { ComposeFile, ComposeService } from './composeSchema.js';
import type { Report } from './report.js';
import type { Variables } from './variables.js';

/** A probe in berth.yaml's input form. */
export interface ProbeOut {
  http?: { path: string; port?: number };
  exec?: { command: string[] };
  initialDelay?: string;
  period?: string;
  timeout?: string;
  failureThreshold?: number;
}

/** A berth.yaml service in its input form, as the import writes it. */
export interface ServiceOut {
  /** The container's entrypoint; on one machine the process runs `entrypoint` then `command`. */
  entrypoint?: string[];
  command?: string[];
  cwd?: string;
  image?: string;
  /** `container`: runs from its image on one machine too, though it has a `command` (compose runs every service so). */
  runAs?: 'container';
  env: Record<string, string>;
  ports: { name?: string; port: number; protocol?: 'TCP' | 'UDP'; appProtocol?: AppProtocol }[];
  /** Config files; `mountPath` is where compose put it (a config's or secret's `target`, a bind's target). */
  files: { path: string; content: string; mountPath?: string }[];
  /** Mounts of the app's named volumes. */
  volumes: { volume: string; path: string; env?: string; readOnly?: true }[];
  replicas?: number;
  dependsOn: string[];
  health: { readiness?: ProbeOut; liveness?: ProbeOut };
  resources: {
    requests?: { cpu?: string; memory?: string | number };
    limits?: { cpu?: string; memory?: string | number };
  };
  terminationGracePeriod?: string;
  stopSignal?: StopSignal;
  rollout?: { maxSurge?: number | string; maxUnavailable?: number | string };
  restart?: { initialBackoff?: string; resetAfter?: string };
  /** `job`: runs to completion (others wait for it to finish, or compose never restarts it). */
  kind?: 'job';
  /** Retries of a failed job (compose's `restart: on-failure:N`). */
  backoffLimit?: number;
  /** `perNode`: one replica on every node (compose's `deploy.mode: global`). */
  placement?: 'perNode';
}

/** A `ports` entry compose publishes on the host. */
export interface PublishedPorts {
  path: (string | number)[];
  /** The container ports it names. */
  ports: number[];
  /** `host port 8080 of 127.0.0.1`. */
  host: string;
  /** What the service listens on, for the report (`listens on port 80 (\`8080:80\`)`). */
  what: string;
  /** Other changes to report with it (a range expanded, a port listed twice). */
  notes: string[];
}

/** Options of an import that mappers read. */
export interface ImportOptions {
  /** Also add liveness probes from healthchecks (compose itself never restarts unhealthy containers). */
  liveness: boolean;
}

/** Shared by every mapper of one import. */
export interface ImportContext {
  app: string;
  file: string;
  compose: ComposeFile;
  /** Folder of the compose file: its relative paths start here. */
  composeDir: string;
  /** Folder the berth.yaml is written to: `cwd` values are relative to it. */
  outDir: string;
  /** compose service name → berth service name. */
  names: Map<string, string>;
  report: Report;
  variables: Variables;
  /** Compose names of services others wait for to finish (→ the berth names of those waiting): jobs. */
  jobs: Map<string, string[]>;
  /** Compose volume name → berth.yaml volume name, for the named volumes services mount. */
  volumes: Map<string, string>;
  /** The environment compose interpolates from (environment over .env). */
  lookup: Lookup;
  /** Dotted compose path → variables its value was interpolated from. */
  uses: Map<string, string[]>;
  /** Errors found while mapping (a missing env_file, an unreadable config file): the import fails. */
  problems: Problem[];
  options: ImportOptions;
  readText(path: string): Promise<string | undefined>;
}

/** One service being mapped. */
export interface ServiceContext extends ImportContext {
  composeName: string;
  name: string;
  svc: ComposeService;
  /** `['services', composeName]` */
  path: (string | number)[];
  out: ServiceOut;
  /** Port entries compose publishes on the host (TCP): reported by mapRoutes with the route they become. */
  published: PublishedPorts[];
}

/**
 * Whether the service runs as a container on one machine: every imported service does, as in
 * compose, except one built from source with a command of its own, which runs that command on the
 * host in its build context (a process).
 */
export function runsAsContainer(out: ServiceOut): boolean {
  return out.image !== undefined && (out.runAs === 'container' || (!out.command && !out.entrypoint));
}

/** Adds an import error at a compose path. */
export function problemAt(ctx: ImportContext, path: (string | number)[], message: string, file = ctx.file): void {
  const pos = file === ctx.file ? ctx.report.locateOf(path) : undefined;
  ctx.problems.push({ file, ...(pos ? { line: pos.line, column: pos.column } : {}), path: path.join('.'), message });
}

/** A literal for a berth.yaml template field (command, cwd, image, env, file content): `$` becomes `$$`. */
export function literal(text: string): string {
  return text.replaceAll('$', () => '$$');
}
