/**
 * Silences: for a while, the notifications of an app's alerts (all of them, one rule's, one
 * service's) are not sent. Alerts still change state while silenced — `berth alerts` shows them —
 * only what would have been sent is dropped, as Alertmanager's silences do.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Database } from '../store/schema.js';
import { dnsLabel } from '../spec/dnsLabel.js';
import { durationMs } from '../spec/units.js';
import { zodProblems } from '../zodProblems.js';

/** The body of POST …/alerts/silences. */
export const SilenceInput = z
  .object({
    rule: dnsLabel().optional().describe('Only this rule (default: every rule of the app)'),
    service: dnsLabel().optional().describe('Only this service (default: every service)'),
    for: durationMs({ positive: true }).describe('How long from now, e.g. `2h`'),
    comment: z.string().max(1024).optional().describe('Why'),
  })
  .strict();

/** A silence. */
export interface Silence {
  id: number;
  app: string;
  env: string;
  rule?: string;
  service?: string;
  startsAt: string;
  endsAt: string;
  comment?: string;
  createdBy: string;
  createdAt: string;
}

export interface Silences {
  /** Creates a silence from an API body; a ValidationError naming every bad field. */
  create(app: string, env: string, body: unknown, by: string): Promise<Silence>;
  /** The silences of an app in an environment that have not ended. */
  active(app: string, env: string): Promise<Silence[]>;
  /** Ends a silence now; NotFoundError when there is none. */
  expire(app: string, env: string, id: number): Promise<void>;
  /** Whether a notification of this alert is silenced at `nowMs`. */
  silenced(a: { app: string; env: string; rule: string; service?: string }, nowMs: number): Promise<boolean>;
}

export function createSilences(db: Kysely<Database>, now: () => number = Date.now): Silences {
  type Row = Awaited<ReturnType<typeof rowsOf>>[number];
  const rowsOf = (app: string, env: string, atIso: string) =>
    db
      .selectFrom('alert_silences')
      .selectAll()
      .where('app', '=', app)
      .where('env', '=', env)
      .where('ends_at', '>', atIso)
      .orderBy('id')
      .execute();
  const silenceOf = (r: Row): Silence => ({
    id: r.id,
    app: r.app,
    env: r.env,
    ...(r.rule !== null ? { rule: r.rule } : {}),
    ...(r.service !== null ? { service: r.service } : {}),
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    ...(r.comment !== null ? { comment: r.comment } : {}),
    createdBy: r.created_by,
    createdAt: r.created_at,
  });
  return {
    async create(app, env, body, by) {
      const parsed = SilenceInput.safeParse(body);
      if (!parsed.success) throw new ValidationError('invalid silence', zodProblems(parsed.error, 'request body'));
      const at = now();
      const row = {
        app,
        env,
        rule: parsed.data.rule ?? null,
        service: parsed.data.service ?? null,
        starts_at: new Date(at).toISOString(),
        ends_at: new Date(at + parsed.data.for).toISOString(),
        comment: parsed.data.comment ?? null,
        created_by: by,
        created_at: new Date(at).toISOString(),
      };
      const { id } = await db.insertInto('alert_silences').values(row).returning('id').executeTakeFirstOrThrow();
      return silenceOf({ ...row, id });
    },
    async active(app, env) {
      return (await rowsOf(app, env, new Date(now()).toISOString())).map(silenceOf);
    },
    async expire(app, env, id) {
      const at = new Date(now()).toISOString();
      const r = await db
        .updateTable('alert_silences')
        .set({ ends_at: at })
        .where('app', '=', app)
        .where('env', '=', env)
        .where('id', '=', id)
        .where('ends_at', '>', at)
        .executeTakeFirst();
      if (r.numUpdatedRows === 0n)
        throw new NotFoundError(`${app} has no active silence ${id} in ${env}`, { details: { app, env, id } });
    },
    async silenced(a, nowMs) {
      const rows = await rowsOf(a.app, a.env, new Date(nowMs).toISOString());
      const at = new Date(nowMs).toISOString();
      return rows.some(
        (r) =>
          r.starts_at <= at &&
          (r.rule === null || r.rule === a.rule) &&
          (r.service === null || r.service === a.service),
      );
    },
  };
}
