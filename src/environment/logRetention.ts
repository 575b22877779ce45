/**
 * How long and how much of an environment's log lines the control plane's log index keeps
 * (docs/logs.md, How long lines stay): a setting of the environment's target, kept as the user
 * wrote it ("72h", "5Gi") and read into milliseconds and bytes where it is applied.
 */
import { z } from 'zod';
import { parseDurationMs, parseMemoryBytes } from '../spec/units.js';
import { DEFAULT_LOG_INDEX_RETENTION, type LogIndexRetention } from '../model/logSearch.js';

const positiveDuration = (v: string): boolean => (parseDurationMs(v) ?? 0) > 0;
const positiveSize = (v: string): boolean => (parseMemoryBytes(v) ?? 0) > 0;
const maxAge = z
  .string()
  .max(32)
  .refine(positiveDuration, 'must be a duration longer than 0s, e.g. 72h, 30d is 720h')
  .describe('How long lines stay (a duration: `72h`, `90m`); default 7 days (`168h`).');
const maxSize = z
  .string()
  .max(32)
  .refine(positiveSize, 'must be a size above 0, e.g. 512Mi, 5Gi')
  .describe('How much line text stays, the oldest lines going first (a size: `512Mi`, `5Gi`); default 1 GiB.');

export const LogRetentionSetting = z
  .strictObject({ maxAge: maxAge.optional(), maxSize: maxSize.optional() })
  .describe("How long and how much of this environment's log lines the log index keeps (docs/logs.md).");
export type LogRetentionSetting = z.infer<typeof LogRetentionSetting>;

/** A change of the setting (`berth env set --log-max-age/--log-max-size`): null goes back to the default. */
export const LogRetentionChange = z
  .strictObject({ maxAge: maxAge.nullable().optional(), maxSize: maxSize.nullable().optional() })
  .describe('A change of the log retention; null: back to the default.');
export type LogRetentionChange = z.infer<typeof LogRetentionChange>;

/** The setting with a change applied; undefined when nothing is left set. */
export function changeLogRetention(
  current: LogRetentionSetting | undefined,
  change: LogRetentionChange,
): LogRetentionSetting | undefined {
  const pick = (v: string | null | undefined, was: string | undefined): string | undefined =>
    v === null ? undefined : (v ?? was);
  const maxAge = pick(change.maxAge, current?.maxAge);
  const maxSize = pick(change.maxSize, current?.maxSize);
  const next: LogRetentionSetting = {
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(maxSize !== undefined ? { maxSize } : {}),
  };
  return next.maxAge === undefined && next.maxSize === undefined ? undefined : next;
}

/** What the index applies: the setting over the defaults (`defaults` may itself come from the control plane's variables). */
export function logRetentionOf(
  setting: LogRetentionSetting | undefined,
  defaults: LogIndexRetention = DEFAULT_LOG_INDEX_RETENTION,
): LogIndexRetention {
  return {
    maxAgeMs: setting?.maxAge !== undefined ? parseDurationMs(setting.maxAge)! : defaults.maxAgeMs,
    maxBytes: setting?.maxSize !== undefined ? parseMemoryBytes(setting.maxSize)! : defaults.maxBytes,
  };
}
