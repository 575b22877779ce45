/**
 * The alert rules of each app and environment in the main store. A rule is written whole (PUT):
 * its spec as JSON, its channels encrypted with the secret box, since chat robots carry their token
 * in the URL and signing secrets are secrets. Reads for people (`view`) never show either.
 */
import type { Kysely } from 'kysely';
import type { SecretBox } from '../config/secretBox.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { formatDuration } from '../model/durations.js';
import type { Database } from '../store/schema.js';
import { zodProblems } from '../zodProblems.js';
import { Channel, channelView, type ChannelView } from './channel.js';
import { AlertRuleInput, type AlertRule, type AlertRuleSpec } from './rule.js';

/** A rule as the API shows it: `for` as a duration, channels without their credentials. */
export interface AlertRuleView extends Omit<AlertRule, 'for' | 'notify'> {
  for: string;
  notify: ChannelView[];
}

/** The rules of every app and environment. */
export interface AlertRules {
  /** Every rule of an app in an environment, by name. */
  list(app: string, env: string): Promise<AlertRule[]>;
  /** Every rule of every app (for the evaluator). */
  all(): Promise<AlertRule[]>;
  /** One rule; NotFoundError when there is none. */
  get(app: string, env: string, name: string): Promise<AlertRule>;
  /** Creates or replaces a rule from an API body; `created` tells which. */
  put(app: string, env: string, name: string, body: unknown): Promise<{ rule: AlertRule; created: boolean }>;
  /** Deletes a rule; NotFoundError when there is none. */
  delete(app: string, env: string, name: string): Promise<void>;
}

/** Checks a rule body: the rule, or a ValidationError naming every bad field of the body. */
export function parseAlertRule(body: unknown, where = 'request body'): AlertRuleSpec {
  const parsed = AlertRuleInput.safeParse(body);
  if (!parsed.success) throw new ValidationError('invalid alert rule', zodProblems(parsed.error, where));
  return parsed.data;
}

/** A rule of a file before it is applied, as people see it. */
export type AlertRulePreview = Omit<AlertRuleView, 'app' | 'env' | 'createdAt' | 'updatedAt'>;

/** What a rule of a file would be, shown as `ruleView` shows a stored one. */
export function rulePreview(name: string, spec: AlertRuleSpec): AlertRulePreview {
  return { name, ...spec, for: formatDuration(spec.for), notify: spec.notify.map(channelView) };
}

/** A rule as people see it. */
export function ruleView(r: AlertRule): AlertRuleView {
  return { ...r, for: formatDuration(r.for), notify: r.notify.map(channelView) };
}

/** The alert rules in `db`, channels sealed with `box`. */
export function createAlertRules(db: Kysely<Database>, box: SecretBox, now: () => Date = () => new Date()): AlertRules {
  type Row = {
    app: string;
    env: string;
    name: string;
    spec: string;
    channels: string;
    created_at: string;
    updated_at: string;
  };
  const ruleOf = (row: Row): AlertRule => ({
    ...(JSON.parse(row.spec) as Omit<AlertRuleSpec, 'notify'>),
    notify: Channel.array().parse(JSON.parse(box.decrypt(row.channels))),
    app: row.app,
    env: row.env,
    name: row.name,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  const notFound = (app: string, env: string, name: string): NotFoundError =>
    new NotFoundError(`${app} has no alert rule "${name}" in ${env}`, { details: { app, env, rule: name } });

  return {
    async list(app, env) {
      const rows = await db
        .selectFrom('alert_rules')
        .selectAll()
        .where('app', '=', app)
        .where('env', '=', env)
        .orderBy('name')
        .execute();
      return rows.map(ruleOf);
    },
    async all() {
      return (
        await db.selectFrom('alert_rules').selectAll().orderBy('app').orderBy('env').orderBy('name').execute()
      ).map(ruleOf);
    },
    async get(app, env, name) {
      const row = await db
        .selectFrom('alert_rules')
        .selectAll()
        .where('app', '=', app)
        .where('env', '=', env)
        .where('name', '=', name)
        .executeTakeFirst();
      if (!row) throw notFound(app, env, name);
      return ruleOf(row);
    },
    async put(app, env, name, body) {
      const { notify, ...spec } = parseAlertRule(body);
      const at = now().toISOString();
      const channels = box.encrypt(JSON.stringify(notify));
      return db.transaction().execute(async (tx) => {
        const existing = await tx
          .selectFrom('alert_rules')
          .select('created_at')
          .where('app', '=', app)
          .where('env', '=', env)
          .where('name', '=', name)
          .executeTakeFirst();
        if (existing)
          await tx
            .updateTable('alert_rules')
            .set({ spec: JSON.stringify(spec), channels, updated_at: at })
            .where('app', '=', app)
            .where('env', '=', env)
            .where('name', '=', name)
            .execute();
        else
          await tx
            .insertInto('alert_rules')
            .values({ app, env, name, spec: JSON.stringify(spec), channels, created_at: at, updated_at: at })
            .execute();
        const rule: AlertRule = {
          ...spec,
          notify,
          app,
          env,
          name,
          createdAt: existing?.created_at ?? at,
          updatedAt: at,
        };
        return { rule, created: !existing };
      });
    },
    async delete(app, env, name) {
      const r = await db
        .deleteFrom('alert_rules')
        .where('app', '=', app)
        .where('env', '=', env)
        .where('name', '=', name)
        .executeTakeFirst();
      if (r.numDeletedRows === 0n) throw notFound(app, env, name);
    },
  };
}
