/**
 * The stored form of one config version (`config_versions.entries`) and comparisons between
 * versions. Secrets stay encrypted here; comparing two secrets decrypts them only in memory.
 */
import { InternalError } from '../errors.js';
import type { SecretBox } from './secretBox.js';

/** A stored value: plain, or a secret encrypted by SecretBox (`v1:...`). */
export type StoredValue = { value: string } | { secret: string };
/** A stored config file: plain content, or secret content encrypted by SecretBox. */
export type StoredFile = { content: string } | { secret: string };

/** The JSON kept in `config_versions.entries`. */
export interface ConfigEntry {
  values: Record<string, StoredValue>;
  files: Record<string, StoredFile>;
}

/**
 * A config version in memory. Maps, not objects, because keys such as `__proto__` are valid
 * config keys and must not touch a prototype.
 */
export interface Snapshot {
  values: Map<string, StoredValue>;
  files: Map<string, StoredFile>;
}

/**
 * How a config entry is named where values and files mix (change summaries, plan causes, a rendered
 * field's sources, drift): a value by its key, a file as `file:NAME`.
 */
export const configKeyOf = (e: { kind: 'value' | 'file'; key: string }): string =>
  e.kind === 'file' ? `file:${e.key}` : e.key;

/** Whether an entry is secret. */
export type Stored = StoredValue | StoredFile;

/** One key or file that differs between two snapshots. */
export interface SnapshotChange {
  kind: 'value' | 'file';
  key: string;
  change: 'added' | 'removed' | 'changed';
  before?: Stored;
  after?: Stored;
}

/** The empty config of version 0. */
export function emptySnapshot(): Snapshot {
  return { values: new Map(), files: new Map() };
}

/** True when the entry holds an encrypted secret. */
export function isSecret(entry: Stored): entry is { secret: string } {
  return 'secret' in entry;
}

/** The plaintext of an entry, decrypting secrets. */
export function plainOf(entry: Stored, box: SecretBox): string {
  if (isSecret(entry)) return box.decrypt(entry.secret);
  return 'value' in entry ? entry.value : entry.content;
}

/** Parses `config_versions.entries`; `where` names the row in the error of a corrupt one. */
export function parseEntries(json: string, where: string): Snapshot {
  const corrupt = (why: string): InternalError => new InternalError(`stored config ${where} is corrupt: ${why}`);
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw corrupt(err instanceof Error ? err.message : String(err));
  }
  if (!isObject(raw) || !isObject(raw.values) || !isObject(raw.files)) throw corrupt('expected {values, files}');
  const snapshot = emptySnapshot();
  for (const [key, v] of Object.entries(raw.values)) {
    if (isObject(v) && typeof v.value === 'string') snapshot.values.set(key, { value: v.value });
    else if (isObject(v) && typeof v.secret === 'string') snapshot.values.set(key, { secret: v.secret });
    else throw corrupt(`values.${key} is neither {value} nor {secret}`);
  }
  for (const [file, v] of Object.entries(raw.files)) {
    if (isObject(v) && typeof v.content === 'string') snapshot.files.set(file, { content: v.content });
    else if (isObject(v) && typeof v.secret === 'string') snapshot.files.set(file, { secret: v.secret });
    else throw corrupt(`files.${file} is neither {content} nor {secret}`);
  }
  return snapshot;
}

/** Serializes a snapshot as ConfigEntry JSON, keys sorted so equal snapshots give equal text. */
export function serializeEntries(snapshot: Snapshot): string {
  const entry: ConfigEntry = {
    values: Object.fromEntries(sortedEntries(snapshot.values)),
    files: Object.fromEntries(sortedEntries(snapshot.files)),
  };
  return JSON.stringify(entry);
}

/** True when both entries have the same secrecy and the same plaintext. */
export function sameEntry(a: Stored, b: Stored, box: SecretBox): boolean {
  if (isSecret(a) !== isSecret(b)) return false;
  if (isSecret(a) && isSecret(b) && a.secret === b.secret) return true;
  return plainOf(a, box) === plainOf(b, box);
}

/** Every value, then every file, that differs from `before` to `after`, each sorted by key. */
export function compareSnapshots(before: Snapshot, after: Snapshot, box: SecretBox): SnapshotChange[] {
  return [
    ...compareMaps('value', before.values, after.values, box),
    ...compareMaps('file', before.files, after.files, box),
  ];
}

function compareMaps(
  kind: 'value' | 'file',
  before: Map<string, Stored>,
  after: Map<string, Stored>,
  box: SecretBox,
): SnapshotChange[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort(byCodePoint);
  const changes: SnapshotChange[] = [];
  for (const key of keys) {
    const a = before.get(key);
    const b = after.get(key);
    if (a === undefined && b !== undefined) changes.push({ kind, key, change: 'added', after: b });
    else if (a !== undefined && b === undefined) changes.push({ kind, key, change: 'removed', before: a });
    else if (a !== undefined && b !== undefined && !sameEntry(a, b, box))
      changes.push({ kind, key, change: 'changed', before: a, after: b });
  }
  return changes;
}

/** Map entries sorted by key. */
export function sortedEntries<T>(map: Map<string, T>): [string, T][] {
  return [...map.entries()].sort(([a], [b]) => byCodePoint(a, b));
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
