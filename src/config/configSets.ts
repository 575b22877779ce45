/**
 * Versioned config sets: per (app, env), values, files and secrets. Every change makes a new
 * immutable version; writes carry the version they were based on and a stale one is refused.
 * Secrets are encrypted at rest and masked in everything but `resolve`.
 */
import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError, type Problem } from '../errors.js';
import type { ConfigVersionRow, Database } from '../store/schema.js';
import {
  compareSnapshots,
  configKeyOf,
  emptySnapshot,
  isSecret,
  parseEntries,
  plainOf,
  serializeEntries,
  sortedEntries,
  type Snapshot,
  type SnapshotChange,
  type Stored,
} from './entries.js';
import { type SecretBox } from './secretBox.js';
import { validateChange } from './validateChange.js';
import { NOTHING_TO_CHANGE } from './nothingToChange.js';
import { MASK } from '../model/mask.js';
import { copyConfigSets, type AppConfigCopy, type ConfigCopyRequest } from './configCopy.js';
import { compareEnvironmentConfigs, type AppConfigDiff } from './configCompare.js';

/** Key names that changed in a version against the one before it; files appear as `file:<path>`. */
export interface ConfigChangeSummary {
  added: string[];
  changed: string[];
  removed: string[];
  /** Of the changed, the secrets that became plain (only ever on an explicit request). Always sent. */
  madePlain?: string[];
  /** Of the changed, the plain ones that became secret. Always sent. */
  madeSecret?: string[];
}

/** One version's metadata. Version 0 ("no config yet") has no author and no time. */
export interface ConfigVersionInfo {
  app: string;
  env: string;
  version: number;
  author: string | null;
  message: string | null;
  /** ISO-8601 UTC. */
  createdAt: string | null;
  summary: ConfigChangeSummary;
}

/** A version's content for people: secret values and files are shown as MASK. */
export interface ConfigView extends ConfigVersionInfo {
  values: Record<string, { value: string; secret: boolean }>;
  /** `size` is the real content's length in bytes (UTF-8), a secret file's too. */
  files: Record<string, { content: string; secret: boolean; size: number }>;
}

/** A change to a config set, based on the version the writer last saw. */
export interface ConfigChange {
  /** The version the change was made against; 0 when there is no config yet. */
  baseVersion: number;
  /**
   * Keys to set. `secret` omitted keeps an existing key's secrecy (new keys are plain); `true` makes
   * the key secret; `false` makes a secret key plain, the one way to (the version records it).
   */
  set?: Record<string, { value: string; secret?: boolean }>;
  unset?: string[];
  /** Files to set, keeping an existing file's secrecy (new files are plain); null removes the file. */
  files?: Record<string, string | null>;
  /** Files to set as secrets. */
  secretFiles?: Record<string, string>;
  /** Files to set as plain files: the one way to make a secret file plain (the version records it). */
  plainFiles?: Record<string, string>;
  author: string;
  message?: string;
}

/** One difference between two versions. Secret contents are never included, only MASK. */
export interface ConfigDiffEntry {
  kind: 'value' | 'file';
  key: string;
  change: 'added' | 'removed' | 'changed';
  from?: string;
  to?: string;
  secret: boolean;
  /** A changed entry whose secrecy changed: a secret made plain, or a plain one made secret. */
  secrecy?: 'madePlain' | 'madeSecret';
}

/** A version with secrets decrypted: for the renderer only, never for an API response. */
export interface ResolvedConfig {
  version: number;
  values: Record<string, { value: string; secret: boolean }>;
  files: Record<string, { content: string; secret: boolean }>;
}

/** Operations on the config sets of every (app, env). */
export interface ConfigSets {
  /** The latest version's metadata; version 0 when there is none. */
  current(app: string, env: string): Promise<ConfigVersionInfo>;
  /** A version (the latest when omitted), masked. NotFoundError for a version that does not exist. */
  get(app: string, env: string, version?: number): Promise<ConfigView>;
  /** Applies a change as a new version; ConflictError if `baseVersion` is not the latest. */
  write(app: string, env: string, change: ConfigChange): Promise<ConfigVersionInfo>;
  /**
   * A new version with version `to`'s content (values, files and secrets as they were), e.g. to
   * return to the values a release runs after a failed deploy rolled back. ConflictError for a stale
   * `baseVersion`; ValidationError when the latest version already has that content.
   */
  revert(app: string, env: string, req: ConfigRevert): Promise<ConfigVersionInfo>;
  /** Every version, newest first. */
  history(app: string, env: string): Promise<ConfigVersionInfo[]>;
  /** What changed from one version to another (0 is the empty set), secrets masked. */
  diff(app: string, env: string, from: number, to: number): Promise<ConfigDiffEntry[]>;
  /** A version with secrets decrypted, for rendering. */
  resolve(app: string, env: string, version: number): Promise<ResolvedConfig>;
  /**
   * What `change` would make of the latest version, written nowhere: the would-be next version
   * (decrypted, for rendering a plan) and its differences from the latest, secrets masked.
   * ConflictError when `baseVersion` is given and stale, ValidationError as `write` would.
   */
  preview(
    app: string,
    env: string,
    change: ConfigPreview,
  ): Promise<{ resolved: ResolvedConfig; diff: ConfigDiffEntry[] }>;
  /** Copies every app's (or some apps') current config from one environment to another (configCopy.ts). */
  copyEnvironment(req: ConfigCopyRequest): Promise<AppConfigCopy[]>;
  /** Each app's current config difference from environment `from` to `to`, secrets by digest (configCompare.ts). */
  compareEnvironments(from: string, to: string, apps?: string[]): Promise<AppConfigDiff[]>;
}

/** A change to try out: a ConfigChange without author or message, its base optional. */
export type ConfigPreview = Omit<ConfigChange, 'author' | 'message' | 'baseVersion'> & { baseVersion?: number };

/** What `revert` takes: the version whose content to restore, based on the latest the writer saw. */
export interface ConfigRevert {
  to: number;
  /** The version the writer last saw; omitted: whatever is latest. */
  baseVersion?: number;
  author: string;
  message?: string;
}

interface LoadedVersion {
  row: ConfigVersionRow | undefined;
  snapshot: Snapshot;
}

/** Creates the config-set operations over the store and the home's secret box. */
export function createConfigSets(db: Kysely<Database>, box: SecretBox): ConfigSets {
  const where = (app: string, env: string, version: number): string => `${app}/${env} v${version}`;

  const latestVersion = async (q: Kysely<Database>, app: string, env: string): Promise<number> => {
    const row = await q
      .selectFrom('config_versions')
      .select((eb) => eb.fn.max('version').as('latest'))
      .where('app', '=', app)
      .where('env', '=', env)
      .executeTakeFirst();
    return row?.latest ?? 0;
  };

  const load = async (
    q: Kysely<Database>,
    app: string,
    env: string,
    version: number,
  ): Promise<LoadedVersion | undefined> => {
    if (version === 0) return { row: undefined, snapshot: emptySnapshot() };
    const row = await q
      .selectFrom('config_versions')
      .selectAll()
      .where('app', '=', app)
      .where('env', '=', env)
      .where('version', '=', version)
      .executeTakeFirst();
    return row ? { row, snapshot: parseEntries(row.entries, where(app, env, version)) } : undefined;
  };

  const loadOrThrow = async (app: string, env: string, version: number): Promise<LoadedVersion> => {
    checkVersionArg(version);
    const loaded = await load(db, app, env, version);
    if (loaded) return loaded;
    const latest = await latestVersion(db, app, env);
    throw new NotFoundError(`config version ${version} of ${app}/${env} does not exist (latest is ${latest})`, {
      details: { app, env, version, latest },
    });
  };

  const info = (app: string, env: string, loaded: LoadedVersion, previous: Snapshot): ConfigVersionInfo => ({
    app,
    env,
    version: loaded.row?.version ?? 0,
    author: loaded.row?.author ?? null,
    message: loaded.row?.message ?? null,
    createdAt: loaded.row?.created_at ?? null,
    summary: summarize(compareSnapshots(previous, loaded.snapshot, box)),
  });

  const infoOf = async (app: string, env: string, loaded: LoadedVersion): Promise<ConfigVersionInfo> => {
    const version = loaded.row?.version ?? 0;
    const previous = version > 1 ? await load(db, app, env, version - 1) : undefined;
    return info(app, env, loaded, previous?.snapshot ?? emptySnapshot());
  };

  return {
    async current(app, env) {
      const latest = await latestVersion(db, app, env);
      return infoOf(app, env, await loadOrThrow(app, env, latest));
    },

    async get(app, env, version) {
      const loaded = await loadOrThrow(app, env, version ?? (await latestVersion(db, app, env)));
      const { values, files } = loaded.snapshot;
      return {
        ...(await infoOf(app, env, loaded)),
        values: Object.fromEntries(
          sortedEntries(values).map(([k, v]) => [k, { value: masked(v), secret: isSecret(v) }]),
        ),
        files: Object.fromEntries(
          sortedEntries(files).map(([k, f]) => [
            k,
            { content: masked(f), secret: isSecret(f), size: Buffer.byteLength(plainOf(f, box)) },
          ]),
        ),
      };
    },

    async write(app, env, change) {
      const problems = validateChange(change);
      if (problems.length > 0) throw new ValidationError(`invalid config change for ${app}/${env}`, problems);
      try {
        // BEGIN IMMEDIATE (see store/dialect.ts): the latest version read here cannot move
        // before this transaction commits, in this process or any other.
        return await db.transaction().execute(async (trx) => {
          const latest = await latestVersion(trx, app, env);
          if (latest !== change.baseVersion) throw staleWrite(app, env, change.baseVersion, latest);
          const before = (await load(trx, app, env, latest))?.snapshot ?? emptySnapshot();
          const after = applyChange(before, change, box);
          const changes = compareSnapshots(before, after, box);
          if (changes.length === 0) {
            throw new ValidationError(NOTHING_TO_CHANGE, [
              { path: '', message: `the change leaves the config of ${app}/${env} as it is in version ${latest}` },
            ]);
          }
          const row: ConfigVersionRow = {
            app,
            env,
            version: latest + 1,
            author: change.author,
            message: change.message ?? null,
            created_at: new Date().toISOString(),
            entries: serializeEntries(after),
          };
          await trx.insertInto('config_versions').values(row).execute();
          return info(app, env, { row, snapshot: after }, before);
        });
      } catch (err) {
        // Only reachable if something bypassed the immediate transaction; still a conflict, not a crash.
        if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          const latest = await latestVersion(db, app, env);
          throw staleWrite(app, env, change.baseVersion, latest);
        }
        throw err;
      }
    },

    async revert(app, env, req) {
      const target = await loadOrThrow(app, env, req.to);
      return db.transaction().execute(async (trx) => {
        const latest = await latestVersion(trx, app, env);
        if (req.baseVersion !== undefined && latest !== req.baseVersion)
          throw staleWrite(app, env, req.baseVersion, latest);
        const before = (await load(trx, app, env, latest))?.snapshot ?? emptySnapshot();
        // The stored entries are copied as they are: secrets stay sealed, never decrypted here.
        const after = target.snapshot;
        if (compareSnapshots(before, after, box).length === 0) {
          throw new ValidationError(NOTHING_TO_CHANGE, [
            { path: 'to', message: `version ${latest} of ${app}/${env} already has the content of version ${req.to}` },
          ]);
        }
        const row: ConfigVersionRow = {
          app,
          env,
          version: latest + 1,
          author: req.author,
          message: req.message ?? `revert to version ${req.to}`,
          created_at: new Date().toISOString(),
          entries: serializeEntries(after),
        };
        await trx.insertInto('config_versions').values(row).execute();
        return info(app, env, { row, snapshot: after }, before);
      });
    },

    async history(app, env) {
      const rows = await db
        .selectFrom('config_versions')
        .selectAll()
        .where('app', '=', app)
        .where('env', '=', env)
        .orderBy('version', 'asc')
        .execute();
      let previous = emptySnapshot();
      const infos: ConfigVersionInfo[] = [];
      for (const row of rows) {
        const snapshot = parseEntries(row.entries, where(app, env, row.version));
        infos.push(info(app, env, { row, snapshot }, previous));
        previous = snapshot;
      }
      return infos.reverse();
    },

    async diff(app, env, from, to) {
      const before = await loadOrThrow(app, env, from);
      const after = await loadOrThrow(app, env, to);
      return compareSnapshots(before.snapshot, after.snapshot, box).map(toDiffEntry);
    },

    async resolve(app, env, version) {
      const { snapshot } = await loadOrThrow(app, env, version);
      return resolved(snapshot, version, box);
    },

    async preview(app, env, change) {
      const problems = validateChange({ ...change, baseVersion: change.baseVersion ?? 0, author: 'preview' });
      if (problems.length > 0) throw new ValidationError(`invalid config change for ${app}/${env}`, problems);
      const latest = await latestVersion(db, app, env);
      if (change.baseVersion !== undefined && change.baseVersion !== latest)
        throw staleWrite(app, env, change.baseVersion, latest);
      const before = (await load(db, app, env, latest))?.snapshot ?? emptySnapshot();
      const after = applyChange(before, { ...change, baseVersion: latest, author: 'preview' }, box);
      return {
        resolved: resolved(after, latest + 1, box),
        diff: compareSnapshots(before, after, box).map(toDiffEntry),
      };
    },

    copyEnvironment: (req) => copyConfigSets(db, box, req),
    compareEnvironments: (from, to, apps) => compareEnvironmentConfigs(db, box, from, to, apps),
  };
}

function resolved(snapshot: Snapshot, version: number, box: SecretBox): ResolvedConfig {
  return {
    version,
    values: Object.fromEntries(
      sortedEntries(snapshot.values).map(([k, v]) => [k, { value: plainOf(v, box), secret: isSecret(v) }]),
    ),
    files: Object.fromEntries(
      sortedEntries(snapshot.files).map(([k, f]) => [k, { content: plainOf(f, box), secret: isSecret(f) }]),
    ),
  };
}

/** The snapshot after `change`; ValidationError for unsetting or removing what is not there. */
function applyChange(before: Snapshot, change: ConfigChange, box: SecretBox): Snapshot {
  const after: Snapshot = { values: new Map(before.values), files: new Map(before.files) };
  const problems: Problem[] = [];

  for (const [key, { value, secret }] of Object.entries(change.set ?? {})) {
    const existing = before.values.get(key);
    const asSecret = secret ?? (existing !== undefined && isSecret(existing));
    after.values.set(key, asSecret ? sealed(existing, value, box) : { value });
  }
  for (const key of change.unset ?? []) {
    if (!after.values.delete(key)) problems.push({ path: `unset.${key}`, message: `${key} is not set` });
  }
  for (const [file, content] of Object.entries(change.files ?? {})) {
    const existing = before.files.get(file);
    // A secret file stays secret: only plainFiles makes it plain.
    if (content !== null)
      after.files.set(
        file,
        existing !== undefined && isSecret(existing) ? sealed(existing, content, box) : { content },
      );
    else if (!after.files.delete(file))
      problems.push({ path: `files.${file}`, message: `there is no file ${file} to remove` });
  }
  for (const [file, content] of Object.entries(change.secretFiles ?? {})) {
    after.files.set(file, sealed(before.files.get(file), content, box));
  }
  for (const [file, content] of Object.entries(change.plainFiles ?? {})) after.files.set(file, { content });

  if (problems.length > 0) throw new ValidationError('invalid config change', problems);
  return after;
}

/** Encrypts `plain`, reusing the existing ciphertext when it already holds the same secret. */
function sealed(existing: Stored | undefined, plain: string, box: SecretBox): { secret: string } {
  if (existing !== undefined && isSecret(existing) && box.decrypt(existing.secret) === plain) return existing;
  return { secret: box.encrypt(plain) };
}

function masked(entry: Stored): string {
  if (isSecret(entry)) return MASK;
  return 'value' in entry ? entry.value : entry.content;
}

function toDiffEntry(c: SnapshotChange): ConfigDiffEntry {
  // A key that is secret on either side is masked on both: its plain side may be the same text.
  const secret = (c.before !== undefined && isSecret(c.before)) || (c.after !== undefined && isSecret(c.after));
  const show = (entry: Stored | undefined): string | undefined =>
    entry === undefined ? undefined : secret ? MASK : masked(entry);
  const from = show(c.before);
  const to = show(c.after);
  return {
    kind: c.kind,
    key: c.key,
    change: c.change,
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    secret,
    ...(secrecyChange(c) ? { secrecy: secrecyChange(c) } : {}),
  };
}

/** Whether a changed entry went from secret to plain or back. */
function secrecyChange(c: SnapshotChange): ConfigDiffEntry['secrecy'] {
  if (c.before === undefined || c.after === undefined || isSecret(c.before) === isSecret(c.after)) return undefined;
  return isSecret(c.before) ? 'madePlain' : 'madeSecret';
}

function summarize(changes: SnapshotChange[]): ConfigChangeSummary {
  const summary: Required<ConfigChangeSummary> = {
    added: [],
    changed: [],
    removed: [],
    madePlain: [],
    madeSecret: [],
  };
  for (const c of changes) {
    const name = configKeyOf(c);
    summary[c.change].push(name);
    const secrecy = secrecyChange(c);
    if (secrecy) summary[secrecy].push(name);
  }
  return summary;
}

function staleWrite(app: string, env: string, base: number, current: number): ConflictError {
  const message =
    base < current
      ? `config of ${app}/${env} changed since version ${base} (now ${current}); fetch it again and retry`
      : `config of ${app}/${env} is at version ${current}, not ${base}; fetch it again and retry`;
  return new ConflictError(message, { details: { current, base } });
}

function checkVersionArg(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new ValidationError('invalid config version', [
      { path: 'version', message: `must be a non-negative integer, got ${version}` },
    ]);
  }
}
