/**
 * Where each alert instance stands, kept in the store so a restarted control plane goes on from
 * there: a firing alert resolves (with its original startsAt) instead of being forgotten, and does
 * not fire a second time. The evaluator saves a state after writing its notification to the outbox,
 * so a kill between the two sends a notification twice at worst, never loses one.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { AlertState } from './alertState.js';

/** One saved instance. */
export interface SavedState {
  app: string;
  env: string;
  rule: string;
  /** '' for an alert of the whole app. */
  service: string;
  ruleVersion: string;
  state: AlertState;
}

export interface AlertStateStore {
  all(): Promise<SavedState[]>;
  save(s: SavedState): Promise<void>;
  remove(key: { app: string; env: string; rule: string; service?: string }): Promise<void>;
}

export function createAlertStateStore(db: Kysely<Database>): AlertStateStore {
  return {
    async all() {
      const rows = await db.selectFrom('alert_states').selectAll().execute();
      return rows.map((r) => ({
        app: r.app,
        env: r.env,
        rule: r.rule,
        service: r.service,
        ruleVersion: r.rule_version,
        state: JSON.parse(r.state) as AlertState,
      }));
    },
    async save(s) {
      const values = {
        app: s.app,
        env: s.env,
        rule: s.rule,
        service: s.service,
        rule_version: s.ruleVersion,
        state: JSON.stringify(s.state),
      };
      await db
        .insertInto('alert_states')
        .values(values)
        .onConflict((oc) =>
          oc
            .columns(['app', 'env', 'rule', 'service'])
            .doUpdateSet({ rule_version: values.rule_version, state: values.state }),
        )
        .execute();
    },
    async remove(k) {
      let q = db
        .deleteFrom('alert_states')
        .where('app', '=', k.app)
        .where('env', '=', k.env)
        .where('rule', '=', k.rule);
      if (k.service !== undefined) q = q.where('service', '=', k.service);
      await q.execute();
    },
  };
}
