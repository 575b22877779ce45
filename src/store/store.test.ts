import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { sql, type Kysely, type Migration } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from './migrations/index.js';
import { appliedMigrations, openStore, StoreSchemaError, type Store } from './store.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('openStore', () => {
  let dir: string;
  const open: Store[] = [];
  const openAt = async (file: string): Promise<Store> => {
    const store = await openStore({ file });
    open.push(store);
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-store-'));
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates every table, the local environment, and records the migrations', async () => {
    const store = await openAt(path.join(dir, 'nested', 'berth.db'));
    const tables = (
      store.sqlite.prepare(`select name from sqlite_master where type = 'table' order by name`).all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    for (const t of [
      'environments',
      'apps',
      'config_versions',
      'releases',
      'release_steps',
      'release_events',
      'leases',
      'tokens',
    ]) {
      expect(tables).toContain(t);
    }
    const indexes = (
      store.sqlite.prepare(`select name from sqlite_master where type = 'index'`).all() as { name: string }[]
    ).map((r) => r.name);
    expect(indexes).toContain('release_events_release_idx');

    const local = await store.db
      .selectFrom('environments')
      .selectAll()
      .where('name', '=', 'local')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(local.target)).toEqual({ kind: 'local' });
    expect(JSON.parse(local.defaults)).toEqual({});
    expect(local.created_at).toMatch(ISO);
    expect(appliedMigrations(store.sqlite)).toEqual(Object.keys(migrations).sort());
  });

  it('sets the durability pragmas', async () => {
    const store = await openAt(path.join(dir, 'berth.db'));
    expect(store.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(store.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('keeps data across reopen and does not re-run migrations', async () => {
    const file = path.join(dir, 'berth.db');
    const first = await openStore({ file });
    await first.db.insertInto('apps').values({ name: 'shop' }).execute();
    await first.db
      .insertInto('environments')
      .values({
        name: 'prod',
        target: JSON.stringify({ kind: 'kubernetes', context: 'c1', namespace: 'shop' }),
        defaults: '{"LOG":"info"}',
      })
      .execute();
    await first.close();
    await first.close(); // idempotent

    const second = await openAt(file);
    const apps = await second.db.selectFrom('apps').select('name').execute();
    expect(apps).toEqual([{ name: 'shop' }]);
    const envs = await second.db.selectFrom('environments').select('name').orderBy('name').execute();
    expect(envs.map((e) => e.name)).toEqual(['local', 'prod']);
  });

  it('fills defaults, enforces uniqueness and cascades release children', async () => {
    const store = await openAt(path.join(dir, 'berth.db'));
    const base = {
      app: 'shop',
      env: 'local',
      kind: 'deploy' as const,
      spec: '{}',
      spec_digest: 'sha256:abc',
      spec_file: 'berth.yaml',
      config_version: 0,
      rendered: '{}',
      author: 'ann',
    };
    const { id } = await store.db
      .insertInto('releases')
      .values({ ...base, revision: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const release = await store.db.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(release).toMatchObject({
      status: 'pending',
      rollback_policy: 'auto',
      reason: null,
      source_revision: null,
      started_at: null,
    });
    expect(release.created_at).toMatch(ISO);

    await expect(
      store.db
        .insertInto('releases')
        .values({ ...base, revision: 1 })
        .execute(),
    ).rejects.toThrow(/UNIQUE/);

    await store.db.insertInto('release_steps').values({ release_id: id, service: 'web', level: 0 }).execute();
    await store.db
      .insertInto('release_events')
      .values({ release_id: id, type: 'Normal', reason: 'Started', message: 'go' })
      .execute();
    await expect(
      store.db
        .insertInto('release_steps')
        .values({ release_id: id + 99, service: 'web', level: 0 })
        .execute(),
    ).rejects.toThrow(/FOREIGN KEY/);

    await store.db.deleteFrom('releases').where('id', '=', id).execute();
    expect(await store.db.selectFrom('release_steps').selectAll().execute()).toEqual([]);
    expect(await store.db.selectFrom('release_events').selectAll().execute()).toEqual([]);
  });

  it('rolls a failed transaction back completely', async () => {
    const store = await openAt(path.join(dir, 'berth.db'));
    await expect(
      store.db.transaction().execute(async (trx) => {
        await trx.insertInto('apps').values({ name: 'a' }).execute();
        await trx.insertInto('apps').values({ name: 'a' }).execute();
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await store.db.selectFrom('apps').selectAll().execute()).toEqual([]);
  });

  it('refuses a database whose schema is newer than this code, and leaves it untouched', async () => {
    const file = path.join(dir, 'berth.db');
    const store = await openStore({ file });
    await store.db.insertInto('apps').values({ name: 'shop' }).execute();
    await store.close();

    const raw = new Sqlite(file);
    raw
      .prepare(`insert into kysely_migration (name, timestamp) values (?, ?)`)
      .run('999_from_the_future', new Date().toISOString());
    raw.close();
    const sizeBefore = (await stat(file)).size;

    const attempt = openStore({ file });
    await expect(attempt).rejects.toBeInstanceOf(StoreSchemaError);
    await expect(attempt).rejects.toThrow(/newer version of Berth.*999_from_the_future/);

    const check = new Sqlite(file, { readonly: true });
    expect(check.prepare('select name from apps').all()).toEqual([{ name: 'shop' }]);
    check.close();
    expect((await stat(file)).size).toBe(sizeBefore);
  });

  it('runs later migrations in name order, and a failing one changes nothing', async () => {
    const file = path.join(dir, 'berth.db');
    const ran: string[] = [];
    const addNotes: Migration = {
      async up(db: Kysely<unknown>) {
        ran.push('002');
        await db.schema.alterTable('apps').addColumn('notes', 'text').execute();
      },
    };
    const fillNotes: Migration = {
      async up(db: Kysely<unknown>) {
        ran.push('003');
        await sql`update apps set notes = 'filled'`.execute(db);
      },
    };
    const broken: Migration = {
      async up(db: Kysely<unknown>) {
        await db.schema.createTable('half_done').addColumn('x', 'text').execute();
        throw new Error('boom');
      },
    };

    const first = await openStore({ file });
    await first.db.insertInto('apps').values({ name: 'shop' }).execute();
    await first.close();

    // Given out of order on purpose: the names decide the order.
    const failing = openStore({
      file,
      migrations: { ...migrations, '992_broken': broken, '991_fill': fillNotes, '990_notes': addNotes },
    });
    await expect(failing).rejects.toThrow(/992_broken.*boom/);
    expect(ran).toEqual(['002', '003']);
    const raw = new Sqlite(file, { readonly: true });
    const tables = raw.prepare(`select name from sqlite_master where name = 'half_done'`).all();
    const columns = (raw.prepare(`pragma table_info(apps)`).all() as { name: string }[]).map((c) => c.name);
    raw.close();
    expect(tables).toEqual([]);
    expect(columns).not.toContain('notes');

    ran.length = 0;
    const reopened = await openAt(file); // the failed attempt left nothing half-recorded
    await reopened.close();
    const newer = await openStore({
      file,
      migrations: { ...migrations, '991_fill': fillNotes, '990_notes': addNotes },
    });
    expect(ran).toEqual(['002', '003']);
    expect(newer.sqlite.prepare('select name, notes from apps').all()).toEqual([{ name: 'shop', notes: 'filled' }]);
    await newer.close();

    // This code's built-in list does not know 002/003: the upgraded file is now "newer".
    await expect(openStore({ file })).rejects.toThrow(/990_notes, 991_fill/);
  });
});
