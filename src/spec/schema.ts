/**
 * The berth.yaml schema. Input is what people write (shorthands, "10s", "64Mi"); output (`AppSpec`)
 * is normalised to the runtime's shapes (src/runtime/runtime.ts): `...Ms` numbers, argv commands,
 * probes with Kubernetes defaults. Every object is strict so a misspelt key is an error, and every
 * field carries `.describe()` text that becomes the JSON Schema editors show. The parts live beside it:
 * ports.ts, probes.ts, replicaPolicies.ts (resources, rollout, restart, autoscale), strategy.ts,
 * policy.ts, files.ts, edge.ts, volumes.ts, containers.ts, and the shared fields in fields.ts.
 */
import { z } from 'zod';
import { STOP_SIGNALS } from '../model/workload.js';
import { durationMs } from './units.js';
import { autoscaleSchema, resourcesSchema, restartSchema, rolloutSchema } from './replicaPolicies.js';
import { strategySchema } from './strategy.js';
import { policySchema } from './policy.js';
import { filesSchema as files } from './files.js';
import { edgeSchema } from './edge.js';
import { volumeMountsSchema, volumesSchema } from './volumes.js';
import { scheduleProblem } from './cronSchedule.js';
import { APP_NAME, NAME_MAX_LENGTH, SERVICE_NAME, VARIABLE_NAME } from './names.js';
import { imagePullPolicySchema, registriesSchema, runAsSchema, runAsProblems } from './containers.js';
import { HOST_NAME } from '../model/names.js';
import { command, scalarText } from './fields.js';
import { portsSchema } from './ports.js';
import { healthSchema } from './probes.js';
import { buildProblems, buildSchema, isImageBuild } from './build.js';

export { APP_NAME, NAME_MAX_LENGTH, SERVICE_NAME, VARIABLE_NAME } from './names.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const CRON = /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|(\S+\s+){4}\S+)$/;
const variableLong = z.strictObject({
  default: scalarText.optional().describe('Value used when neither the config set nor the environment sets one.'),
  description: z.string().optional().describe('What the variable is for; shown in the console and the CLI.'),
  secret: z
    .boolean()
    .default(false)
    .describe(
      'Encrypted at rest and masked (`******`) everywhere it is shown, including in every value derived from it.',
    ),
});

/** A declared variable: `NAME: default` shorthand, `NAME:` (no default), or the long form. */
export const variableSchema = z
  .union([z.string(), z.number(), z.boolean(), z.null(), variableLong])
  .transform((v): { default?: string; description?: string; secret: boolean } => {
    if (v === null) return { secret: false };
    if (typeof v !== 'object') return { default: String(v), secret: false };
    return {
      ...(v.default === undefined ? {} : { default: v.default }),
      ...(v.description === undefined ? {} : { description: v.description }),
      secret: v.secret,
    };
  })
  .describe(
    'A declared variable: a default value (`LOG_LEVEL: info`), nothing (`DB_URL:`), or `{ default, description, secret }`.',
  );

/** One service. New fields (strategy, autoscale, ...) are added to this object and to its transform. */
export const serviceSchema = z
  .strictObject({
    command: command
      .optional()
      .describe('How to run the service on one machine: a shell string (run by `/bin/sh -c`) or an argv list.'),
    entrypoint: command
      .optional()
      .describe(
        "The container's entrypoint (compose's `entrypoint`, Kubernetes' `command`); `command` then gives its arguments. On one machine the process runs `entrypoint` followed by `command`.",
      ),
    cwd: z
      .string()
      .min(1, 'must not be empty')
      .optional()
      .describe('Working directory of `command`, relative to the berth.yaml folder. Default: that folder.'),
    pinCode: z
      .boolean()
      .optional()
      .describe(
        'On one machine a deploy snapshots `cwd` and replicas run that read-only snapshot (docs/releases.md). `false`: they run in `cwd` itself, as it is at each start. Default: `true`, but `false` when `cwd` is the berth.yaml folder itself (the default `cwd`).',
      ),
    image: z
      .string()
      .min(1, 'must not be empty')
      .optional()
      .describe(
        'Container image, e.g. `shop/web:1.0`: what clusters run, and one machine too when the service runs as a container (see `runAs`).',
      ),
    runAs: runAsSchema,
    build: buildSchema,
    imagePullPolicy: imagePullPolicySchema,
    env: z
      .record(
        z
          .string()
          .regex(
            ENV_NAME,
            'environment variable names are letters, digits, `_`, `.` and `-`, not starting with a digit',
          ),
        scalarText,
      )
      .default({})
      .describe('Environment variables; values may use `${VARIABLES}`.'),
    ports: portsSchema,
    files,
    volumes: volumeMountsSchema,
    replicas: z
      .number()
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .default(1)
      .describe('Number of replicas. Default 1.'),
    dependsOn: z.array(z.string()).default([]).describe('Services that must be deployed and ready before this one.'),
    health: healthSchema,
    resources: resourcesSchema,
    terminationGracePeriod: durationMs()
      .prefault('30s')
      .describe('On stop: SIGTERM (or `stopSignal`), then this long, then SIGKILL. Default `30s`.'),
    stopSignal: z
      .enum(STOP_SIGNALS)
      .optional()
      .describe('The signal that asks the service to stop gracefully (nginx: `SIGQUIT`). Default `SIGTERM`.'),
    rollout: rolloutSchema,
    restart: restartSchema,
    kind: z
      .enum(['service', 'job', 'cronjob'])
      .optional()
      .describe(
        '`service` (runs continuously; the default), `job` (runs to completion once per change) or `cronjob` (runs on `schedule`).',
      ),
    schedule: z
      .string()
      .regex(CRON, 'must be a cron schedule such as `*/5 * * * *` or `@hourly`')
      .superRefine((s, ctx) => {
        const problem = scheduleProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: `not a valid cron schedule: ${problem}` });
      })
      .optional()
      .describe('Cron schedule of a `kind: cronjob` service, e.g. `0 3 * * *`.'),
    backoffLimit: z
      .number()
      .int('must be a whole number')
      .min(0, 'must be 0 or more')
      .optional()
      .describe('Retries of a failed `job` or `cronjob` run before it counts as failed. Default 0.'),
    concurrency: z
      .enum(['forbid', 'allow', 'replace'])
      .optional()
      .describe(
        'A `cronjob` run due while the last one still runs: `forbid` (skip it; the default), `allow` (run both) or `replace` (stop the old one).',
      ),
    stateful: z
      .boolean()
      .optional()
      .describe(
        'StatefulSet semantics: a stable index per replica (BERTH_REPLICA_INDEX), ordered start and stop, a volume copy per replica (`pgdata-0`); on clusters a StatefulSet with a headless Service. Default false.',
      ),
    placement: z
      .enum(['replicated', 'perNode'])
      .optional()
      .describe('`replicated` (`replicas` copies; the default) or `perNode` (one replica on every node: a DaemonSet).'),
    autoscale: autoscaleSchema.optional(),
    strategy: strategySchema,
    policy: policySchema.optional(),
  })
  .refine((s) => s.command !== undefined || s.image !== undefined || isImageBuild(s.build), {
    message: 'a service needs `command` (one machine) or `image` (clusters), or both',
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  })
  .check((ctx) => {
    const s = ctx.value as Partial<Record<string, unknown>>;
    if (typeof s !== 'object' || s === null) return;
    const issue = (message: string, path: string) =>
      ctx.issues.push({ code: 'custom', message, input: s, path: [path] });
    // An image build gives the service its image (docs/builds.md).
    for (const p of runAsProblems(isImageBuild(s.build) ? { ...s, image: s.image ?? 'built' } : s))
      issue(p.message, p.path);
    for (const p of buildProblems(s)) ctx.issues.push({ code: 'custom', message: p.message, input: s, path: p.path });
    if (s.kind === 'cronjob' && s.schedule === undefined) issue('a `kind: cronjob` service needs `schedule`', 'kind');
    if (s.schedule !== undefined && s.kind !== 'cronjob') issue('`schedule` is only for `kind: cronjob`', 'schedule');
    if (s.backoffLimit !== undefined && s.kind !== 'job' && s.kind !== 'cronjob')
      issue('`backoffLimit` is only for `kind: job` and `kind: cronjob`', 'backoffLimit');
    if (s.concurrency !== undefined && s.kind !== 'cronjob')
      issue('`concurrency` is only for `kind: cronjob`', 'concurrency');
    if (s.kind === 'job' || s.kind === 'cronjob') {
      if (typeof s.replicas === 'number' && s.replicas !== 1)
        issue('a job runs one replica to completion: remove `replicas`', 'replicas');
      if (s.autoscale !== undefined) issue('only `kind: service` can `autoscale`', 'autoscale');
      if (s.stateful === true) issue('only `kind: service` can be `stateful`', 'stateful');
      if (s.placement === 'perNode') issue('only `kind: service` can have `placement: perNode`', 'placement');
    }
    const progressive =
      typeof s.strategy === 'string' ? s.strategy !== 'rolling' : (s.strategy as { type?: string } | undefined)?.type;
    if (progressive && progressive !== 'rolling') {
      if (s.kind === 'job' || s.kind === 'cronjob') issue('only `kind: service` can have a `strategy`', 'strategy');
      if (s.stateful === true)
        issue('a `stateful` service is updated in place: it cannot have a `strategy`', 'strategy');
      if (s.placement === 'perNode') issue('a `perNode` service cannot have a `strategy`', 'strategy');
    }
    const cpuTarget = (s.autoscale as { cpu?: unknown } | undefined)?.cpu;
    const res = s.resources as { cpuRequestMillis?: unknown; requests?: { cpu?: unknown } } | undefined;
    if (cpuTarget !== undefined && res?.cpuRequestMillis === undefined && res?.requests?.cpu === undefined)
      ctx.issues.push({
        code: 'custom',
        message: 'autoscaling on `cpu` needs `resources.requests.cpu`: the target is a percentage of it',
        input: s,
        path: ['autoscale', 'cpu'],
      });
    if (s.placement === 'perNode') {
      if (s.autoscale !== undefined)
        issue('a `perNode` service runs one replica per node: it cannot `autoscale`', 'autoscale');
      if (s.stateful === true) issue('a `perNode` service cannot be `stateful`', 'stateful');
    }
  })
  .transform(({ terminationGracePeriod, ...s }) => ({ ...s, terminationGracePeriodMs: terminationGracePeriod }))
  .describe('A service: how to run it, its ports, environment, files, health checks and dependencies.');

/** A URL path as it reaches the edge (RFC 3986 path characters, no quote): what a route can match. */
const ROUTE_PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@%/]*$/;

/** A route of the app's edge: host and/or path prefix to a service (the runtime's `Route` with `path` as `pathPrefix`). */
export const routeSchema = z
  .strictObject({
    path: z
      .string()
      .regex(/^\//, 'must start with `/`')
      .regex(
        ROUTE_PATH,
        'must be a URL path: `/`, then letters, digits and `-._~!$&()*+,;=:@%/` (no spaces, quotes, `?` or `#`)',
      )
      .default('/')
      .describe('Path prefix to match. Default `/`.'),
    service: z.string().describe('Service that receives the traffic.'),
    host: z
      .string()
      .regex(HOST_NAME, 'must be a host name such as `shop.local` or `*.shop.local`')
      .optional()
      .describe('Host to match. Default: any host.'),
    stripPrefix: z
      .boolean()
      .default(false)
      .describe('Remove the matched path prefix before forwarding. Default false.'),
    policy: policySchema.optional().describe("Traffic policy of this route's requests, over the service's."),
  })
  .describe('A route: requests matching `host` and `path` go to `service`.');

/** The whole berth.yaml. */
export const appSchema = z
  .strictObject({
    name: z
      .string()
      .max(NAME_MAX_LENGTH, `must have at most ${NAME_MAX_LENGTH} characters`)
      .regex(APP_NAME, 'must be lowercase letters, digits and `-`, starting and ending with a letter or digit')
      .describe('Name of the application (DNS label, at most 40 characters).'),
    description: z.string().optional().describe('What the application is.'),
    variables: z
      .record(
        z.string().regex(VARIABLE_NAME, 'variable names are letters, digits and `_`, not starting with a digit'),
        variableSchema,
      )
      .default({})
      .describe(
        'Variables the services use as `${NAME}`; values come from the config set, then the environment, then these defaults.',
      ),
    services: z
      .record(
        z
          .string()
          .max(NAME_MAX_LENGTH, `service names have at most ${NAME_MAX_LENGTH} characters`)
          .regex(SERVICE_NAME, 'service names are lowercase letters, digits and `-`, starting with a letter'),
        serviceSchema,
      )
      .refine((s) => Object.keys(s).length > 0, 'an app needs at least one service')
      .describe('The services of the application, by name.'),
    routes: z
      .array(routeSchema)
      .default([])
      .describe("Routes of the app's edge (the built-in proxy on one machine, an Ingress on clusters)."),
    edge: edgeSchema.optional(),
    volumes: volumesSchema,
    registries: registriesSchema,
  })
  .describe('A Berth application description (berth.yaml).');

/** berth.yaml as written. */
export type AppSpecInput = z.input<typeof appSchema>;
/** berth.yaml parsed and normalised (cwd made absolute by the loader). */
export type AppSpec = z.output<typeof appSchema>;
/** One normalised service. */
export type ServiceSpec = z.output<typeof serviceSchema>;
/** One normalised route. */
export type RouteSpec = z.output<typeof routeSchema>;
/** One normalised declared variable. */
export type VariableSpec = z.output<typeof variableSchema>;
