/**
 * Whether the config set is ahead of the release that runs. A release runs one config version; the
 * config set moves on with every `berth config set`. After a failed release rolled back, the config
 * set still holds the values that failed, and the next deploy would deploy them again: `status` and
 * `plan` say so, with the keys that differ and the command that returns the config set to what runs
 * (`berth config revert APP --to N`). Nothing is reverted on its own: the config set is the team's
 * record of what it wants, and only a person decides to change it.
 */
import type { ConfigSets } from '../config/configSets.js';
import { configKeyOf } from '../config/entries.js';
import type { Release, Releases } from './releases.js';

/** The config set compared with the running release. */
export interface ConfigDrift {
  /** The revision that runs and the config version it runs with. */
  runningRevision: number;
  runningConfigVersion: number;
  /** The config set's latest version. */
  latestConfigVersion: number;
  /** What differs between the two: values by key, files as `file:NAME` (secrets by name only). */
  keys: string[];
  /** Revisions since the one before the running release that tried a newer config version and failed, newest first. */
  failed: { revision: number; configVersion: number; reason: string | null }[];
  /** The command that makes the config set what runs again. */
  revert: string;
}

/** The drift of `app` in `env`, or undefined when the latest config is the one that runs (or nothing runs). */
export async function configDrift(
  deps: { releases: Pick<Releases, 'current' | 'list'>; configSets: Pick<ConfigSets, 'current' | 'diff'> },
  app: string,
  env: string,
): Promise<ConfigDrift | undefined> {
  const current = await deps.releases.current(app, env);
  if (!current || current.kind === 'down') return undefined;
  const latest = (await deps.configSets.current(app, env)).version;
  if (latest === current.configVersion) return undefined;
  const keys = (await deps.configSets.diff(app, env, current.configVersion, latest)).map(configKeyOf);
  if (keys.length === 0) return undefined;
  // The failed tries since the release before the current one (an auto-rollback comes after them):
  // read newest first, in pages that grow until that release or the first one is reached.
  let failed: Release[] = [];
  for (let limit = 50; ; limit *= 4) {
    const page = await deps.releases.list(app, env, limit);
    failed = [];
    let reached = false;
    for (const r of page) {
      if (r.revision === current.revision) continue;
      if (r.status === 'succeeded') {
        reached = true;
        break;
      }
      if (r.status === 'failed' && r.configVersion > current.configVersion) failed.push(r);
    }
    if (reached || page.length < limit) break;
  }
  return {
    runningRevision: current.revision,
    runningConfigVersion: current.configVersion,
    latestConfigVersion: latest,
    keys,
    failed: failed.map((r) => ({ revision: r.revision, configVersion: r.configVersion, reason: r.reason })),
    revert: `berth config revert ${app} --env ${env} --to ${current.configVersion}`,
  };
}

/** One line for people: `config version 5 is ahead of what runs (revision 7 runs version 4): ERROR_RATE, VERSION`. */
export function driftText(d: ConfigDrift): string[] {
  const lines = [
    `config version ${d.latestConfigVersion} is ahead of what runs (revision ${d.runningRevision} runs config version ${d.runningConfigVersion}): ${d.keys.join(', ')}`,
  ];
  for (const f of d.failed)
    lines.push(
      `  revision ${f.revision} deployed config version ${f.configVersion} and failed${f.reason ? `: ${f.reason}` : ''}`,
    );
  if (d.failed.length > 0)
    lines.push(`  the next deploy deploys these values again; to return to what runs: ${d.revert}`);
  else lines.push(`  the next deploy deploys them; to return to what runs: ${d.revert}`);
  return lines;
}
