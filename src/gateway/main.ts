/**
 * Entry of the gateway process: `node dist/gateway/main.js --home <dir> [--data-plane node|haproxy]
 * [--workers N|auto]` (default BERTH_GATEWAY_WORKERS, else 1: processes serving the Node data plane).
 * Logs JSON lines to stdout (the control redirects them to `<home>/gateway/gateway.log`); SIGTERM
 * drains (and soft-stops HAProxy) and exits 0.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { ConflictError } from '../errors.js';
import { startGateway } from './server.js';
import { alreadyRunningExitCode } from './state.js';
import { parseWorkerCount } from './gatewayWorkers.js';

const { values } = parseArgs({
  options: { home: { type: 'string' }, 'data-plane': { type: 'string' }, workers: { type: 'string' } },
});
const logger = pino({ base: { component: 'gateway', pid: process.pid } });
const dataPlane = values['data-plane'] ?? 'node';
const workers = parseWorkerCount(values.workers ?? process.env.BERTH_GATEWAY_WORKERS, availableParallelism());
if (!values.home || (dataPlane !== 'node' && dataPlane !== 'haproxy') || workers === undefined) {
  logger.fatal(
    'usage: node dist/gateway/main.js --home <dir> [--data-plane node|haproxy] [--workers N|auto] ' +
      `(workers: an integer from 1 to 64 or auto, got ${JSON.stringify(values.workers ?? process.env.BERTH_GATEWAY_WORKERS)})`,
  );
  process.exit(2);
}

process.on('uncaughtException', (err) => {
  // Exiting is the safe answer to an unknown state; the control restarts the gateway on its next call.
  logger.fatal({ err }, 'uncaught exception');
  process.exit(1);
});

try {
  // BERTH_GATEWAY_TRACING=off proxies without traces (the proxy benchmark's "tracing off").
  const tracing = process.env.BERTH_GATEWAY_TRACING !== 'off';
  const gateway = await startGateway({ home: values.home, logger, dataPlane, tracing, workers });
  if (dataPlane === 'node' && workers > 1) logger.info({ workers }, `the Node data plane runs in ${workers} workers`);
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (err) {
  if (err instanceof ConflictError) {
    logger.warn(err.message);
    process.exit(alreadyRunningExitCode);
  }
  logger.fatal({ err }, 'gateway failed to start');
  process.exit(1);
}
