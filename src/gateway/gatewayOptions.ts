/**
 * What a gateway is asked to run: its data plane (`--data-plane`, BERTH_DATA_PLANE) and the processes
 * of its Node data plane (`workers`, BERTH_GATEWAY_WORKERS), each refused by name when malformed.
 */
import { availableParallelism } from 'node:os';
import { ValidationError } from '../errors.js';
import { parseWorkerCount } from './gatewayWorkers.js';
import type { DataPlane } from './server.js';

/**
 * A data plane named by `source` (`--data-plane` or `BERTH_DATA_PLANE`; `node` when unset); any
 * other value is refused by name rather than read as `node`.
 */
export function parseDataPlane(value: string | undefined, source: '--data-plane' | 'BERTH_DATA_PLANE'): DataPlane {
  if (value === undefined || value === '' || value === 'node') return 'node';
  if (value === 'haproxy') return 'haproxy';
  throw new ValidationError(`${source} is ${JSON.stringify(value)}: expected node or haproxy`, [
    {
      file: source === 'BERTH_DATA_PLANE' ? 'environment' : 'command line',
      path: source,
      message: 'expected node or haproxy',
    },
  ]);
}

/** BERTH_DATA_PLANE, parsed (see `parseDataPlane`). */
export function dataPlaneFromEnv(value = process.env.BERTH_DATA_PLANE): DataPlane {
  return parseDataPlane(value, 'BERTH_DATA_PLANE');
}

/**
 * The worker count a gateway is asked for: `workers`, else BERTH_GATEWAY_WORKERS, else 1, checked
 * here so a bad value fails the control plane's start by name (not as a gateway that exits at start).
 */
export function askedWorkers(workers: number | 'auto' | undefined, env = process.env.BERTH_GATEWAY_WORKERS): number {
  const source = workers === undefined ? 'BERTH_GATEWAY_WORKERS' : 'workers';
  const n = parseWorkerCount(workers === undefined ? env : String(workers), availableParallelism());
  if (n !== undefined) return n;
  const message = 'expected an integer from 1 to 64, or auto (one per core)';
  throw new ValidationError(`${source} is ${JSON.stringify(workers ?? env)}: ${message}`, [
    { file: workers === undefined ? 'environment' : 'options', path: source, message },
  ]);
}
