/**
 * The control plane's log center: the index file under the home, the ingester that follows this
 * machine's replica logs into it, and the retention it applies. Retention defaults to 7 days and
 * 1 GiB of line text per environment; BERTH_LOG_INDEX_MAX_AGE ("72h") and
 * BERTH_LOG_INDEX_MAX_BYTES ("512Mi") change it for every environment.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { openLogIndex, type LogIndex } from '../logs/logIndex.js';
import { createLogIngester, DEFAULT_INDEX_RETENTION, type IndexRetention } from '../logs/logIngester.js';
import { localLogFileSource } from '../runtime/local/logFileList.js';
import { parseDurationMs, parseMemoryBytes } from '../spec/units.js';
import { ValidationError } from '../errors.js';

/** The index file, beside the main store. */
export const LOG_INDEX_FILE = 'logindex.db';

export interface LogCenter {
  /** Absent when the index could not be opened: the control plane runs on, searches answer 503. */
  index?: LogIndex;
  close(): Promise<void>;
}

/** The retention the control plane's environment asks for; a bad value names its variable. */
export function indexRetentionOf(env: Readonly<Record<string, string | undefined>>): IndexRetention {
  const problems: { file: string; path: string; message: string }[] = [];
  let { maxAgeMs, maxBytes } = DEFAULT_INDEX_RETENTION;
  const age = env.BERTH_LOG_INDEX_MAX_AGE;
  if (age !== undefined) {
    const ms = parseDurationMs(age);
    if (ms === undefined || ms <= 0)
      problems.push({
        file: 'environment',
        path: 'BERTH_LOG_INDEX_MAX_AGE',
        message: `"${age}" is not a duration such as 72h`,
      });
    else maxAgeMs = ms;
  }
  const bytes = env.BERTH_LOG_INDEX_MAX_BYTES;
  if (bytes !== undefined) {
    const n = parseMemoryBytes(bytes);
    if (n === undefined || n <= 0)
      problems.push({
        file: 'environment',
        path: 'BERTH_LOG_INDEX_MAX_BYTES',
        message: `"${bytes}" is not a size such as 512Mi`,
      });
    else maxBytes = n;
  }
  if (problems.length > 0) throw new ValidationError('invalid log index retention', problems);
  return { maxAgeMs, maxBytes };
}

/** Opens the index and starts following this machine's replica logs into it. */
export function startLogCenter(home: string, logger: Logger, env = process.env): LogCenter {
  const retention = indexRetentionOf(env);
  let index: LogIndex;
  try {
    index = openLogIndex(join(home, LOG_INDEX_FILE));
  } catch (err) {
    // A damaged index must not keep the control plane (releases, the running apps) from starting.
    logger.error({ err, file: join(home, LOG_INDEX_FILE) }, 'the log index cannot be opened: log search is off');
    return { close: async () => undefined };
  }
  const ingester = createLogIngester({
    index,
    source: localLogFileSource(home),
    retentionOf: () => retention,
    onError: (err) => logger.warn({ err }, 'log indexing failed; retrying'),
  });
  ingester.start();
  return {
    index,
    async close() {
      await ingester.stop();
      index.close();
    },
  };
}
