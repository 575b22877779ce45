/**
 * The builds in the store (`builds`, migration 007): one row per service of a build, written when the
 * service's build starts and updated when it ends. The newest successful row of a service is what a
 * deploy runs (buildArtifacts.ts) and what the skip rule compares a new context digest with.
 */
import { sql, type Generated, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../store/schema.js';
import type { ServiceBuildResult } from '../model/build.js';

export interface BuildsTable {
  id: Generated<number>;
  build_id: string;
  app: string;
  env: string;
  service: string;
  kind: string;
  commit: string;
  context_digest: string;
  status: string;
  image: string | null;
  image_digest: string | null;
  code_digest: string | null;
  author: string;
  started_at: string;
  ended_at: string | null;
  log_file: string;
  error: string | null;
}

/** A service's build: `running` until it ends `built`, `skipped` or `failed`. */
export type BuildStatus = ServiceBuildResult['status'] | 'running';

/** One service's row. */
export interface ServiceBuild {
  buildId: string;
  app: string;
  env: string;
  service: string;
  kind: ServiceBuildResult['kind'];
  commit: string;
  contextDigest: string;
  status: BuildStatus;
  image?: string;
  imageDigest?: string;
  codeDigest?: string;
  author: string;
  startedAt: string;
  endedAt?: string;
  /** The build's log (`<BERTH_HOME>/builds/<id>.log`), shared by its services. */
  logFile: string;
  /** Why it failed. */
  error?: string;
}

/** A build: its services' rows, in the order they were built. */
export interface BuildSummary {
  id: string;
  app: string;
  env: string;
  commit: string;
  author: string;
  /** `running` while a service builds, else `failed` when one failed, else `succeeded`. */
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  endedAt?: string;
  services: ServiceBuild[];
}

export interface BuildStore {
  start(row: Omit<ServiceBuild, 'status' | 'endedAt'> & { status?: BuildStatus }): Promise<void>;
  finish(
    buildId: string,
    service: string,
    end: Pick<ServiceBuild, 'status'> & Partial<Pick<ServiceBuild, 'image' | 'imageDigest' | 'codeDigest' | 'error'>>,
  ): Promise<void>;
  /** The newest successful (`built` or `skipped`) row of a service, optionally of one commit. */
  lastGood(app: string, env: string, service: string, commit?: string): Promise<ServiceBuild | undefined>;
  /** The newest successful row of a service with this context digest. */
  sameContext(app: string, env: string, service: string, contextDigest: string): Promise<ServiceBuild | undefined>;
  get(buildId: string): Promise<BuildSummary | undefined>;
  /** Builds newest first, of one app (and env) when given. */
  list(filter: { app?: string; env?: string; limit?: number }): Promise<BuildSummary[]>;
  /** Rows left `running` by a control plane that stopped: failed as interrupted. Returns how many. */
  failInterrupted(): Promise<number>;
  /** The code snapshots of each service's newest KEPT_BUILDS successful builds (kept by the code collection). */
  codeDigests(): Promise<Set<string>>;
}

type Db = Kysely<Database & { builds: BuildsTable }>;

function toBuild(r: Selectable<BuildsTable>): ServiceBuild {
  return {
    buildId: r.build_id,
    app: r.app,
    env: r.env,
    service: r.service,
    kind: r.kind as ServiceBuild['kind'],
    commit: r.commit,
    contextDigest: r.context_digest,
    status: r.status as BuildStatus,
    ...(r.image ? { image: r.image } : {}),
    ...(r.image_digest ? { imageDigest: r.image_digest } : {}),
    ...(r.code_digest ? { codeDigest: r.code_digest } : {}),
    author: r.author,
    startedAt: r.started_at,
    ...(r.ended_at ? { endedAt: r.ended_at } : {}),
    logFile: r.log_file,
    ...(r.error ? { error: r.error } : {}),
  };
}

/** The summary of one build's rows (in id order). */
export function summarize(rows: ServiceBuild[]): BuildSummary {
  const first = rows[0]!;
  const running = rows.some((r) => r.status === 'running');
  const failed = rows.some((r) => r.status === 'failed');
  const ends = rows.flatMap((r) => (r.endedAt ? [r.endedAt] : [])).sort();
  return {
    id: first.buildId,
    app: first.app,
    env: first.env,
    commit: first.commit,
    author: first.author,
    status: running ? 'running' : failed ? 'failed' : 'succeeded',
    startedAt: first.startedAt,
    ...(!running && ends.length > 0 ? { endedAt: ends[ends.length - 1]! } : {}),
    services: rows,
  };
}

const GOOD = ['built', 'skipped'];

/** How many of a service's newest successful builds keep their code snapshots from the collection. */
export const KEPT_BUILDS = 5;

export function createBuildStore(database: Kysely<Database>): BuildStore {
  const db = database.withTables<{ builds: BuildsTable }>() as Db;
  return {
    async start(row) {
      await db
        .insertInto('builds')
        .values({
          build_id: row.buildId,
          app: row.app,
          env: row.env,
          service: row.service,
          kind: row.kind,
          commit: row.commit,
          context_digest: row.contextDigest,
          status: row.status ?? 'running',
          image: row.image ?? null,
          image_digest: row.imageDigest ?? null,
          code_digest: row.codeDigest ?? null,
          author: row.author,
          started_at: row.startedAt,
          log_file: row.logFile,
        })
        .execute();
    },
    async finish(buildId, service, end) {
      await db
        .updateTable('builds')
        .set({
          status: end.status,
          ended_at: new Date().toISOString(),
          ...(end.image === undefined ? {} : { image: end.image }),
          ...(end.imageDigest === undefined ? {} : { image_digest: end.imageDigest }),
          ...(end.codeDigest === undefined ? {} : { code_digest: end.codeDigest }),
          ...(end.error === undefined ? {} : { error: end.error }),
        })
        .where('build_id', '=', buildId)
        .where('service', '=', service)
        .execute();
    },
    async lastGood(app, env, service, commit) {
      let q = db
        .selectFrom('builds')
        .selectAll()
        .where('app', '=', app)
        .where('env', '=', env)
        .where('service', '=', service)
        .where('status', 'in', GOOD);
      if (commit !== undefined) q = q.where('commit', '=', commit);
      const row = await q.orderBy('id', 'desc').limit(1).executeTakeFirst();
      return row ? toBuild(row) : undefined;
    },
    async sameContext(app, env, service, contextDigest) {
      const row = await db
        .selectFrom('builds')
        .selectAll()
        .where('app', '=', app)
        .where('env', '=', env)
        .where('service', '=', service)
        .where('context_digest', '=', contextDigest)
        .where('status', 'in', GOOD)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toBuild(row) : undefined;
    },
    async get(buildId) {
      const rows = await db.selectFrom('builds').selectAll().where('build_id', '=', buildId).orderBy('id').execute();
      return rows.length === 0 ? undefined : summarize(rows.map(toBuild));
    },
    async list(filter) {
      let q = db.selectFrom('builds').select(['build_id']).groupBy('build_id');
      if (filter.app !== undefined) q = q.where('app', '=', filter.app);
      if (filter.env !== undefined) q = q.where('env', '=', filter.env);
      const ids = await q
        .select((eb) => eb.fn.max('id').as('last'))
        .orderBy('last', 'desc')
        .limit(filter.limit ?? 50)
        .execute();
      if (ids.length === 0) return [];
      const rows = await db
        .selectFrom('builds')
        .selectAll()
        .where(
          'build_id',
          'in',
          ids.map((i) => i.build_id),
        )
        .orderBy('id')
        .execute();
      const by = new Map<string, ServiceBuild[]>();
      for (const r of rows) by.set(r.build_id, [...(by.get(r.build_id) ?? []), toBuild(r)]);
      return ids.map((i) => summarize(by.get(i.build_id)!));
    },
    async failInterrupted() {
      const res = await db
        .updateTable('builds')
        .set({ status: 'failed', ended_at: new Date().toISOString(), error: 'interrupted: the control plane stopped' })
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(res.numUpdatedRows);
    },
    async codeDigests() {
      // The newest KEPT_BUILDS successful builds of each service: older outputs go with the collection.
      const rows = await sql<{ code_digest: string }>`
        select code_digest from (
          select code_digest, row_number() over (partition by app, env, service order by id desc) as n
          from builds where status in ('built', 'skipped') and code_digest is not null)
        where n <= ${KEPT_BUILDS}`.execute(db);
      return new Set(rows.rows.map((r) => r.code_digest));
    },
  };
}
