/**
 * The control plane's preview environments (src/previews/): taken down by the release engine's `down`
 * (the runtime's remove, as `berth down` does), edge ports picked free on this machine, and swept every
 * BERTH_PREVIEW_SWEEP_INTERVAL (docs/previews.md).
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { RuntimeError, ValidationError } from '../errors.js';
import type { ConfigSets } from '../config/configSets.js';
import type { Environments } from '../environment/environments.js';
import type { ReleaseEngine } from '../release/engine/engine.js';
import { freePort } from '../runtime/local/ports.js';
import { parseDurationMs } from '../spec/units.js';
import type { Database } from '../store/schema.js';
import { createPreviews, type Previews } from '../previews/previews.js';
import { PREVIEW_SWEEP_INTERVAL_MS } from '../previews/sweeper.js';

/** Who the releases that take a preview's apps down are by. */
export const PREVIEW_AUTHOR = 'berth previews';

export function previewsOf(deps: {
  db: Kysely<Database>;
  environments: Environments;
  configSets: ConfigSets;
  engine: Pick<ReleaseEngine, 'down' | 'wait'>;
  logger: Logger;
  /** Stops the pipeline runs still to deploy into a preview that closes. */
  beforeClose?: (app: string, key: string, reason: string) => void;
}): Previews {
  return createPreviews({
    db: deps.db,
    ...(deps.beforeClose ? { beforeClose: deps.beforeClose } : {}),
    environments: deps.environments,
    configSets: deps.configSets,
    async takeDown(app, env, reason) {
      // Queued behind a release under way there, then waited for: the replicas are gone when it resolves.
      const started = await deps.engine.down({ app, env, author: `${PREVIEW_AUTHOR} (${reason})`, wait: true });
      const done = await deps.engine.wait(started.id);
      if (done.status !== 'succeeded')
        throw new RuntimeError(`taking ${app} down in ${env} ${done.status}: ${done.reason ?? 'see berth history'}`);
    },
    pickEdgePort: freePort,
    log: (msg, fields) => deps.logger.info(fields, msg),
  });
}

/** The sweep interval from `BERTH_PREVIEW_SWEEP_INTERVAL` (`1m`, `2s`); the default when unset. */
export function previewSweepIntervalMs(text: string | undefined): number {
  if (text === undefined || text === '') return PREVIEW_SWEEP_INTERVAL_MS;
  const ms = parseDurationMs(text);
  if (ms === undefined || ms < 100)
    throw new ValidationError('invalid BERTH_PREVIEW_SWEEP_INTERVAL', [
      {
        file: 'environment',
        path: 'BERTH_PREVIEW_SWEEP_INTERVAL',
        message: `"${text}" is not a duration of at least 100ms (e.g. 1m)`,
      },
    ]);
  return ms;
}
