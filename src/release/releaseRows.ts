/**
 * A release row as the release records read it for a `Release`: every column but the two large JSON
 * documents (`spec`, `rendered`), which only `Releases.content` parses. Reading them for every
 * `current`/`active` read allocated the whole rendered app (hundreds of KB for 100 services) at each
 * read, twice a second at idle (the cron scheduler and the autoscaler).
 */
import type { Selectable } from 'kysely';
import type { Database } from '../store/schema.js';
import type { ReleaseKind, ReleaseStatus, StepStatus } from '../model/releaseStatus.js';
import { reasonOf, releaseMessageOf, stepMessageOf } from './storedMessages.js';
import type { CancelRequest, Release, ReleaseOptions, StepProgress } from './releaseTypes.js';

/** The columns of `releases` a `Release` is made of. */
export const RELEASE_COLUMNS = [
  'id',
  'app',
  'env',
  'revision',
  'kind',
  'status',
  'reason',
  'spec_digest',
  'spec_file',
  'config_version',
  'source_revision',
  'author',
  'message',
  'created_at',
  'started_at',
  'finished_at',
  'rollback_policy',
  'options',
  'cancel_request',
] as const;

/** One row of RELEASE_COLUMNS. */
export type ReleaseRow = Pick<Selectable<Database['releases']>, (typeof RELEASE_COLUMNS)[number]>;
type StepRow = Selectable<Database['release_steps']>;

/** The `Release` of a row and its steps (ordered by level, then service). */
export function releaseOf(row: ReleaseRow, steps: StepRow[]): Release {
  return {
    id: row.id,
    app: row.app,
    env: row.env,
    revision: row.revision,
    kind: row.kind as ReleaseKind,
    status: row.status as ReleaseStatus,
    ...reasonOf(row.reason),
    specDigest: row.spec_digest,
    specFile: row.spec_file,
    configVersion: row.config_version,
    sourceRevision: row.source_revision,
    rollbackPolicy: row.rollback_policy as 'auto' | 'none',
    options: JSON.parse(row.options) as ReleaseOptions,
    cancelRequest: row.cancel_request ? (JSON.parse(row.cancel_request) as CancelRequest) : null,
    author: row.author,
    ...releaseMessageOf(row.message),
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    steps: steps.map((s) => ({
      service: s.service,
      level: s.level,
      status: s.status as StepStatus,
      ...stepMessageOf(s.message),
      startedAt: s.started_at,
      finishedAt: s.finished_at,
      ...(s.progress ? { progress: JSON.parse(s.progress) as StepProgress } : {}),
    })),
  };
}
