/**
 * Environments (local, dev, test, staging, prod, ...): where an app runs (this machine, or a Kubernetes
 * context and namespace) and the variable defaults every app gets there.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../store/schema.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { zodProblems } from '../zodProblems.js';
import { TrafficRouter } from '../model/routing.js';
import { APP_NAME } from '../spec/schema.js';
import { memoryBytes, parseDurationMs } from '../spec/units.js';
import { VOLUME_NAME } from '../spec/volumes.js';
import { isTimeZone } from '../model/timeZone.js';
import { DNS_LABEL } from '../model/names.js';
import { dnsLabel } from '../spec/dnsLabel.js';
import { changeLogRetention, LogRetentionChange, LogRetentionSetting } from './logRetention.js';
import { registrySetting, withRegistry } from './registrySetting.js';
import { builderImageSetting } from './builderSetting.js';

const timeZoneSchema = z
  .string()
  .refine(isTimeZone, 'must be an IANA time zone such as `Europe/Berlin`, `America/New_York` or `UTC`')
  .describe('IANA time zone the cronjobs of this environment follow their `schedule` in. Default `UTC`.');

/** Which services of an environment on this machine run as containers (docs/berth-yaml.md, Containers). */
export const CONTAINERS_MODES = ['auto', 'always', 'never'] as const;
export type ContainersMode = (typeof CONTAINERS_MODES)[number];

const containersModeSchema = z
  .enum(CONTAINERS_MODES)
  .describe(
    "Which services run as containers on this machine: `auto` (those with `image` and no `command`; the default), `always` (every service with an `image`), `never` (every service runs its `command`). A service's own `runAs` comes first.",
  );

const protectedSchema = z
  .boolean()
  .describe(
    'A protected environment: a deploy, promotion or rollback into it needs an explicit confirmation (docs/releases.md, Promotion).',
  );

const approvalsSchema = z
  .number()
  .int('must be a whole number')
  .min(0, 'must be 0 (none) or more')
  .max(10, 'must be at most 10')
  .describe(
    'How many people other than its author must approve a deploy, promotion, rollback or config change into this environment before it runs (docs/access.md, Approvals); 0: none.',
  );

const edgePortSchema = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be a TCP port (1-65535)')
  .max(65535, 'must be a TCP port (1-65535)');

/** An absolute http(s) URL without user info (Prometheus' base URL). */
const prometheusUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    const u = URL.canParse(v) ? new URL(v) : undefined;
    return (u?.protocol === 'http:' || u?.protocol === 'https:') && !u.username && !u.password;
  }, 'must be an http:// or https:// URL without a user name or password, e.g. http://prometheus.monitoring:9090')
  .describe('Base URL of the Prometheus API (a path prefix such as /prometheus is kept).');

const prometheusSchema = z
  .strictObject({
    url: prometheusUrl,
    // Kept as written: the API parses a body twice (route, then store), and a duration turned into ms would be read again as seconds.
    timeout: z
      .string()
      .max(32)
      .refine((v) => (parseDurationMs(v) ?? 0) > 0, 'must be a duration longer than 0s, e.g. 500ms, 5s or 1m')
      .optional()
      .describe('How long one query may take (default 5s); a slower answer makes the check inconclusive.'),
  })
  .describe(
    "Where canary analysis reads the traffic router's metrics (docs/kubernetes.md, Canary analysis with Prometheus). Without it a progressive release on this environment cannot be analysed automatically.",
  );

export const EnvironmentTarget = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('local'),
        edgePort: edgePortSchema
          .optional()
          .describe(
            "Edge port of this environment's apps: the first app's edge gets it, later apps the next free port above (below an app's own port). Default: BERTH_EDGE_PORT, else 8080.",
          ),
        edgePorts: z
          .record(z.string().regex(APP_NAME, 'must be an app name'), edgePortSchema)
          .optional()
          .describe("Edge port of one app in this environment, exactly (over berth.yaml's `edge.port`)."),
        timeZone: timeZoneSchema.optional(),
        logRetention: LogRetentionSetting.optional(),
        containers: containersModeSchema.optional(),
        protected: protectedSchema.optional(),
        approvals: approvalsSchema.optional(),
        registry: registrySetting.optional(),
      })
      .describe('Run services on this machine: as supervised processes, or as containers (Docker or Podman).'),
    z
      .object({
        kind: z.literal('kubernetes'),
        context: z.string().min(1).optional().describe('kubeconfig context; the current context when omitted.'),
        namespace: z.string().regex(DNS_LABEL).describe('Namespace to deploy into (created if missing).'),
        timeZone: timeZoneSchema.optional(),
        logRetention: LogRetentionSetting.optional(),
        protected: protectedSchema.optional(),
        approvals: approvalsSchema.optional(),
        trafficRouter: z
          .enum([TrafficRouter.gatewayApi, TrafficRouter.ingressNginx])
          .optional()
          .describe(
            'What splits traffic between the stable and canary tracks of progressive services: `gatewayApi` (HTTPRoute weights and header matches; the default) or `ingressNginx` (canary annotations on a second Ingress).',
          ),
        gateway: z
          .object({
            name: z
              .string()
              .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'lowercase letters, digits, - and .')
              .max(253)
              .describe('Name of the Gateway.'),
            namespace: dnsLabel()
              .max(63)
              .optional()
              .describe("The Gateway's namespace; the environment's when omitted."),
          })
          .optional()
          .describe(
            'The Gateway API Gateway the HTTPRoutes attach to (`gatewayApi` router); default `berth` in the namespace.',
          ),
        prometheus: prometheusSchema.optional(),
        registry: registrySetting.optional(),
        builderImage: builderImageSetting.optional(),
        storageClass: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'lowercase letters, digits, - and .')
          .max(253)
          .optional()
          .describe(
            "StorageClass of the apps' volumes (their PersistentVolumeClaims); the cluster's default class when omitted.",
          ),
        volumeSizes: z
          .record(z.string().regex(VOLUME_NAME, 'must be a volume name'), memoryBytes('size'))
          .optional()
          .describe(
            "Volume name → the size its claims request in this environment (`50Gi`), over berth.yaml's `volumes.<name>.size`.",
          ),
      })
      .describe('Apply releases to a Kubernetes cluster.'),
  ])
  .describe('Where the environment runs its apps.');
export type EnvironmentTarget = z.infer<typeof EnvironmentTarget>;

/**
 * The cluster settings of a Kubernetes target the manifests use: its volumes' StorageClass and sizes, its
 * CronJobs' time zone (`timeZone`, when the environment has one).
 */
export function clusterStorage(t: EnvironmentTarget): {
  storageClass?: string;
  timeZone?: string;
  volumeSizes?: Record<string, number>;
} {
  if (t.kind !== 'kubernetes') return {};
  const tz = (t as { timeZone?: unknown }).timeZone;
  return {
    ...(t.storageClass ? { storageClass: t.storageClass } : {}),
    ...(t.volumeSizes && Object.keys(t.volumeSizes).length > 0 ? { volumeSizes: t.volumeSizes } : {}),
    ...(typeof tz === 'string' && tz ? { timeZone: tz } : {}),
  };
}

/** Where the runtime of a Kubernetes target reads canary traffic: its Prometheus, with the timeout in ms. */
export function prometheusOf(t: EnvironmentTarget): { url: string; timeoutMs?: number } | undefined {
  if (t.kind !== 'kubernetes' || !t.prometheus) return undefined;
  const timeoutMs = t.prometheus.timeout === undefined ? undefined : parseDurationMs(t.prometheus.timeout);
  return { url: t.prometheus.url, ...(timeoutMs ? { timeoutMs } : {}) };
}

export const EnvironmentInput = z.object({
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/, 'lowercase letters, digits and -, at most 32 characters')
    .describe('Environment name, e.g. dev, staging, prod.'),
  target: EnvironmentTarget.default({ kind: 'local' }),
  defaults: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string())
    .default({})
    .describe('Variable defaults for every app in this environment (below config values, above spec defaults).'),
});
export type EnvironmentInput = z.input<typeof EnvironmentInput>;

/** A change of an environment's edge ports (`berth env set`); `null` removes a setting. */
export const EnvironmentEdgeChange = z
  .strictObject({
    edgePort: edgePortSchema.nullable().optional().describe("The environment's edge port; null: back to the default."),
    edgePorts: z
      .record(z.string().regex(APP_NAME, 'must be an app name'), edgePortSchema.nullable())
      .optional()
      .describe("App → its edge port in this environment; null removes the app's port."),
    timeZone: timeZoneSchema.nullable().optional().describe('The time zone of cron schedules; null: back to UTC.'),
    containers: containersModeSchema.optional(),
    prometheus: prometheusSchema
      .nullable()
      .optional()
      .describe("A Kubernetes environment's Prometheus for canary analysis; null removes it."),
    logRetention: LogRetentionChange.optional(),
    protected: protectedSchema.optional(),
    approvals: approvalsSchema.optional(),
    registry: registrySetting.nullable().optional().describe('The registry builds push to; null removes it.'),
    builderImage: builderImageSetting
      .nullable()
      .optional()
      .describe("A Kubernetes environment's Kaniko executor image; null: back to the default."),
  })
  .describe(
    "A change of an environment's edge ports, time zone, containers mode, Prometheus, log retention, protection or approvals.",
  );
export type EnvironmentEdgeChange = z.input<typeof EnvironmentEdgeChange>;

export interface Environment {
  name: string;
  target: EnvironmentTarget;
  defaults: Record<string, string>;
  createdAt: string;
}

/** Typed access to the environments table. */
export interface Environments {
  list(): Promise<Environment[]>;
  get(name: string): Promise<Environment>;
  create(input: EnvironmentInput): Promise<Environment>;
  /**
   * Deletes an environment: 404 when it does not exist, 409 while an app runs there or a release is
   * under way. The check and the delete are one write transaction, and a release is created only in a
   * transaction that finds its environment (Releases.create): a deploy racing a delete either lands
   * first (the delete is refused) or finds the environment gone (the deploy is refused).
   */
  delete(name: string): Promise<Environment>;
  /** Changes the edge ports of an environment on this machine. */
  setEdge(name: string, change: EnvironmentEdgeChange): Promise<Environment>;
}

/**
 * The apps of an environment that a delete must wait for: a release pending or running there, or a
 * current (last succeeded) release that is not a `down`.
 */
async function busyApps(db: Kysely<Database>, env: string): Promise<string[]> {
  const rows = await sql<{ app: string }>`
    select distinct r.app as app from releases r
    where r.env = ${env}
      and (r.status in ('pending', 'running')
        or (r.status = 'succeeded' and r.kind != 'down' and r.revision = (
          select max(c.revision) from releases c
          where c.app = r.app and c.env = r.env and c.status = 'succeeded')))
    order by r.app`.execute(db);
  return rows.rows.map((r) => r.app);
}

export function createEnvironments(db: Kysely<Database>): Environments {
  const toEnv = (r: { name: string; target: string; defaults: string; created_at: string }): Environment => ({
    name: r.name,
    target: JSON.parse(r.target) as EnvironmentTarget,
    defaults: JSON.parse(r.defaults) as Record<string, string>,
    createdAt: r.created_at,
  });
  const environments: Environments = {
    async list() {
      const rows = await db.selectFrom('environments').selectAll().orderBy('name').execute();
      return rows.map(toEnv);
    },
    async get(name) {
      const row = await db.selectFrom('environments').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) {
        const names = (await db.selectFrom('environments').select('name').execute()).map((r) => r.name);
        throw new NotFoundError(
          `environment ${name} does not exist (known: ${names.join(', ')}); create it with \`berth env create ${name}\``,
        );
      }
      return toEnv(row);
    },
    async create(input) {
      const parsed = EnvironmentInput.safeParse(input);
      if (!parsed.success) throw new ValidationError('invalid environment', zodProblems(parsed.error, 'request body'));
      const env = parsed.data;
      const exists = await db.selectFrom('environments').select('name').where('name', '=', env.name).executeTakeFirst();
      if (exists) throw new ConflictError(`environment ${env.name} already exists`);
      const row = {
        name: env.name,
        target: JSON.stringify(env.target),
        defaults: JSON.stringify(env.defaults),
        created_at: new Date().toISOString(),
      };
      await db.insertInto('environments').values(row).execute();
      return toEnv(row);
    },
    async delete(name) {
      const env = await environments.get(name);
      await db.transaction().execute(async (tx) => {
        const busy = await busyApps(tx, name);
        if (busy.length > 0)
          throw new ConflictError(
            `environment ${name} still runs ${busy.length === 1 ? 'app' : 'apps'} ${busy.join(', ')}: take ${busy.length === 1 ? 'it' : 'them'} down first (berth down APP --env ${name})`,
            { details: { env: name, apps: busy } },
          );
        const gone = await tx.deleteFrom('environments').where('name', '=', name).executeTakeFirst();
        if (gone.numDeletedRows === 0n) throw new NotFoundError(`environment ${name} does not exist`);
      });
      return env;
    },
    async setEdge(name, change) {
      const parsed = EnvironmentEdgeChange.safeParse(change);
      if (!parsed.success) throw new ValidationError('invalid edge change', zodProblems(parsed.error, 'request body'));
      const env = await environments.get(name);
      const { edgePort, edgePorts, timeZone, containers, prometheus, logRetention } = parsed.data;
      if (env.target.kind !== 'local' && (edgePort !== undefined || edgePorts !== undefined))
        throw new ValidationError(`environment ${name} runs on Kubernetes: its edge is the Ingress controller's`, [
          { file: 'request body', path: 'edgePort', message: 'edge ports apply to environments on this machine' },
        ]);
      if (env.target.kind !== 'local' && containers !== undefined)
        throw new ValidationError(`environment ${name} runs on Kubernetes: every service runs its image there`, [
          {
            file: 'request body',
            path: 'containers',
            message: 'the containers mode applies to environments on this machine',
          },
        ]);
      if (env.target.kind !== 'kubernetes' && prometheus !== undefined)
        throw new ValidationError(
          `environment ${name} runs on this machine: its analysis reads the edge's own counters`,
          [{ file: 'request body', path: 'prometheus', message: 'a Prometheus applies to Kubernetes environments' }],
        );
      if (env.target.kind !== 'kubernetes' && parsed.data.builderImage !== undefined)
        throw new ValidationError(
          `environment ${name} runs on this machine: its images build with its container engine`,
          [
            {
              file: 'request body',
              path: 'builderImage',
              message: 'a builder image applies to Kubernetes environments',
            },
          ],
        );
      const target = withRegistry({ ...env.target }, parsed.data.registry);
      if (target.kind === 'kubernetes' && parsed.data.builderImage === null) delete target.builderImage;
      else if (target.kind === 'kubernetes' && parsed.data.builderImage) target.builderImage = parsed.data.builderImage;
      if (target.kind === 'kubernetes' && prometheus === null) delete target.prometheus;
      else if (target.kind === 'kubernetes' && prometheus) target.prometheus = prometheus;
      if (timeZone === null) delete target.timeZone;
      else if (timeZone !== undefined) target.timeZone = timeZone;
      // Stored only when on, as before the setting existed.
      if (parsed.data.protected === true) target.protected = true;
      else if (parsed.data.protected === false) delete target.protected;
      if (parsed.data.approvals === 0) delete target.approvals;
      else if (parsed.data.approvals !== undefined) target.approvals = parsed.data.approvals;
      if (logRetention !== undefined) {
        const kept = changeLogRetention(target.logRetention, logRetention);
        if (kept) target.logRetention = kept;
        else delete target.logRetention;
      }
      if (target.kind === 'local') {
        // `auto` is the default: stored as no setting, as before the option existed.
        if (containers === 'auto') delete target.containers;
        else if (containers !== undefined) target.containers = containers;
        if (edgePort === null) delete target.edgePort;
        else if (edgePort !== undefined) target.edgePort = edgePort;
        if (edgePorts !== undefined) {
          const ports = new Map(Object.entries(target.edgePorts ?? {}));
          for (const [app, port] of Object.entries(edgePorts)) {
            if (port === null) ports.delete(app);
            else ports.set(app, port);
          }
          if (ports.size > 0) target.edgePorts = Object.fromEntries([...ports].sort(([a], [b]) => a.localeCompare(b)));
          else delete target.edgePorts;
        }
      }
      await db
        .updateTable('environments')
        .set({ target: JSON.stringify(target) })
        .where('name', '=', name)
        .execute();
      return { ...env, target };
    },
  };
  return environments;
}
