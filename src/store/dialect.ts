/**
 * Kysely's SQLite dialect with two changes Berth relies on:
 * - every transaction starts with `BEGIN IMMEDIATE`, so a read-modify-write transaction holds the
 *   write lock from its first read. With a plain (deferred) `BEGIN`, two processes that read and
 *   then write fail with SQLITE_BUSY instead of waiting for each other under `busy_timeout`.
 * - DDL is declared transactional (SQLite supports it), so the Migrator runs pending migrations
 *   inside one transaction: a migration that fails leaves the schema as it was.
 */
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

/** SQLite dialect whose transactions take the write lock up front and whose DDL is transactional. */
export class BerthSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
