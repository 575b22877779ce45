/**
 * The config difference of an app between two environments (`berth env diff`, and what a promotion
 * shows before it runs): plain values shown, plain files by their SHA-256, secrets (values and files)
 * compared by the secret box's keyed digest — the one revisions record — and never shown, not even
 * their digests.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { emptySnapshot, isSecret, parseEntries, plainOf, type Stored } from './entries.js';
import type { SecretBox } from './secretBox.js';

/** One key or file that differs. `added`: only in the second environment; `removed`: only in the first. */
export interface EnvConfigDiffEntry {
  kind: 'value' | 'file';
  key: string;
  change: 'added' | 'removed' | 'changed';
  /** Secret in either environment: then no value, hash or digest is given. */
  secret: boolean;
  /** A plain value as it is in the first / second environment. */
  from?: string;
  to?: string;
  /** A plain file's SHA-256 (hex) and size in bytes in the first / second environment. */
  fromHash?: string;
  toHash?: string;
  fromSize?: number;
  toSize?: number;
  /** The key is secret in one environment and plain in the other. */
  secrecy?: 'secretInFrom' | 'secretInTo';
}

/** One app's difference. */
export interface AppConfigDiff {
  app: string;
  from: string;
  to: string;
  /** The compared versions (0: no config there). */
  fromVersion: number;
  toVersion: number;
  entries: EnvConfigDiffEntry[];
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

/** The latest version and its snapshot of every app with config in `env`. */
async function latestOf(db: Kysely<Database>, env: string) {
  const rows = await db
    .selectFrom('config_versions as c')
    .selectAll('c')
    .where('c.env', '=', env)
    .where(({ eb, selectFrom }) =>
      eb(
        'c.version',
        '=',
        selectFrom('config_versions as d')
          .select((e) => e.fn.max('d.version').as('v'))
          .whereRef('d.app', '=', 'c.app')
          .where('d.env', '=', env),
      ),
    )
    .execute();
  return new Map(
    rows.map((r) => [
      r.app,
      { version: r.version, snapshot: parseEntries(r.entries, `${r.app}/${env} v${r.version}`) },
    ]),
  );
}

/**
 * The difference of each app's current config from environment `from` to `to`: every app with config
 * in either, or only `apps` (an app with config in neither compares two empty sets).
 */
export async function compareEnvironmentConfigs(
  db: Kysely<Database>,
  box: SecretBox,
  from: string,
  to: string,
  apps?: string[],
): Promise<AppConfigDiff[]> {
  const [a, b] = await Promise.all([latestOf(db, from), latestOf(db, to)]);
  const names = apps ? [...new Set(apps)] : [...new Set([...a.keys(), ...b.keys()])];
  return names.sort().map((app) => {
    const before = a.get(app) ?? { version: 0, snapshot: emptySnapshot() };
    const after = b.get(app) ?? { version: 0, snapshot: emptySnapshot() };
    return {
      app,
      from,
      to,
      fromVersion: before.version,
      toVersion: after.version,
      entries: [
        ...compareKind('value', before.snapshot.values, after.snapshot.values, box),
        ...compareKind('file', before.snapshot.files, after.snapshot.files, box),
      ],
    };
  });
}

function compareKind(
  kind: 'value' | 'file',
  before: Map<string, Stored>,
  after: Map<string, Stored>,
  box: SecretBox,
): EnvConfigDiffEntry[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const out: EnvConfigDiffEntry[] = [];
  for (const key of keys) {
    const x = before.get(key);
    const y = after.get(key);
    const secret = (x !== undefined && isSecret(x)) || (y !== undefined && isSecret(y));
    if (x !== undefined && y !== undefined) {
      // Secrets by the keyed digest of their plaintext (two sealings of one secret differ as ciphertext).
      const same =
        isSecret(x) === isSecret(y) &&
        (secret ? box.digest(plainOf(x, box)) === box.digest(plainOf(y, box)) : plainOf(x, box) === plainOf(y, box));
      if (same) continue;
    }
    const change = x === undefined ? 'added' : y === undefined ? 'removed' : 'changed';
    const entry: EnvConfigDiffEntry = { kind, key, change, secret };
    if (x !== undefined && y !== undefined && isSecret(x) !== isSecret(y))
      entry.secrecy = isSecret(x) ? 'secretInFrom' : 'secretInTo';
    if (!secret) {
      if (kind === 'value') {
        if (x !== undefined) entry.from = plainOf(x, box);
        if (y !== undefined) entry.to = plainOf(y, box);
      } else {
        if (x !== undefined) Object.assign(entry, { fromHash: sha256(plainOf(x, box)), fromSize: size(x, box) });
        if (y !== undefined) Object.assign(entry, { toHash: sha256(plainOf(y, box)), toSize: size(y, box) });
      }
    }
    out.push(entry);
  }
  return out;
}

const size = (s: Stored, box: SecretBox): number => Buffer.byteLength(plainOf(s, box));
