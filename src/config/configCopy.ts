/**
 * Copying the config sets of one environment to another (`berth env copy`): every app's current
 * version — values, files and secrets — becomes a new version in the target, in ONE store transaction
 * with the target environment's creation, so a failure anywhere leaves the target as it was. Secrets
 * are copied as stored (sealed by this control plane's key): never decrypted but to compare them.
 */
import type { Kysely } from 'kysely';
import { ConflictError, ValidationError, type Problem } from '../errors.js';
import type { Database } from '../store/schema.js';
import { compareSnapshots, emptySnapshot, parseEntries, serializeEntries } from './entries.js';
import type { SecretBox } from './secretBox.js';

/** The target environment to create in the copy's transaction (its row as the environments table keeps it). */
export interface NewEnvironmentRow {
  name: string;
  /** JSON of the target. */
  target: string;
  /** JSON of the variable defaults. */
  defaults: string;
}

export interface ConfigCopyRequest {
  from: string;
  to: string;
  /** Only these apps (each must have config in `from`); every app with config in `from` when omitted. */
  apps?: string[];
  /** Copy over a newer config in `to` (one written after the copied version of `from`). */
  force?: boolean;
  /** Created in the same transaction; omitted: `to` exists already. */
  create?: NewEnvironmentRow;
  author: string;
}

/** What the copy did for one app. */
export interface AppConfigCopy {
  app: string;
  /** The version of `from` copied. */
  fromVersion: number;
  /** The version of `to` before the copy (0: none). */
  previousVersion: number;
  /** The version of `to` after: a new one when copied, the previous when unchanged. */
  toVersion: number;
  /** `copied`: a new version was written; `unchanged`: `to` already had this content. */
  outcome: 'copied' | 'unchanged';
  /** Counts of what the copied version holds. */
  values: number;
  secrets: number;
  files: number;
}

/** The message of a version copied from `env` at `version`: what `config history` shows. */
export const copiedMessage = (env: string, version: number): string => `copied from ${env}@${version}`;

/**
 * Copies the current config of every app (or of `apps`) from `from` to `to`. Refused as a whole
 * (nothing written) when an app asked for has no config in `from`, or when `to` has a config written
 * after the version of `from` that would replace it and `force` is not set.
 */
export async function copyConfigSets(
  db: Kysely<Database>,
  box: SecretBox,
  req: ConfigCopyRequest,
): Promise<AppConfigCopy[]> {
  const { from, to } = req;
  return db.transaction().execute(async (trx) => {
    // Every app's latest version in `from`, read inside the (immediate) transaction: nothing moves under the copy.
    const latest = await trx
      .selectFrom('config_versions')
      .select(['app'])
      .select((eb) => eb.fn.max('version').as('version'))
      .where('env', '=', from)
      .groupBy('app')
      .orderBy('app')
      .execute();
    const versions = new Map(latest.map((r) => [r.app, r.version]));
    const apps = req.apps ?? [...versions.keys()];
    const unknown = apps.filter((a) => !versions.has(a));
    if (unknown.length > 0)
      throw new ValidationError(`environment ${from} has no config for ${unknown.join(', ')}`, [
        ...unknown.map((a): Problem => ({
          path: 'apps',
          message: `${a} has no config in ${from} (apps with config there: ${[...versions.keys()].join(', ') || 'none'})`,
        })),
      ]);

    if (req.create) {
      const exists = await trx.selectFrom('environments').select('name').where('name', '=', to).executeTakeFirst();
      if (exists) throw new ConflictError(`environment ${to} already exists`, { details: { env: to } });
      await trx
        .insertInto('environments')
        .values({ ...req.create, created_at: new Date().toISOString() })
        .execute();
    }

    const results: AppConfigCopy[] = [];
    const newer: string[] = [];
    for (const app of [...new Set(apps)].sort()) {
      const fromVersion = versions.get(app)!;
      const source = await trx
        .selectFrom('config_versions')
        .selectAll()
        .where('app', '=', app)
        .where('env', '=', from)
        .where('version', '=', fromVersion)
        .executeTakeFirstOrThrow();
      const snapshot = parseEntries(source.entries, `${app}/${from} v${fromVersion}`);
      const target = await trx
        .selectFrom('config_versions')
        .selectAll()
        .where('app', '=', app)
        .where('env', '=', to)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      const previousVersion = target?.version ?? 0;
      const before = target ? parseEntries(target.entries, `${app}/${to} v${previousVersion}`) : emptySnapshot();
      const counts = {
        values: [...snapshot.values.values()].filter((v) => !('secret' in v)).length,
        secrets:
          [...snapshot.values.values()].filter((v) => 'secret' in v).length +
          [...snapshot.files.values()].filter((f) => 'secret' in f).length,
        files: snapshot.files.size,
      };
      if (compareSnapshots(before, snapshot, box).length === 0) {
        results.push({
          app,
          fromVersion,
          previousVersion,
          toVersion: previousVersion,
          outcome: 'unchanged',
          ...counts,
        });
        continue;
      }
      if (target && target.created_at > source.created_at && !req.force) newer.push(app);
      const row = {
        app,
        env: to,
        version: previousVersion + 1,
        author: req.author,
        message: copiedMessage(from, fromVersion),
        created_at: new Date().toISOString(),
        // The stored entries as they are: secrets stay sealed under this control plane's key.
        entries: serializeEntries(snapshot),
      };
      await trx.insertInto('config_versions').values(row).execute();
      results.push({ app, fromVersion, previousVersion, toVersion: row.version, outcome: 'copied', ...counts });
    }
    if (newer.length > 0)
      throw new ConflictError(
        `the config of ${newer.join(', ')} in ${to} was written after the version copied from ${from}: pass --force (force: true) to replace it`,
        { details: { from, to, apps: newer } },
      );
    return results;
  });
}
