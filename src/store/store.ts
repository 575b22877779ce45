/**
 * Opens Berth's embedded store: one SQLite file (WAL, synchronous=FULL) behind Kysely, migrated
 * to the schema this code knows on every open.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, type Migration } from 'kysely';
import { BerthError, ErrorCode, InternalError } from '../errors.js';
import { BerthSqliteDialect } from './dialect.js';
import { migrations } from './migrations/index.js';
import type { Database } from './schema.js';

/** How long a statement waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 5000;

/** Kysely's bookkeeping table of executed migrations. */
const MIGRATION_TABLE = 'kysely_migration';

/** An open store. `close()` is idempotent. */
export interface Store {
  db: Kysely<Database>;
  sqlite: BetterSqlite3.Database;
  /** The database file. */
  file: string;
  close(): Promise<void>;
}

/** The database was written by a newer Berth: its schema has migrations this code does not know. */
export class StoreSchemaError extends BerthError {
  constructor(message: string, details: Record<string, unknown>) {
    super(ErrorCode.internal, message, { details });
  }
}

/** Options of openStore. */
export interface OpenStoreOptions {
  file: string;
  /** The migrations to run, by name; the built-in list when omitted (tests pass their own). */
  migrations?: Readonly<Record<string, Migration>>;
}

/** Opens (creating if needed) the store at `opts.file` and migrates it to the latest schema. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const known = opts.migrations ?? migrations;
  const file = path.resolve(opts.file);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Sqlite(file);
  const db = new Kysely<Database>({ dialect: new BerthSqliteDialect({ database: sqlite }) });
  try {
    // busy_timeout first, so switching to WAL waits for another process instead of failing.
    sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = sqlite.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new InternalError(`cannot switch ${file} to WAL journal mode (got ${String(mode)})`);
    // FULL also syncs the WAL on every commit: an acknowledged write survives power loss.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    refuseNewerSchema(sqlite, file, known);
    await migrate(db, file, known);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  let closed = false;
  return {
    db,
    sqlite,
    file,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/**
 * SQLite's data_version of this connection (it changes when another connection commits), read through
 * one prepared statement: the idle control plane asks several times a second whether the releases
 * changed, and a PRAGMA through Kysely compiled and queued a query each time.
 */
export function dataVersionOf(sqlite: BetterSqlite3.Database): () => number {
  const statement = sqlite.prepare('PRAGMA data_version').pluck();
  return () => Number(statement.get());
}

/** Names of the migrations already applied to the database (empty for a new file). */
export function appliedMigrations(sqlite: BetterSqlite3.Database): string[] {
  const table = sqlite.prepare(`select name from sqlite_master where type = 'table' and name = ?`).get(MIGRATION_TABLE);
  if (!table) return [];
  return (sqlite.prepare(`select name from ${MIGRATION_TABLE} order by name`).all() as { name: string }[]).map(
    (r) => r.name,
  );
}

function refuseNewerSchema(
  sqlite: BetterSqlite3.Database,
  file: string,
  known: Readonly<Record<string, Migration>>,
): void {
  const unknown = appliedMigrations(sqlite).filter((name) => !Object.hasOwn(known, name));
  if (unknown.length === 0) return;
  throw new StoreSchemaError(
    `the database ${file} was written by a newer version of Berth: it has schema migrations this version does not know ` +
      `(${unknown.join(', ')}). Upgrade Berth, or point it at another state directory; the file was left untouched.`,
    { file, unknownMigrations: unknown, knownMigrations: Object.keys(known) },
  );
}

async function migrate(db: Kysely<Database>, file: string, known: Readonly<Record<string, Migration>>): Promise<void> {
  const provider = { getMigrations: () => Promise.resolve({ ...known }) };
  const migrator = new Migrator({ db, provider, migrationTableName: MIGRATION_TABLE });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  throw new InternalError(`migrating ${file}${failed ? ` (${failed})` : ''} failed: ${reason}`, { cause: error });
}
