/**
 * Every migration, by name, imported in code rather than found on disk, so the same list runs
 * from `dist/`, from sources under test, and from a bundle. Names sort in the order they run.
 */
import type { Migration } from 'kysely';
import * as m001 from './001_initial.js';
import * as m002 from './002_release_progress.js';
import * as m003 from './003_release_options.js';
import * as m004 from './004_job_runs.js';
import * as m005 from './005_alerts.js';
import * as m006 from './006_alert_history.js';
import * as m007 from './007_builds.js';
import * as m008 from './008_pipelines.js';
import * as m009 from './009_hook_deliveries.js';
import * as m010 from './010_previews.js';
import * as m011 from './011_identity.js';
import * as m012 from './012_approvals.js';
import * as m013 from './013_audit.js';
import * as m014 from './014_sso.js';

/** All migrations this version of Berth knows, keyed by name. */
export const migrations: Readonly<Record<string, Migration>> = {
  '001_initial': m001,
  '002_release_progress': m002,
  '003_release_options': m003,
  '004_job_runs': m004,
  '005_alerts': m005,
  '006_alert_history': m006,
  '007_builds': m007,
  '008_pipelines': m008,
  '009_hook_deliveries': m009,
  '010_previews': m010,
  '011_identity': m011,
  '012_approvals': m012,
  '013_audit': m013,
  '014_sso': m014,
};
